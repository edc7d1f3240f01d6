// Which target a table stream record concerns (docs/applier.md): the applier reacts to
//   - a target whose desired state changed (INSERT, or desiredVersion moved) — the recompute's write;
//   - a planning unit marked compiled (its `compiled` moved) — its grants may move on, even when no
//     target changed (R9: a grant identical to one already applied needs no IAM change);
//   - a uctl attribute update that became `acknowledged` — the role it stopped pointing at may now
//     be deleted (A3).
// Everything else (the applier's own outcome writes, audit events, leases, ...) is ignored, so the
// applier never feeds itself. Works on the Lambda event's shape and the local poller's alike.

import { GLOBAL_UNIT, globalTargetKey, targetKey } from '../domain/ports.js';

/** A stream attribute value as far as the applier reads it (S, N and SS only). */
export interface StreamAttribute {
  S?: string | undefined;
  N?: string | undefined;
  SS?: readonly string[] | undefined;
}

export type StreamImage = Record<string, StreamAttribute | undefined>;

/** The part of a DynamoDB stream record the applier reads. */
export interface StreamRecordLike {
  eventName?: 'INSERT' | 'MODIFY' | 'REMOVE' | undefined;
  dynamodb?:
    | { NewImage?: StreamImage | undefined; OldImage?: StreamImage | undefined; SequenceNumber?: string | undefined }
    | undefined;
}

/** What one record asks of the applier. */
export interface Touch {
  targetKeys: string[];
}

const text = (image: StreamImage | undefined, name: string): string | undefined => image?.[name]?.S;
const number = (image: StreamImage | undefined, name: string): string | undefined => image?.[name]?.N;

/** The targets a record asks the applier to look at, or null when it asks nothing. */
export function touchOf(record: StreamRecordLike): Touch | null {
  if (record.eventName !== 'INSERT' && record.eventName !== 'MODIFY') return null;
  const next = record.dynamodb?.NewImage;
  const previous = record.dynamodb?.OldImage;
  switch (text(next, 'type')) {
    case 'target': {
      const targetKey = text(next, 'targetKey');
      if (targetKey === undefined || number(next, 'desiredVersion') === number(previous, 'desiredVersion')) return null;
      return { targetKeys: [targetKey] };
    }
    case 'unit': {
      const [plane, unit] = [text(next, 'dataPlane'), text(next, 'unit')];
      if (plane === undefined || unit === undefined || number(next, 'compiled') === number(previous, 'compiled'))
        return null;
      const targetKeys = unit === GLOBAL_UNIT ? [globalTargetKey(plane)] : (next?.targetKeys?.SS ?? []);
      return targetKeys.length === 0 ? null : { targetKeys: [...targetKeys].sort() };
    }
    case 'attribute-update': {
      if (text(next, 'status') !== 'acknowledged' || text(previous, 'status') === 'acknowledged') return null;
      const [plane, project, domain] = [text(next, 'dataPlane'), text(next, 'project'), text(next, 'domain')];
      if (plane === undefined || project === undefined || domain === undefined) return null;
      return { targetKeys: [targetKey(plane, { type: 'project-domain', project, domain })] };
    }
    default:
      return null;
  }
}
