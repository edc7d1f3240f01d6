// `grantplane plan --api` (docs/cli.md "grantplane plan"): what the grants change against the live
// desired state. The API plans them together with what it stores (POST /v1/plan, nothing written)
// and names the targets they reach; each of those is compared, access by access — one action on one
// resource under its condition — with the target as the API stores it today. With --source, the
// source's sync is also dry-run, so the grants the repository would remove are listed too.
import type { CompiledTarget, PolicyDocument, Scope } from '../domain/model.js';
import { callApi, isObject, renderProblem, type ApiEndpoint } from './api.js';
import { UsageError } from './io.js';
import { describeStatement } from './plan-text.js';

export interface LiveTargetChange {
  targetKey: string;
  dataPlane: string;
  scope: Scope;
  /** create: no grant reaches it today; update: its documents change; unchanged: already so. */
  change: 'create' | 'update' | 'unchanged';
  /** Access the grants add, one action on one resource each, in words. */
  added: string[];
  /** Access the target loses (a re-pack never loses any; a removal through --source does not show here). */
  removed: string[];
  /** The target's access grows: something is added. A global target's reaches every pair of its plane. */
  broader: boolean;
}

export interface LiveDiff {
  api: string;
  changes: LiveTargetChange[];
  /** With --source: the grants the repository's sync would remove (revoke), as the API describes them. */
  source?: { name: string; removed: Record<string, unknown>[]; added: number; unchanged: number };
}

/** Every access a target's own policies allow: one line per action, resource and condition. */
export function accessOf(target: CompiledTarget | null): Set<string> {
  const access = new Set<string>();
  for (const policy of target?.policies ?? [])
    for (const statement of policy.document.Statement) {
      const record = statement as unknown as Record<string, unknown>;
      const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]);
      const actionKey = record.Action !== undefined ? 'Action' : 'NotAction';
      const resourceKey = record.Resource !== undefined ? 'Resource' : 'NotResource';
      for (const action of list(record[actionKey]))
        for (const resource of list(record[resourceKey]))
          access.add(
            describeStatement({
              ...statement,
              [actionKey]: action,
              [resourceKey]: resource,
            } as PolicyDocument['Statement'][number]),
          );
    }
  return access;
}

const pathOf = (dataPlane: string, scope: Scope): string =>
  scope.type === 'global'
    ? `/v1/targets/${encodeURIComponent(dataPlane)}/global`
    : `/v1/targets/${[dataPlane, scope.project, scope.domain].map(encodeURIComponent).join('/')}`;

/** The target as the API stores it today (its desired state), or null when there is none. */
async function liveTarget(endpoint: ApiEndpoint, dataPlane: string, scope: Scope): Promise<CompiledTarget | null> {
  const answer = await callApi('plan --api', endpoint, { method: 'GET', path: pathOf(dataPlane, scope) });
  if (answer.status === 404) return null;
  if (answer.status !== 200 || !isObject(answer.body))
    throw new UsageError(
      renderProblem('plan --api (reading a target)', answer)
        .trim()
        .replace(/^grantplane: /, ''),
    );
  const desired = answer.body.desired;
  return isObject(desired) ? (desired as unknown as CompiledTarget) : null;
}

/** The diff of `requests` against the live desired state the API at `endpoint` holds. */
export async function liveDiff(
  endpoint: ApiEndpoint,
  requests: readonly unknown[],
  source?: string,
): Promise<LiveDiff> {
  const answer = await callApi('plan --api', endpoint, {
    method: 'POST',
    path: '/v1/plan',
    body: { grants: requests },
  });
  if (answer.status !== 200 || !isObject(answer.body) || !Array.isArray(answer.body.changes))
    throw new UsageError(
      renderProblem('plan --api', answer)
        .trim()
        .replace(/^grantplane: /, ''),
    );
  const planned = new Map(
    (Array.isArray(answer.body.targets) ? answer.body.targets : [])
      .filter(isObject)
      .map((target) => [keyOf(target as unknown as CompiledTarget), target as unknown as CompiledTarget]),
  );
  const changes: LiveTargetChange[] = [];
  for (const change of answer.body.changes.filter(isObject)) {
    const { targetKey, dataPlane, scope } = change as { targetKey: string; dataPlane: string; scope: Scope };
    const after = accessOf(planned.get(targetKey) ?? null);
    const before = accessOf(change.change === 'create' ? null : await liveTarget(endpoint, dataPlane, scope));
    const added = [...after].filter((access) => !before.has(access)).sort();
    const removed = [...before].filter((access) => !after.has(access)).sort();
    changes.push({
      targetKey,
      dataPlane,
      scope,
      change: change.change as LiveTargetChange['change'],
      added,
      removed,
      broader: added.length > 0,
    });
  }
  const diff: LiveDiff = { api: endpoint.base.origin, changes };
  if (source !== undefined) {
    const synced = await callApi('plan --api --source', endpoint, {
      method: 'PUT',
      path: `/v1/sources/${encodeURIComponent(source)}/grants`,
      query: new URLSearchParams({ dryRun: 'true' }),
      body: { grants: requests },
    });
    const body = synced.body;
    if (
      (synced.status !== 200 && synced.status !== 409) ||
      !isObject(body) ||
      !Array.isArray(body.removed) ||
      !Array.isArray(body.added) ||
      !Array.isArray(body.unchanged)
    )
      throw new UsageError(
        renderProblem(`plan --api --source ${source}`, synced)
          .trim()
          .replace(/^grantplane: /, ''),
      );
    diff.source = {
      name: source,
      removed: body.removed.filter(isObject),
      added: body.added.length,
      unchanged: body.unchanged.length,
    };
  }
  return diff;
}

const keyOf = (target: CompiledTarget): string =>
  target.scope.type === 'global'
    ? `${target.dataPlane}#global`
    : `${target.dataPlane}#${target.scope.project}#${target.scope.domain}`;

/** Targets shown with their access lines; access lines per target. */
export const LISTED_LIVE_TARGETS = 50;
export const LISTED_LIVE_ACCESS = 20;

const where = (change: LiveTargetChange): string =>
  change.scope.type === 'global'
    ? `${change.dataPlane} global (every project and domain of ${change.dataPlane})`
    : `${change.dataPlane} ${change.scope.project}/${change.scope.domain}`;

/** The diff as a Markdown section of the review. */
export function renderLiveDiff(diff: LiveDiff): string[] {
  const changed = diff.changes.filter((change) => change.added.length > 0 || change.removed.length > 0);
  const broader = changed.filter((change) => change.broader).length;
  const out = [
    `### Against the live desired state (${diff.api})`,
    '',
    changed.length === 0
      ? 'No access changes: every target these grants reach already allows exactly this.'
      : `${changed.length} ${changed.length === 1 ? 'target changes' : 'targets change'}, ${broader} ${broader === 1 ? 'becomes' : 'become'} broader:`,
    '',
  ];
  for (const change of changed.slice(0, LISTED_LIVE_TARGETS)) {
    const created = change.scope.type === 'global' ? "new global policy (on the plane's <UserFlyteRole>)" : 'new role';
    const label = change.change === 'create' ? created : change.broader ? '**broader**' : 'narrower';
    out.push(`- ${where(change)} — ${label}`);
    const lines = [...change.added.map((access) => `+ ${access}`), ...change.removed.map((access) => `- ${access}`)];
    for (const line of lines.slice(0, LISTED_LIVE_ACCESS)) out.push(`  - ${line}`);
    if (lines.length > LISTED_LIVE_ACCESS) out.push(`  - … ${lines.length - LISTED_LIVE_ACCESS} more`);
  }
  if (changed.length > LISTED_LIVE_TARGETS) out.push(`- … ${changed.length - LISTED_LIVE_TARGETS} more targets`);
  if (diff.source !== undefined) {
    const { name, removed, added, unchanged } = diff.source;
    out.push(
      '',
      `Source \`${name}\`: would add ${added}, keep ${unchanged}, remove ${removed.length} ${removed.length === 1 ? 'grant' : 'grants'}${removed.length > 0 ? ' (their access goes when the sync revokes them):' : '.'}`,
    );
    for (const grant of removed.slice(0, LISTED_LIVE_TARGETS)) {
      const scope = isObject(grant.scope) ? grant.scope : {};
      const resource = isObject(grant.resource) ? grant.resource : {};
      const pair = scope.type === 'global' ? 'global' : `${String(scope.project)}/${String(scope.domain)}`;
      const what = Object.values(resource).map(String).join(' ');
      out.push(`- \`${String(grant.id)}\` ${String(grant.dataPlane)} ${pair} ${what}`);
    }
  }
  out.push('');
  return out;
}
