// Which target a table stream record concerns (docs/applier.md): the applier reacts to
//   - a target whose desired state changed (INSERT, or desiredVersion moved) — the recompute's write;
//   - a grant that became `approved` or `revoking` — it may need no IAM change at all (R9: identical
//     to a grant already applied), or its recompute may have died before writing the target;
//   - a uctl attribute update that became `acknowledged` — the role it stopped pointing at may now
//     be deleted (A3).
// Everything else (the applier's own outcome writes, audit events, leases, ...) is ignored, so the
// applier never feeds itself. Works on the Lambda event's shape and the local poller's alike.

/** A stream attribute value as far as the applier reads it (S and N only). */
export interface StreamAttribute {
  S?: string | undefined;
  N?: string | undefined;
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
  targetKey: string;
  /** The grant the record is about (read strongly consistent as a candidate). */
  grantId?: string;
}

const text = (image: StreamImage | undefined, name: string): string | undefined => image?.[name]?.S;
const number = (image: StreamImage | undefined, name: string): string | undefined => image?.[name]?.N;

/** The target a record asks the applier to look at, or null when it asks nothing. */
export function touchOf(record: StreamRecordLike): Touch | null {
  if (record.eventName !== 'INSERT' && record.eventName !== 'MODIFY') return null;
  const next = record.dynamodb?.NewImage;
  const previous = record.dynamodb?.OldImage;
  switch (text(next, 'type')) {
    case 'target': {
      const targetKey = text(next, 'targetKey');
      if (targetKey === undefined || number(next, 'desiredVersion') === number(previous, 'desiredVersion')) return null;
      return { targetKey };
    }
    case 'grant': {
      const status = text(next, 'status');
      const targetKey = text(next, 'targetKey');
      const grantId = text(next, 'id');
      if (targetKey === undefined || grantId === undefined || (status !== 'approved' && status !== 'revoking'))
        return null;
      if (text(previous, 'status') === status) return null;
      return { targetKey, grantId };
    }
    case 'attribute-update': {
      if (text(next, 'status') !== 'acknowledged' || text(previous, 'status') === 'acknowledged') return null;
      const [plane, project, domain] = [text(next, 'dataPlane'), text(next, 'project'), text(next, 'domain')];
      if (plane === undefined || project === undefined || domain === undefined) return null;
      return { targetKey: `${plane}#${project}#${domain}` };
    }
    default:
      return null;
  }
}
