// Table stream records decoded (docs/data-model.md "Streams"): the changes of the table the applier
// reacts to, read from the record's old and new images with the item layout of items.ts. Works on
// the Lambda event's shape and the local poller's alike.
import type { TableChange } from '../../domain/ports.js';
import { ITEM_TYPE } from './items.js';
import type { AuditFacts } from '../../domain/notifications.js';

/** A stream attribute value as far as the decoding reads it (S, N and SS only). */
export interface StreamAttribute {
  S?: string | undefined;
  M?: unknown;
  N?: string | undefined;
  SS?: readonly string[] | undefined;
}

export type StreamImage = Record<string, StreamAttribute | undefined>;

/** The part of a DynamoDB stream record that is decoded. */
export interface StreamRecordLike {
  eventName?: 'INSERT' | 'MODIFY' | 'REMOVE' | undefined;
  dynamodb?:
    | { NewImage?: StreamImage | undefined; OldImage?: StreamImage | undefined; SequenceNumber?: string | undefined }
    | undefined;
}

const text = (image: StreamImage | undefined, name: string): string | undefined => image?.[name]?.S;
const number = (image: StreamImage | undefined, name: string): string | undefined => image?.[name]?.N;

/**
 * The change a record stands for, or null for one nobody reacts to: a target whose desired state
 * moved (INSERT, or desiredVersion changed), a planning unit marked compiled (`compiled` changed),
 * a uctl attribute update that became `acknowledged`. Everything else — the applier's own outcome
 * writes, audit events, leases, grants — is null, so the applier never feeds itself.
 */
export function tableChangeOf(record: StreamRecordLike): TableChange | null {
  if (record.eventName !== 'INSERT' && record.eventName !== 'MODIFY') return null;
  const next = record.dynamodb?.NewImage;
  const previous = record.dynamodb?.OldImage;
  switch (text(next, 'type')) {
    case ITEM_TYPE.target: {
      const targetKey = text(next, 'targetKey');
      if (targetKey === undefined || number(next, 'desiredVersion') === number(previous, 'desiredVersion')) return null;
      return { kind: 'target-desired', targetKey };
    }
    case ITEM_TYPE.unit: {
      const [dataPlane, unit] = [text(next, 'dataPlane'), text(next, 'unit')];
      if (dataPlane === undefined || unit === undefined || number(next, 'compiled') === number(previous, 'compiled'))
        return null;
      return { kind: 'unit-compiled', dataPlane, unit, targetKeys: [...(next?.targetKeys?.SS ?? [])].sort() };
    }
    case ITEM_TYPE.attributeUpdate: {
      if (text(next, 'status') !== 'acknowledged' || text(previous, 'status') === 'acknowledged') return null;
      const [dataPlane, project, domain] = [text(next, 'dataPlane'), text(next, 'project'), text(next, 'domain')];
      if (dataPlane === undefined || project === undefined || domain === undefined) return null;
      return { kind: 'attribute-update-acknowledged', dataPlane, project, domain };
    }
    default:
      return null;
  }
}

/** A new audit event in the stream (an INSERT of an audit item): the facts the notifier reads, or null. */
export function auditFactsOf(record: StreamRecordLike): AuditFacts | null {
  if (record.eventName !== 'INSERT') return null;
  const next = record.dynamodb?.NewImage;
  if (text(next, 'type') !== ITEM_TYPE.audit) return null;
  const [id, action, actor, at] = [text(next, 'id'), text(next, 'action'), text(next, 'actor'), text(next, 'at')];
  if (id === undefined || action === undefined || actor === undefined || at === undefined) return null;
  const grantId = text(next, 'grantId');
  const detail = text(next, 'detail');
  const status = (next?.after as { M?: StreamImage } | undefined)?.M?.status?.S;
  return {
    id,
    action,
    actor,
    at,
    ...(grantId === undefined ? {} : { grantId }),
    ...(detail === undefined ? {} : { detail }),
    ...(status === undefined ? {} : { status }),
  };
}
