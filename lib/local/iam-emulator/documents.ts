// Policy document checks IAM performs on write (IAM User Guide: "IAM JSON policy elements",
// "IAM and AWS STS quotas"). Enough grammar to reject what IAM rejects for the documents
// grantplane writes; not a full policy-language validator.
import { IAM_STATEMENT_ELEMENTS } from '../../domain/policy-grammar.js';
import { limitExceeded, malformed } from './errors.js';

export type DocumentKind = 'identity' | 'trust';

const VERSIONS = new Set(['2012-10-17', '2008-10-17']);

/** Characters IAM counts against size quotas: the document without white space. */
export const policySize = (document: string): number => document.replace(/\s/g, '').length;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isStringOrStrings = (value: unknown): boolean =>
  typeof value === 'string' || (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string'));

/**
 * Validates a policy document as IAM does on CreatePolicy/CreatePolicyVersion (identity) and
 * CreateRole/UpdateAssumeRolePolicy (trust). Throws MalformedPolicyDocument or LimitExceeded.
 */
export const validatePolicyDocument = (document: string, kind: DocumentKind, maxSize: number): void => {
  const size = policySize(document);
  if (size > maxSize) {
    throw limitExceeded(
      kind === 'trust'
        ? `Cannot exceed quota for ACLSizePerRole: ${maxSize}`
        : `Cannot exceed quota for PolicySize: ${maxSize}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(document);
  } catch {
    throw malformed('Syntax errors in policy.');
  }
  if (!isRecord(parsed)) throw malformed('Syntax errors in policy.');
  for (const key of Object.keys(parsed)) {
    if (key !== 'Version' && key !== 'Statement' && key !== 'Id') throw malformed(`Syntax errors in policy.`);
  }
  if (parsed.Version === undefined) throw malformed('Missing required field Version');
  if (typeof parsed.Version !== 'string' || !VERSIONS.has(parsed.Version)) {
    throw malformed('The policy failed legacy parsing');
  }
  if (parsed.Statement === undefined) throw malformed('Missing required field Statement');
  const statements: unknown[] = Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement];
  if (statements.length === 0) throw malformed('Missing required field Statement');
  for (const statement of statements) validateStatement(statement, kind);
};

const validateStatement = (statement: unknown, kind: DocumentKind): void => {
  if (!isRecord(statement)) throw malformed('Syntax errors in policy.');
  for (const key of Object.keys(statement)) {
    if (!IAM_STATEMENT_ELEMENTS.has(key)) throw malformed(`Syntax errors in policy.`);
  }
  if (statement.Effect === undefined) throw malformed('Missing required field Effect');
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') {
    throw malformed(`Invalid effect: ${String(statement.Effect)}`);
  }
  if (statement.Action === undefined && statement.NotAction === undefined) {
    throw malformed('Missing required field Action');
  }
  for (const key of ['Action', 'NotAction', 'Resource', 'NotResource'] as const) {
    if (statement[key] !== undefined && !isStringOrStrings(statement[key])) throw malformed('Syntax errors in policy.');
  }
  if (statement.Condition !== undefined && !isRecord(statement.Condition)) throw malformed('Syntax errors in policy.');
  if (kind === 'identity') {
    if (statement.Principal !== undefined || statement.NotPrincipal !== undefined) {
      throw malformed('Policy document should not specify a principal.');
    }
    if (statement.Resource === undefined && statement.NotResource === undefined) {
      throw malformed('Missing required field Resource');
    }
  } else {
    if (statement.Principal === undefined && statement.NotPrincipal === undefined) {
      throw malformed('Missing required field Principal');
    }
    if (statement.Resource !== undefined || statement.NotResource !== undefined) {
      throw malformed('Has prohibited field Resource');
    }
  }
};
