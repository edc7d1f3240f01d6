// A stand-in for the Cloud Storage JSON API's bucket IAM calls, on the wire as
// @google-cloud/storage speaks it ("Buckets: getIamPolicy", "Buckets: setIamPolicy"):
//   GET  /storage/v1/b/<bucket>/iam[?optionsRequestedPolicyVersion=3] → 200 storage#policy with etag
//   PUT  /storage/v1/b/<bucket>/iam  {bindings, etag, version?} → 200 the stored policy, new etag;
//        a stale etag → 412 conditionNotMet (nothing written); no etag → written unconditionally
//   an unknown bucket → 404 notFound; a binding without role or members → 400 invalid.
// `beforeWrite` lets a test change the policy between a client's read and its write (a concurrent
// editor), so the client's etag is stale. `anyBucket` (the local stack): every bucket name exists,
// with an empty policy until something binds there.
import { createServer, type ServerResponse } from 'node:http';
import { closeServer, listenLocally, makePolicyBook, readBody, type StoredBinding } from './wire.js';

export type { StoredBinding } from './wire.js';

export interface GcsIamServer {
  /** For the Storage client's `apiEndpoint`. */
  endpoint: string;
  addBucket(name: string, bindings?: StoredBinding[]): void;
  bindingsOf(name: string): StoredBinding[];
  /** Changes a bucket's policy as another editor would (a new etag). */
  edit(name: string, change: (bindings: StoredBinding[]) => StoredBinding[]): void;
  /** Runs once before the next PUT is judged. */
  beforeWrite(hook: () => void): void;
  calls: { method: string; bucket: string; status: number }[];
  close(): Promise<void>;
}

const fault = (res: ServerResponse, code: number, reason: string, message: string) =>
  res
    .writeHead(code, { 'content-type': 'application/json; charset=UTF-8' })
    .end(JSON.stringify({ error: { code, message, errors: [{ domain: 'global', reason, message }] } }));

export interface GcsIamServerOptions {
  anyBucket?: boolean;
  /** Default: a free port. */
  port?: number;
}

export async function startGcsIamServer(options: GcsIamServerOptions = {}): Promise<GcsIamServer> {
  const book = makePolicyBook();
  const calls: GcsIamServer['calls'] = [];
  const policyOf = (name: string) => ({
    kind: 'storage#policy',
    resourceId: `projects/_/buckets/${name}`,
    ...book.policy(name),
  });
  const server = createServer((req, res) => {
    void (async () => {
      const text = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://gcs.local');
      const match = /^\/storage\/v1\/b\/([^/]+)\/iam$/.exec(url.pathname);
      const name = decodeURIComponent(match?.[1] ?? '');
      const answer = (status: number, body: unknown) => {
        calls.push({ method: req.method ?? '', bucket: name, status });
        res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' }).end(JSON.stringify(body));
      };
      if (match === null) return fault(res, 404, 'notFound', 'Not Found');
      if (!book.has(name) && options.anyBucket === true && /^[a-z0-9][a-z0-9._-]{1,220}$/.test(name)) book.create(name);
      if (!book.has(name)) {
        calls.push({ method: req.method ?? '', bucket: name, status: 404 });
        return fault(res, 404, 'notFound', 'The specified bucket does not exist.');
      }
      if (req.method === 'GET') return answer(200, policyOf(name));
      if (req.method !== 'PUT') return fault(res, 405, 'methodNotAllowed', 'Method not allowed');
      const body = JSON.parse(text) as { bindings?: StoredBinding[]; etag?: string };
      const written = book.write(name, body.bindings, body.etag);
      if (written === 'stale') {
        calls.push({ method: 'PUT', bucket: name, status: 412 });
        return fault(res, 412, 'conditionNotMet', 'Precondition Failed');
      }
      if (written === 'invalid') return fault(res, 400, 'invalid', 'A binding needs a role and at least one member.');
      answer(200, policyOf(name));
    })();
  });
  const port = await listenLocally(server, options.port);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    addBucket: book.create,
    bindingsOf: book.bindingsOf,
    edit: book.edit,
    beforeWrite: book.beforeWrite,
    calls,
    close: closeServer(server),
  };
}
