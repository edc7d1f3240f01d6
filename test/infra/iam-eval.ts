// A small evaluator of identity-policy statements as synthesized by CDK, enough to ask "would IAM
// allow this call?": explicit Deny wins, then any Allow; actions match case-insensitively with `*`
// and `?`; resources match case-sensitively; conditions support the operators grantplane uses.
import * as z from 'zod';

export interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string[];
  Resource: string[];
  Condition: Record<string, Record<string, string[]>>;
}

const list = z.union([z.string(), z.array(z.unknown())]).transform((value) => (Array.isArray(value) ? value : [value]));
// Non-literal resources (Fn::GetAtt, Fn::Join) are kept as their JSON, which matches no ARN.
const asText = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

const statementSchema = z.looseObject({
  Effect: z.enum(['Allow', 'Deny']),
  Action: list.transform((items) => items.map(asText)),
  Resource: z.unknown().transform((value) => (Array.isArray(value) ? value.map(asText) : [asText(value)])),
  Condition: z
    .record(
      z.string(),
      z.record(
        z.string(),
        list.transform((items) => items.map(asText)),
      ),
    )
    .optional()
    .transform((value) => value ?? {}),
});

/** The statements of a synthesized policy document. */
export const statementsOf = (document: unknown): Statement[] =>
  z.looseObject({ Statement: z.array(statementSchema) }).parse(document).Statement;

const glob = (pattern: string, value: string, caseInsensitive: boolean): boolean => {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, caseInsensitive ? 'i' : '').test(value);
};

const conditionHolds = (condition: Statement['Condition'], context: Record<string, string>): boolean =>
  Object.entries(condition).every(([operator, keys]) =>
    Object.entries(keys).every(([key, expected]) => {
      const actual = context[key];
      if (actual === undefined) return false;
      switch (operator) {
        case 'StringEquals':
        case 'ArnEquals':
          return operator === 'ArnEquals' ? expected.some((e) => glob(e, actual, false)) : expected.includes(actual);
        case 'StringLike':
        case 'ArnLike':
          return expected.some((e) => glob(e, actual, false));
        default:
          throw new Error(`condition operator ${operator} not supported by the test evaluator`);
      }
    }),
  );

const matches = (statement: Statement, action: string, resource: string, context: Record<string, string>): boolean =>
  statement.Action.some((a) => glob(a, action, true)) &&
  statement.Resource.some((r) => glob(r, resource, false)) &&
  conditionHolds(statement.Condition, context);

/** Whether the statements allow `action` on `resource` with the given request context. */
export const allowed = (
  statements: readonly Statement[],
  action: string,
  resource: string,
  context: Record<string, string> = {},
): boolean => {
  // An explicit Deny applies whatever the Allow says; a Deny's condition is judged the same way.
  if (statements.some((s) => s.Effect === 'Deny' && matches(s, action, resource, context))) return false;
  return statements.some((s) => s.Effect === 'Allow' && matches(s, action, resource, context));
};

/** One statement of a resource policy: who it is about, besides what and where. */
const principalSchema = z.union([
  z.literal('*'),
  z.looseObject({
    Service: list.transform((items) => items.map(asText)).optional(),
    AWS: list.transform((items) => items.map(asText)).optional(),
  }),
]);
const resourceStatementSchema = statementSchema.extend({ Principal: principalSchema });

/**
 * Whether a resource policy (an SNS topic's, say) lets `principal` make the call, judged as the
 * service does for a caller with no identity policy of its own (an AWS service principal): it
 * must be allowed by a statement naming it (or `*`), and no Deny that names it may match.
 * `Bool` conditions compare the context's "true"/"false"; a key missing from the context fails.
 */
export const resourcePolicyAllows = (
  document: unknown,
  principal: { service: string },
  action: string,
  resource: string,
  context: Record<string, string> = {},
): boolean => {
  const statements = z.looseObject({ Statement: z.array(resourceStatementSchema) }).parse(document).Statement;
  const names = (s: (typeof statements)[number]): boolean =>
    s.Principal === '*' || (s.Principal.Service ?? []).includes(principal.service);
  const holds = (s: (typeof statements)[number]): boolean => {
    const { Bool: bool, ...rest } = s.Condition;
    const boolHolds = Object.entries(bool ?? {}).every(([key, expected]) => {
      const actual = context[key];
      return actual !== undefined && expected.includes(actual);
    });
    return boolHolds && matches({ ...s, Condition: rest }, action, resource, context);
  };
  if (statements.some((s) => s.Effect === 'Deny' && names(s) && holds(s))) return false;
  return statements.some((s) => s.Effect === 'Allow' && names(s) && holds(s));
};
