// IAM's policy grammar as grantplane relies on it (IAM User Guide: "IAM JSON policy elements
// reference"). One list serves both R7 (guardrails.ts), which refuses what IAM would not parse,
// and the local IAM emulator, which rejects the same documents IAM rejects on write.

/** The elements an IAM policy statement may hold; any other key makes IAM refuse the document. */
export const IAM_STATEMENT_ELEMENTS: ReadonlySet<string> = new Set([
  'Sid',
  'Effect',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Principal',
  'NotPrincipal',
  'Condition',
]);
