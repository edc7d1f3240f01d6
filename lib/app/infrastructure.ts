// Infrastructure updates: what a grant needs outside grantplane's reach, applied by someone else
// and acknowledged here, like a uctl update. Today that is the repository policy a cross-account
// ECR grant needs in the repository's account (R6): the recompute records the plane's latest policy
// per repository (and a removal when no grant needs it any more); the owner of that account
// applies it and acknowledges it; the grant is in effect from then on.
import { canonicalJson, sha256Hex } from '../domain/compile/hash.js';
import { NotFoundError, StateConflictError } from '../domain/errors.js';
import type { InfrastructureOutput } from '../domain/model.js';
import { globalTargetKey, type InfrastructureUpdate, type Page } from '../domain/records.js';
import { pageLimit, withConflictRetry, type AppDeps, type Identity } from './deps.js';
import { pageByKey } from './cursor.js';

const repositoryHash = (repositoryArn: string): string => sha256Hex(repositoryArn).slice(0, 16);

const updateId = (dataPlane: string, repositoryArn: string, contentHash: string): string =>
  `${dataPlane}:${repositoryHash(repositoryArn)}:${contentHash.slice(0, 16)}`;

/**
 * Records, per repository of the plane, the repository policy its desired grants need now: a new
 * pending update when the content changed (a removal — `policy: null` — when none needs it any
 * more). Called by the recompute with its plan's infrastructure and the snapshot's stored updates;
 * a lost race throws ConcurrentUpdateError, so the recompute runs again on fresh state.
 */
export async function recordInfrastructureUpdates(
  deps: AppDeps,
  dataPlane: string,
  outputs: readonly InfrastructureOutput[],
  stored: readonly InfrastructureUpdate[],
): Promise<InfrastructureUpdate[]> {
  const desired = new Map(outputs.map((output) => [output.repositoryArn, output.policy]));
  const current = new Map(stored.map((update) => [update.repositoryArn, update]));
  const recorded: InfrastructureUpdate[] = [];
  for (const repositoryArn of [...new Set([...desired.keys(), ...current.keys()])].sort()) {
    const policy = desired.get(repositoryArn) ?? null;
    const previous = current.get(repositoryArn);
    if (previous === undefined && policy === null) continue;
    const contentHash = sha256Hex(canonicalJson(policy));
    if (previous?.contentHash === contentHash) continue;
    const at = deps.clock.now().toISOString();
    const update: InfrastructureUpdate = {
      id: updateId(dataPlane, repositoryArn, contentHash),
      dataPlane,
      kind: 'ecr-repository-policy',
      repositoryArn,
      accountId: repositoryArn.split(':')[4] ?? '',
      policy,
      contentHash,
      status: 'pending',
      createdAt: at,
    };
    await deps.infrastructure.putInfrastructureUpdate(update, previous?.contentHash ?? null, {
      id: deps.ids.next(),
      at,
      actor: 'grantplane',
      action: 'infrastructure-update.created',
      targetKey: globalTargetKey(dataPlane),
      after: { id: update.id, repositoryArn, status: 'pending', removes: policy === null },
      result: 'ok',
      detail:
        policy === null
          ? `no grant of plane ${dataPlane} pulls from ${repositoryArn} any more: the owner of account ${update.accountId} removes grantplane's statement from its repository policy`
          : `the owner of account ${update.accountId} applies this repository policy statement to ${repositoryArn}`,
    });
    recorded.push(update);
  }
  return recorded;
}

export interface InfrastructureListInput {
  status?: 'pending' | 'acknowledged' | undefined;
  dataPlane?: string | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}

/** The configured planes' tracked updates (one per repository, the latest), by id, cursor-paged. */
export const listInfrastructureUpdates = async (
  deps: AppDeps,
  input: InfrastructureListInput = {},
): Promise<Page<InfrastructureUpdate>> => {
  const planes = deps.config.dataPlanes
    .filter((plane) => plane.cloud === 'aws' && (input.dataPlane === undefined || plane.name === input.dataPlane))
    .map((plane) => plane.name);
  const updates = (await deps.infrastructure.listInfrastructureUpdates(planes)).filter(
    (update) => input.status === undefined || update.status === input.status,
  );
  return pageByKey(updates, (update) => update.id, pageLimit(input.limit), input.cursor);
};

/** The tracked update of one repository of a plane (null when none was ever recorded). */
export const infrastructureUpdateFor = (
  deps: AppDeps,
  dataPlane: string,
  repositoryArn: string,
): Promise<InfrastructureUpdate | null> =>
  deps.infrastructure.getInfrastructureUpdate(dataPlane, repositoryHash(repositoryArn));

/**
 * Acknowledges that the update was applied in the repository's account (audited). An update that
 * a newer one replaced answers 409 `infrastructure-update.superseded` (apply the newer one); one
 * already acknowledged answers unchanged.
 */
export const acknowledgeInfrastructureUpdate = (
  deps: AppDeps,
  input: { id: string; actor: Identity },
): Promise<InfrastructureUpdate> =>
  withConflictRetry(deps, async () => {
    const [dataPlane = '', hash = '', content = ''] = input.id.split(':');
    const known = deps.config.dataPlanes.some((plane) => plane.name === dataPlane);
    const current =
      known && hash.length === 16 && content.length === 16
        ? await deps.infrastructure.getInfrastructureUpdate(dataPlane, hash)
        : null;
    if (current === null)
      throw new NotFoundError('infrastructure-update.not-found', `No infrastructure update with id ${input.id}`);
    if (current.id !== input.id) {
      throw new StateConflictError(
        'infrastructure-update.superseded',
        `Update ${input.id} was replaced by ${current.id} (the grants of ${current.repositoryArn} changed): apply and acknowledge that one instead`,
      );
    }
    if (current.status === 'acknowledged') return current;
    const at = deps.clock.now().toISOString();
    const next: InfrastructureUpdate = {
      ...current,
      status: 'acknowledged',
      acknowledgedAt: at,
      acknowledgedBy: input.actor.sub,
    };
    // A lost race (acknowledged or replaced meanwhile) throws ConcurrentUpdateError: read again.
    await deps.infrastructure.acknowledgeInfrastructureUpdate(next, {
      id: deps.ids.next(),
      at,
      actor: input.actor.sub,
      action: 'infrastructure-update.acknowledged',
      targetKey: globalTargetKey(dataPlane),
      before: { id: current.id, status: 'pending' },
      after: { id: current.id, status: 'acknowledged' },
      result: 'ok',
      detail: `${current.policy === null ? 'statement removed from' : 'policy applied to'} ${current.repositoryArn}`,
    });
    return next;
  });
