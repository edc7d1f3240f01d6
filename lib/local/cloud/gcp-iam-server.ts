// A stand-in for the IAM policy methods of Secret Manager and Artifact Registry, on the wire as
// their clients' REST transport speaks them (google.iam.v1.IAMPolicy over HTTP/JSON):
//   GET  /v1/projects/<p>/secrets/<s>:getIamPolicy[?options.requestedPolicyVersion=3]
//   GET  /v1/projects/<p>/locations/<l>/repositories/<r>:getIamPolicy   → 200 Policy {version, bindings, etag}
//   POST /v1/<resource>:setIamPolicy {policy: {bindings, etag, version?}} → 200 the stored policy, new etag;
//        a stale etag → 409 ABORTED (nothing written); no etag → written unconditionally
//   an unknown resource → 404 NOT_FOUND; a binding without role or members → 400 INVALID_ARGUMENT.
// `anyResource` (the local stack): every secret and repository name exists, with an empty policy.
import { createServer, type ServerResponse } from 'node:http';
import { bearerToken, closeServer, listenLocally, makePolicyBook, readBody, type StoredBinding } from './wire.js';

export interface GcpIamServer {
  /** `http://127.0.0.1:<port>`; the clients take `apiEndpoint: 127.0.0.1`, `port` and `protocol: 'http'`. */
  endpoint: string;
  port: number;
  addResource(name: string, bindings?: StoredBinding[]): void;
  bindingsOf(name: string): StoredBinding[];
  /** Changes a resource's policy as another editor would (a new etag). */
  edit(name: string, change: (bindings: StoredBinding[]) => StoredBinding[]): void;
  /** Runs once before the next setIamPolicy is judged (a concurrent editor, in tests). */
  beforeWrite(hook: () => void): void;
  calls: { method: string; resource: string; status: number }[];
  close(): Promise<void>;
}

const RESOURCE =
  /^\/v1\/(projects\/[^/]+\/(?:secrets\/[^/:]+|locations\/[^/]+\/repositories\/[^/:]+)):(getIamPolicy|setIamPolicy)$/;

const fault = (res: ServerResponse, code: number, status: string, message: string) =>
  res
    .writeHead(code, { 'content-type': 'application/json; charset=UTF-8' })
    .end(JSON.stringify({ error: { code, message, status } }));

export async function startGcpIamServer(
  options: {
    anyResource?: boolean;
    port?: number;
    /** Which bearer tokens are valid (an identity provider's); without it, any is. */
    acceptsToken?: (token: string) => boolean;
  } = {},
): Promise<GcpIamServer> {
  const book = makePolicyBook();
  const calls: GcpIamServer['calls'] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const text = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://iam.local');
      const match = RESOURCE.exec(decodeURIComponent(url.pathname));
      if (match === null) return fault(res, 404, 'NOT_FOUND', `No route for ${url.pathname}`);
      const bearer = bearerToken(req);
      if (bearer === undefined || options.acceptsToken?.(bearer) === false)
        return fault(
          res,
          401,
          'UNAUTHENTICATED',
          'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
        );
      const [, name = '', method] = match;
      const answer = (status: number, body: unknown) => {
        calls.push({ method: method ?? '', resource: name, status });
        res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' }).end(JSON.stringify(body));
      };
      if (!book.has(name) && options.anyResource === true) book.create(name);
      if (!book.has(name)) {
        calls.push({ method: method ?? '', resource: name, status: 404 });
        return fault(res, 404, 'NOT_FOUND', `${name} not found`);
      }
      if (method === 'getIamPolicy') return answer(200, book.policy(name));
      const body = JSON.parse(text === '' ? '{}' : text) as { policy?: { bindings?: StoredBinding[]; etag?: string } };
      const written = book.write(name, body.policy?.bindings, body.policy?.etag);
      if (written === 'stale') {
        calls.push({ method: 'setIamPolicy', resource: name, status: 409 });
        return fault(
          res,
          409,
          'ABORTED',
          'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.',
        );
      }
      if (written === 'invalid')
        return fault(res, 400, 'INVALID_ARGUMENT', 'A binding needs a role and at least one member.');
      answer(200, book.policy(name));
    })();
  });
  const port = await listenLocally(server, options.port);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    addResource: book.create,
    bindingsOf: book.bindingsOf,
    edit: book.edit,
    beforeWrite: book.beforeWrite,
    calls,
    close: closeServer(server),
  };
}
