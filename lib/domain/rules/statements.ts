import type { ConditionBlock } from '../model.js';
import { normStatement, type NormStatement } from '../compile/statements.js';
import type { RuleViolation } from '../model.js';
import { checkPolicyStatements } from './guardrails.js';

// `iam-statements` (DESIGN §3, the escape hatch): every statement must pass R7 (guardrails.ts,
// which also checks the statement's structure); what passes is normalised for C3.

function stringList(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === 'string') : [];
}

// IAM compares condition values as strings ("Bool": {"aws:SecureTransport": true} ≡ "true").
function conditionOf(value: unknown): ConditionBlock | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const out: ConditionBlock = {};
  for (const [operator, block] of Object.entries(value)) {
    if (block === null || typeof block !== 'object' || Array.isArray(block)) continue;
    const keys: Record<string, string | string[]> = {};
    for (const [key, raw] of Object.entries(block as Record<string, unknown>)) {
      keys[key] = Array.isArray(raw) ? raw.map((entry) => String(entry)) : String(raw);
    }
    out[operator] = keys;
  }
  return out;
}

/** R7 on custom statements; normalised statements when they pass. */
export function checkCustomStatements(statements: readonly unknown[]): { statements: NormStatement[] } | { errors: RuleViolation[] } {
  const errors = checkPolicyStatements([...statements], 'resource.statements');
  if (errors.length > 0) return { errors };
  const normalised = statements.map((raw) => {
    const statement = raw as Record<string, unknown>;
    return normStatement(stringList(statement['Action']), stringList(statement['Resource']), conditionOf(statement['Condition']));
  });
  return { statements: normalised };
}
