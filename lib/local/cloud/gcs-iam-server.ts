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
import type { AddressInfo } from 'node:net';
import { readBody } from './wire.js';

export interface StoredBinding {
  role: string;
  members: string[];
  condition?: { title?: string; expression: string };
}

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
  const buckets = new Map<string, { bindings: StoredBinding[]; generation: number }>();
  const calls: GcsIamServer['calls'] = [];
  let hook: (() => void) | undefined;
  const etagOf = (generation: number) => Buffer.from(`policy-${generation}`).toString('base64');
  const policyOf = (name: string) => {
    const bucket = buckets.get(name)!;
    return {
      kind: 'storage#policy',
      resourceId: `projects/_/buckets/${name}`,
      version: bucket.bindings.some((binding) => binding.condition !== undefined) ? 3 : 1,
      bindings: bucket.bindings,
      etag: etagOf(bucket.generation),
    };
  };
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
      if (!buckets.has(name) && options.anyBucket === true && /^[a-z0-9][a-z0-9._-]{1,220}$/.test(name))
        buckets.set(name, { bindings: [], generation: 1 });
      if (!buckets.has(name)) {
        calls.push({ method: req.method ?? '', bucket: name, status: 404 });
        return fault(res, 404, 'notFound', 'The specified bucket does not exist.');
      }
      if (req.method === 'GET') return answer(200, policyOf(name));
      if (req.method !== 'PUT') return fault(res, 405, 'methodNotAllowed', 'Method not allowed');
      const run = hook;
      hook = undefined;
      run?.();
      const body = JSON.parse(text) as { bindings?: StoredBinding[]; etag?: string };
      const bucket = buckets.get(name)!;
      if (body.etag !== undefined && body.etag !== etagOf(bucket.generation)) {
        calls.push({ method: 'PUT', bucket: name, status: 412 });
        return fault(res, 412, 'conditionNotMet', 'Precondition Failed');
      }
      const bindings = body.bindings ?? [];
      if (
        bindings.some(
          (binding) =>
            typeof binding.role !== 'string' || !Array.isArray(binding.members) || binding.members.length === 0,
        )
      )
        return fault(res, 400, 'invalid', 'A binding needs a role and at least one member.');
      bucket.bindings = bindings.map((binding) => ({ ...binding, members: [...binding.members] }));
      bucket.generation += 1;
      answer(200, policyOf(name));
    })();
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    addBucket: (name, bindings = []) => {
      buckets.set(name, { bindings, generation: 1 });
    },
    bindingsOf: (name) => buckets.get(name)?.bindings ?? [],
    edit: (name, change) => {
      const bucket = buckets.get(name)!;
      bucket.bindings = change(bucket.bindings.map((binding) => ({ ...binding, members: [...binding.members] })));
      bucket.generation += 1;
    },
    beforeWrite: (next) => {
      hook = next;
    },
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
