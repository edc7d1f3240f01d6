import type { ConditionBlock } from '../model.js';
import { compareStrings, sortedUnique, statementJson, type NormStatement } from './statements.js';

// C3 merge: the statements of one target are folded into as few, as small statements as mean the
// same thing. Exact (syntactic) rewrites only:
// - per condition, every (action, resource) pair is collected; resources with the same action
//   set share one statement (A×R1 ∪ A×R2 = A×(R1∪R2));
// - a pair already allowed without condition (or on Resource "*") is dropped from conditioned
//   statements and other resources;
// - conditioned statements that differ only in the values of their single key under a
//   positive operator (StringLike, StringEquals, ...) take the union of the values (IAM ORs
//   the values of one key).

/** (action, resource) pairs allowed without condition, e.g. by the plane's global policies. */
export type Coverage = ReadonlyMap<string, ReadonlySet<string>>;

interface Group {
  condition: ConditionBlock | undefined;
  byResource: Map<string, Set<string>>;
}

/** The unconditioned (action, resource) pairs of statements, as a coverage map. */
export function coverageOf(statements: readonly NormStatement[]): Map<string, Set<string>> {
  const coverage = new Map<string, Set<string>>();
  for (const statement of statements) {
    if (statement.condition !== undefined) continue;
    for (const resource of statement.resources) {
      let actions = coverage.get(resource);
      if (actions === undefined) coverage.set(resource, (actions = new Set()));
      for (const action of statement.actions) actions.add(action);
    }
  }
  return coverage;
}

function isUnionMergeable(condition: ConditionBlock): { operator: string; key: string; values: string[] } | null {
  const operators = Object.keys(condition);
  if (operators.length !== 1) return null;
  const operator = operators[0] as string;
  // Negated operators and ForAllValues do not OR their values: a union would widen access.
  if (operator.includes('Not') || operator.startsWith('ForAllValues:')) return null;
  const block = condition[operator] ?? {};
  const keys = Object.keys(block);
  if (keys.length !== 1) return null;
  const key = keys[0] as string;
  const value = block[key] ?? [];
  return { operator, key, values: typeof value === 'string' ? [value] : value };
}

/** Merges, de-duplicates and sorts the statements of one target (C3); `covered` pairs are dropped. */
export function mergeStatements(statements: readonly NormStatement[], covered?: Coverage): NormStatement[] {
  const groups = new Map<string, Group>();
  for (const statement of statements) {
    const conditionKey = statement.condition === undefined ? '' : JSON.stringify(statement.condition);
    let group = groups.get(conditionKey);
    if (group === undefined)
      groups.set(conditionKey, (group = { condition: statement.condition, byResource: new Map() }));
    for (const resource of statement.resources) {
      let actions = group.byResource.get(resource);
      if (actions === undefined) group.byResource.set(resource, (actions = new Set()));
      for (const action of statement.actions) actions.add(action);
    }
  }

  const unconditioned = groups.get('')?.byResource;
  const starActions = [...(unconditioned?.get('*') ?? []), ...(covered?.get('*') ?? [])];
  const subtract = (actions: Set<string>, removed: Iterable<string> | undefined): void => {
    if (removed !== undefined) for (const action of removed) actions.delete(action);
  };
  for (const [conditionKey, group] of groups) {
    for (const [resource, actions] of group.byResource) {
      if (resource !== '*' || conditionKey !== '') subtract(actions, starActions);
      if (conditionKey !== '') subtract(actions, unconditioned?.get(resource));
      subtract(actions, covered?.get(resource));
      if (actions.size === 0) group.byResource.delete(resource);
    }
  }

  const merged: NormStatement[] = [];
  const unionable = new Map<string, { statement: NormStatement; operator: string; key: string; values: Set<string> }>();
  for (const group of groups.values()) {
    const byActions = new Map<string, { actions: string[]; resources: string[] }>();
    for (const [resource, actionSet] of group.byResource) {
      const actions = sortedUnique(actionSet);
      const actionsKey = actions.join('\u0000');
      let entry = byActions.get(actionsKey);
      if (entry === undefined) byActions.set(actionsKey, (entry = { actions, resources: [] }));
      entry.resources.push(resource);
    }
    for (const { actions, resources } of byActions.values()) {
      const statement: NormStatement = { actions, resources: resources.sort(compareStrings) };
      if (group.condition === undefined) {
        merged.push(statement);
        continue;
      }
      statement.condition = group.condition;
      const single = isUnionMergeable(group.condition);
      if (single === null) {
        merged.push(statement);
        continue;
      }
      const unionKey = JSON.stringify([single.operator, single.key, actions, statement.resources]);
      const existing = unionable.get(unionKey);
      if (existing === undefined) unionable.set(unionKey, { statement, ...single, values: new Set(single.values) });
      else for (const value of single.values) existing.values.add(value);
    }
  }
  for (const { statement, operator, key, values } of unionable.values()) {
    const sorted = sortedUnique(values);
    merged.push({
      ...statement,
      condition: {
        [operator]: {
          [key]:
            sorted.length === 1 && typeof statement.condition?.[operator]?.[key] === 'string'
              ? (sorted[0] as string)
              : sorted,
        },
      },
    });
  }
  return sortStatements(merged);
}

/** Sorts statements by their JSON form (deterministic output, C5's "same input, same bytes"). */
export function sortStatements(statements: NormStatement[]): NormStatement[] {
  const keyed = statements.map((statement) => ({ statement, key: statementJson(statement) }));
  keyed.sort((a, b) => compareStrings(a.key, b.key));
  return keyed.map((entry) => entry.statement);
}
