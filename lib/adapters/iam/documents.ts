// IAM policy documents coming back from IAM: URL-decoded (IAM percent-encodes them and the JS SDK
// does not decode, docs/applier.md A1), JSON-parsed and validated into the domain's PolicyDocument.
import * as z from '../../domain/zod.js';
import type { PolicyDocument } from '../../domain/model.js';

const stringOrStrings = z.union([z.string(), z.array(z.string())]);
// IAM accepts JSON booleans and numbers as condition values and treats them as their string form.
const conditionScalar = z.union([
  z.string(),
  z.pipe(z.number(), z.transform(String)),
  z.pipe(z.boolean(), z.transform(String)),
]);
const conditionValues = z.union([conditionScalar, z.array(conditionScalar)]);

const statementSchema = z.strictObject({
  Sid: z.optional(z.string()),
  Effect: z.enum(['Allow', 'Deny']),
  Action: z.optional(stringOrStrings),
  NotAction: z.optional(stringOrStrings),
  Resource: z.optional(stringOrStrings),
  NotResource: z.optional(stringOrStrings),
  Principal: z.optional(z.unknown()),
  NotPrincipal: z.optional(z.unknown()),
  Condition: z.optional(z.record(z.string(), z.record(z.string(), conditionValues))),
});

/** A policy document as IAM stores it: `Statement` may be one object; `Id` carries no meaning and is dropped. */
export const policyDocumentSchema = z.pipe(
  z.strictObject({
    Version: z.literal('2012-10-17'),
    Id: z.optional(z.string()),
    Statement: z.union([
      z.array(statementSchema),
      z.pipe(
        statementSchema,
        z.transform((s) => [s]),
      ),
    ]),
  }),
  z.transform(({ Version, Statement }): PolicyDocument => ({ Version, Statement })),
);

/** Thrown when IAM returns a document grantplane cannot read as a PolicyDocument. */
export class PolicyDocumentParseError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PolicyDocumentParseError';
  }
}

/** URL-decodes, parses and validates a document as IAM returns it. */
export const decodePolicyDocument = (raw: string, what: string): PolicyDocument => {
  let json: unknown;
  try {
    // Some IAM-compatible endpoints answer with plain JSON; IAM itself always percent-encodes.
    json = JSON.parse(raw.trimStart().startsWith('{') ? raw : decodeURIComponent(raw));
  } catch (error: unknown) {
    throw new PolicyDocumentParseError(`${what}: document is not URL-encoded JSON`, { cause: error });
  }
  const result = policyDocumentSchema.safeParse(json);
  if (!result.success) {
    throw new PolicyDocumentParseError(
      `${what}: not a policy document grantplane can read: ${z.prettifyError(result.error)}`,
      {
        cause: result.error,
      },
    );
  }
  return result.data;
};
