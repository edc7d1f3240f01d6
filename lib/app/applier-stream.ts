// Which targets a change of the table asks the applier to run (docs/applier.md "What wakes it up"):
//   - a target whose desired state changed — the recompute's write;
//   - a planning unit marked compiled — its grants may move on, even when no target changed (R9: a
//     grant identical to one already applied needs no IAM change); the global unit's is the plane's
//     global target;
//   - a uctl attribute update that became `acknowledged` — the role it stopped pointing at may now
//     be deleted (A3).
import { type TableChange } from '../domain/ports.js';
import { GLOBAL_UNIT, globalTargetKey, targetKey } from '../domain/records.js';

/** The target keys to run for a change (none for null: a record nobody reacts to). */
export function targetsOfChange(change: TableChange | null): string[] {
  if (change === null) return [];
  switch (change.kind) {
    case 'target-desired':
      return [change.targetKey];
    case 'unit-compiled':
      return change.unit === GLOBAL_UNIT ? [globalTargetKey(change.dataPlane)] : change.targetKeys;
    case 'attribute-update-acknowledged':
      return [targetKey(change.dataPlane, { type: 'project-domain', project: change.project, domain: change.domain })];
  }
}
