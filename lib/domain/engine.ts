import type { AwsDataPlaneConfig, GrantplaneConfig } from './config.js';
import type {
  AcceptedGrant,
  CompiledTarget,
  GrantNote,
  InfrastructureOutput,
  PlanResult,
  PlannedBinding,
  RejectedGrant,
  RuleViolation,
} from './model.js';
import { coverageOf, mergeStatements, type Coverage } from './compile/merge.js';
import { pairRoleName } from './compile/names.js';
import { fitsOnePolicy, packStatements } from './compile/pack.js';
import { compareStrings, type NormStatement } from './compile/statements.js';
import { compileGlobalTarget, compilePairTarget } from './compile/target.js';
import { EngineError } from './errors.js';
import { violation } from './rules/codes.js';
import { ecrPullStatement } from './rules/ecr.js';
import { checkPolicyStatements } from './rules/guardrails.js';
import { mergeBindings } from './cloud/bindings.js';
import { validateForPlan, type ValidCloudGrant, type ValidGrant } from './rules/validate.js';

// The engine (docs/rules.md): raw grant requests → validated, de-duplicated, compiled desired state.
// Pure and deterministic: the output depends on the set of requests, the configuration, `now` and
// the imported attributes only; the same grants in any order give byte-identical targets.
//
// Targets emitted, per AWS plane (sorted by plane name, then the global target, then pairs by
// project and domain):
// - a global target only when the plane has accepted global grants that compile to statements
//   (ECR grants compile to none): grantplane's global policies on <UserFlyteRole>;
// - a project-domain target (C2) for each pair with accepted grants that compile to statements,
//   even when the plane's global policies already allow all of them: its role carries
//   userflyterole and the global policies, and its own policies leave out what those already
//   allow (so it may have none). Emitting the role regardless keeps a pair's role and uctl file
//   stable: revoking a global grant later changes only policies, never creates a role.
// GCP and Azure planes never produce targets: their global grants compile to bindings of the
// plane's identity on the resource (lib/domain/cloud/), listed under `bindings`.

export interface PlanInput {
  config: GrantplaneConfig;
  requests: readonly unknown[]; // raw, unvalidated grant requests (index = position)
  now: Date;
  attributes?: Readonly<Record<string, Record<string, string>>>; // key `${plane}/${project}/${domain}`: imported uctl attributes, override config
}

/**
 * How often this process ran the engine, and over how many requests in all: what a benchmark
 * reads to show how much planning one change costs (nothing else depends on it).
 */
const runs = { runs: 0, requests: 0 };
export const engineRuns = (): Readonly<{ runs: number; requests: number }> => ({ ...runs });

/** One distinct grant (R9): the first request with its identity and the repeats of it. */
interface Distinct {
  grant: ValidGrant;
  indices: number[];
}

interface Outcome {
  accepted: Map<number, AcceptedGrant>;
  rejected: Map<number, RuleViolation[]>;
  notes: GrantNote[];
}

const QUOTA_ADVICE =
  'Combine or narrow grants (one prefix or ARN pattern instead of many), revoke unused ones, or raise maxPoliciesPerRole if AWS raised the account quota.';

/**
 * Validates and compiles grant requests into the plan docs/cli.md describes. A request that breaks a rule is
 * a rejection in the result; a failure of the engine itself (a bug, an unusable IAM action
 * catalogue) is never turned into a plan: it throws EngineError, so no caller can mistake it for
 * "nothing is desired" and write that (docs/rules.md).
 */
export function planGrants(input: PlanInput): PlanResult {
  const requests: readonly unknown[] = Array.isArray(input.requests) ? input.requests : [];
  runs.runs += 1;
  runs.requests += requests.length;
  try {
    return plan(input, requests);
  } catch (error: unknown) {
    if (error instanceof EngineError) throw error;
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new EngineError(`the engine failed, nothing was planned (${detail})`, { cause: error });
  }
}

function plan(input: PlanInput, requests: readonly unknown[]): PlanResult {
  const outcome: Outcome = { accepted: new Map(), rejected: new Map(), notes: [] };
  const distinct = new Map<string, Distinct>();

  const cloud = new Map<string, { grant: ValidCloudGrant; indices: number[] }>();
  requests.forEach((raw, index) => {
    const result = validateForPlan(input.config, raw, input.now);
    if (!result.ok) {
      outcome.rejected.set(index, result.errors);
      return;
    }
    if (result.cloud !== undefined) {
      // GCP and Azure: no quota, no target; R9 as for AWS grants.
      const seen = cloud.get(result.cloud.key);
      if (seen === undefined) cloud.set(result.cloud.key, { grant: result.cloud, indices: [index] });
      else {
        seen.indices.push(index);
        outcome.notes.push({
          index,
          code: 'duplicate.repeat',
          message: `Same grant as request ${seen.indices[0]}: accepted, and compiled once.`,
        });
      }
      const grant = (seen ?? cloud.get(result.cloud.key))!.grant;
      outcome.accepted.set(index, {
        index,
        ...(grant.secretGroup === undefined ? {} : { secretGroup: grant.secretGroup }),
      });
      if (seen === undefined) for (const note of grant.notes) outcome.notes.push({ index, ...note });
      return;
    }
    const existing = distinct.get(result.grant.key);
    if (existing === undefined) {
      distinct.set(result.grant.key, { grant: result.grant, indices: [index] });
      return;
    }
    // R9: the same (plane, scope, resource, access) again is one grant.
    existing.indices.push(index);
    outcome.notes.push({
      index,
      code: 'duplicate.repeat',
      message: `Same grant as request ${existing.indices[0]}: accepted, and compiled once.`,
    });
  });

  // C3: a statement no policy can hold is refused on its own, before it can crowd out others.
  const byPlane = new Map<string, { plane: AwsDataPlaneConfig; global: Distinct[]; pairs: Map<string, Distinct[]> }>();
  for (const entry of distinct.values()) {
    if (!fitsOnePolicy(entry.grant.statements)) {
      reject(outcome, entry, [
        violation(
          'resource',
          'quota.statement-too-large',
          'A statement of this grant does not fit in one managed policy (6,144 characters): split it into smaller statements.',
        ),
      ]);
      continue;
    }
    const { plane, scope } = entry.grant;
    let planeEntry = byPlane.get(plane.name);
    if (planeEntry === undefined) byPlane.set(plane.name, (planeEntry = { plane, global: [], pairs: new Map() }));
    if (scope.type === 'global') {
      planeEntry.global.push(entry);
    } else {
      const pairKey = `${scope.project}\u0001${scope.domain}`;
      const list = planeEntry.pairs.get(pairKey);
      if (list === undefined) planeEntry.pairs.set(pairKey, [entry]);
      else list.push(entry);
    }
  }

  const targets: CompiledTarget[] = [];
  const pullPrincipals = new Map<string, Set<string>>();
  for (const planeName of [...byPlane.keys()].sort(compareStrings)) {
    const { plane, global, pairs } = byPlane.get(planeName) as NonNullable<ReturnType<typeof byPlane.get>>;

    // C1 first: global grants sort before every pair in canonical order, and the pairs' room
    // depends on how many global policies their roles must also carry.
    const globalCapacity = plane.maxPoliciesPerRole - 1;
    const globalFit = placeAndCheck(
      outcome,
      sortByKey(global),
      globalCapacity,
      undefined,
      (packed) => compileGlobalTarget(plane, packed),
      {
        first: `<UserFlyteRole> ${plane.userFlyteRoleName} would need more than ${globalCapacity} grantplane global policies (maxPoliciesPerRole ${plane.maxPoliciesPerRole} counts userflyterole). ${QUOTA_ADVICE}`,
      },
    );
    const globalTarget = globalFit.target;
    if (globalTarget !== null) targets.push(globalTarget);
    const globalArns = globalTarget === null ? [] : globalTarget.policies.map((policy) => policy.arn);
    const coverage = coverageOf(globalFit.statements);

    const pairCapacity = plane.maxPoliciesPerRole - 1 - globalArns.length;
    const pairKeys = [...pairs.keys()].sort(compareStrings);
    // R1/C2: a pair is its namespace `<project>-<domain>`, and so are its role and policy names.
    // Two pairs that spell the same namespace (a-b/c and a/b-c) are one Kubernetes namespace that
    // cannot hold two roles: the first in canonical order keeps it, the later one is refused
    // (otherwise both would compile to the same role and policy names, and apply would flap).
    const namespaces = new Map<string, string>();
    for (const pairKey of pairKeys) {
      const [project, domain] = pairKey.split('\u0001') as [string, string];
      const namespace = `${project}-${domain}`;
      const owner = namespaces.get(namespace);
      if (owner === undefined) {
        namespaces.set(namespace, pairKey);
        continue;
      }
      const [ownerProject, ownerDomain] = owner.split('\u0001') as [string, string];
      for (const entry of pairs.get(pairKey) ?? []) {
        reject(outcome, entry, [
          violation(
            'scope.project',
            'scope.namespace-collision',
            `Project "${project}" in domain "${domain}" makes namespace "${namespace}", which project "${ownerProject}" in domain "${ownerDomain}" already makes on plane "${plane.name}": one namespace cannot have two roles. Grant the access to ${ownerProject}/${ownerDomain}, or rename the project.`,
          ),
        ]);
      }
      pairs.delete(pairKey);
    }
    for (const pairKey of pairKeys) {
      if (!pairs.has(pairKey)) continue;
      const grants = sortByKey(pairs.get(pairKey) ?? []);
      const [project, domain] = pairKey.split('\u0001') as [string, string];
      const known =
        input.attributes?.[`${plane.name}/${project}/${domain}`] ?? plane.attributes[`${project}/${domain}`];
      const current = known ?? {};
      const fit = placeAndCheck(
        outcome,
        grants,
        pairCapacity,
        coverage,
        (packed) => compilePairTarget(plane, project, domain, packed, globalArns, current),
        {
          first: `Role ${pairRoleName(plane, project, domain)} would need more than ${Math.max(pairCapacity, 0)} policies of its own (maxPoliciesPerRole ${plane.maxPoliciesPerRole} counts userflyterole and ${globalArns.length} global policies). ${QUOTA_ADVICE}`,
        },
      );
      if (fit.target !== null) targets.push(fit.target);
      // C5: `uctl update` replaces the pair's whole attribute map; nobody told grantplane what it
      // holds now, so the file would reset whatever else was set there.
      const first = grants.map((entry) => entry.indices[0] as number).find((index) => outcome.accepted.has(index));
      if (fit.target !== null && known === undefined && first !== undefined) {
        outcome.notes.push({
          index: first,
          code: 'uctl.attributes-unknown',
          message: `The uctl update for ${project}/${domain} replaces the pair's whole attribute map, and its current attributes were never imported: keys set there (projectQuotaCpu, projectQuotaMemory, ...) would fall back to defaults. Import what \`uctl get cluster-resource-attribute -p ${project} -d ${domain}\` prints first: \`grantplane attributes import --plane ${plane.name} --project ${project} --domain ${domain}\` (or PUT /v1/attributes/${plane.name}/${project}/${domain}, or the plane's \`attributes\` in the configuration).`,
        });
      }
    }

    for (const entry of [...global, ...[...pairs.values()].flat()]) {
      const pull = entry.grant.ecrPull;
      if (pull === undefined || !outcome.accepted.has(entry.indices[0] as number)) continue;
      let principals = pullPrincipals.get(pull.repositoryArn);
      if (principals === undefined) pullPrincipals.set(pull.repositoryArn, (principals = new Set()));
      principals.add(pull.principal);
    }
  }

  const infrastructure: InfrastructureOutput[] = [...pullPrincipals.keys()]
    .sort(compareStrings)
    .map((repositoryArn) => ({
      kind: 'ecr-repository-policy',
      repositoryArn,
      policy: { Version: '2012-10-17', Statement: [ecrPullStatement([...(pullPrincipals.get(repositoryArn) ?? [])])] },
    }));

  const accepted = [...outcome.accepted.values()].sort((a, b) => a.index - b.index);
  const rejected: RejectedGrant[] = [...outcome.rejected.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([index, errors]) => ({ index, errors }));
  const notes = outcome.notes
    .filter((note) => outcome.accepted.has(note.index))
    .sort((a, b) => a.index - b.index || compareStrings(a.code, b.code));
  const bindings = plannedBindings([...cloud.values()]);
  return { accepted, rejected, notes, targets, infrastructure, ...(bindings.length === 0 ? {} : { bindings }) };
}

/** The bindings of the accepted GCP and Azure grants, each once, naming the requests that need it. */
function plannedBindings(grants: readonly { grant: ValidCloudGrant; indices: number[] }[]): PlannedBinding[] {
  const users = new Map<string, number[]>();
  const keyOf = (binding: { dataPlane: string; resource: string; role: string; member: string }) =>
    `${binding.dataPlane}\u0001${binding.resource}\u0001${binding.role}\u0001${binding.member}`;
  for (const { grant, indices } of grants)
    for (const binding of grant.bindings) users.set(keyOf(binding), [...(users.get(keyOf(binding)) ?? []), ...indices]);
  return mergeBindings(grants.flatMap(({ grant }) => grant.bindings)).map((binding) => ({
    ...binding,
    grants: [...new Set(users.get(keyOf(binding)) ?? [])].sort((a, b) => a - b),
  }));
}

function sortByKey(entries: readonly Distinct[]): Distinct[] {
  return [...entries].sort((a, b) => compareStrings(a.grant.key, b.grant.key));
}

function reject(outcome: Outcome, entry: Distinct, errors: RuleViolation[]): void {
  for (const index of entry.indices) outcome.rejected.set(index, errors);
}

function accept(outcome: Outcome, entry: Distinct): void {
  const { grant } = entry;
  for (const index of entry.indices) {
    const accepted: AcceptedGrant = { index };
    if (grant.secretGroup !== undefined) accepted.secretGroup = grant.secretGroup;
    if (grant.secretKey !== undefined) accepted.secretKey = grant.secretKey;
    outcome.accepted.set(index, accepted);
    if (index === entry.indices[0]) for (const note of grant.notes) outcome.notes.push({ index, ...note });
  }
}

const packPrefix = (grants: readonly Distinct[], count: number, capacity: number, coverage: Coverage | undefined) => {
  const statements = mergeStatements(
    grants.slice(0, count).flatMap((entry) => entry.grant.statements),
    coverage,
  );
  return { statements, packed: packStatements(statements, Math.max(capacity, 0)) };
};

/**
 * C3 placement of one target's grants (in canonical order): the longest prefix that fits the
 * target's policy quota is accepted; the first grant that does not fit and every later one are
 * rejected. Adding grants adds statements (merging rarely shrinks a set), so fitting is treated as
 * monotone and a binary search finds the boundary with O(log n) packings instead of one per grant;
 * whatever the boundary, the accepted prefix is exactly what is packed, so it always fits. Then
 * R7 on every compiled document.
 */
function placeAndCheck(
  outcome: Outcome,
  grants: readonly Distinct[],
  capacity: number,
  coverage: Coverage | undefined,
  compile: (packed: NormStatement[][]) => CompiledTarget,
  messages: { first: string },
): { target: CompiledTarget | null; statements: NormStatement[] } {
  let count = grants.length;
  let result = packPrefix(grants, count, capacity, coverage);
  if (result.packed === null) {
    let fits = 0;
    let fails = grants.length;
    while (fails - fits > 1) {
      const middle = Math.floor((fits + fails) / 2);
      if (packPrefix(grants, middle, capacity, coverage).packed !== null) fits = middle;
      else fails = middle;
    }
    count = fits;
    result = packPrefix(grants, count, capacity, coverage);
  }
  grants.forEach((entry, position) => {
    if (position < count) return;
    const message =
      position === count
        ? `This grant does not fit: ${messages.first}`
        : `An earlier grant of this target (in canonical order) already did not fit, so this one cannot either: ${messages.first}`;
    reject(outcome, entry, [violation('resource', 'quota.policies-per-role', message)]);
  });
  const placed = grants.slice(0, count);
  const packed = result.packed ?? [];
  // A target exists as soon as one placed grant compiles to statements (ECR grants compile to
  // none), even when merging against `coverage` left it no policy of its own (C2).
  const target = placed.some((entry) => entry.grant.statements.length > 0) ? compile(packed) : null;

  // R7 on the compiled documents. Merging only regroups statements that each passed R7, so this
  // cannot fail unless the rules and the compiler disagree; if they ever do, the target's grants
  // are refused rather than written.
  const violations =
    target === null
      ? []
      : target.policies.flatMap((policy) =>
          checkPolicyStatements(policy.document.Statement, `policy ${policy.name}.Statement`),
        );
  if (violations.length > 0) {
    for (const entry of placed) reject(outcome, entry, violations);
    return { target: null, statements: [] };
  }
  for (const entry of placed) accept(outcome, entry);
  return { target, statements: result.statements };
}
