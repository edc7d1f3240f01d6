// IAM policy documents coming back from IAM: URL-decoded (IAM percent-encodes them and the JS SDK
// does not decode, docs/applier.md A1), JSON-parsed and validated into the domain's PolicyDocument.
import * as z from 'zod';
import type { PolicyDocument } from '../../domain/model.js';

const stringOrStrings = z.union([z.string(), z.array(z.string())]);
// IAM accepts JSON booleans and numbers as condition values and treats them as their string form.
const conditionScalar = z.union([z.string(), z.number().transform(String), z.boolean().transform(String)]);
const conditionValues = z.union([conditionScalar, z.array(conditionScalar)]);

const statementSchema = z
  .object({
    Sid: z.string().optional(),
    Effect: z.enum(['Allow', 'Deny']),
    Action: stringOrStrings.optional(),
    NotAction: stringOrStrings.optional(),
    Resource: stringOrStrings.optional(),
    NotResource: stringOrStrings.optional(),
    Principal: z.unknown().optional(),
    NotPrincipal: z.unknown().optional(),
    Condition: z.record(z.string(), z.record(z.string(), conditionValues)).optional(),
  })
  .strict();

/** A policy document as IAM stores it: `Statement` may be one object; `Id` carries no meaning and is dropped. */
export const policyDocumentSchema = z
  .object({
    Version: z.literal('2012-10-17'),
    Id: z.string().optional(),
    Statement: z.union([z.array(statementSchema), statementSchema.transform((s) => [s])]),
  })
  .strict()
  .transform(({ Version, Statement }): PolicyDocument => ({ Version, Statement }));

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
