// What the cloud stand-ins share: reading a request's body and its bearer token, the book of
// policies the Google Cloud IAM ones keep (bindings with an etag per resource, a write judged on its
// etag), and their server's life.
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const readBody = async (req: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

/** The token of a request's `Authorization: Bearer <token>`, or undefined without one. */
export const bearerToken = (req: IncomingMessage): string | undefined =>
  /^Bearer (\S+)$/.exec(String(req.headers.authorization ?? ''))?.[1];

export interface StoredBinding {
  role: string;
  members: string[];
  condition?: { title?: string; expression: string };
}

/** Resources' IAM policies as Google's APIs keep them: each write of a resource gives it a new etag. */
export interface PolicyBook {
  has(name: string): boolean;
  create(name: string, bindings?: StoredBinding[]): void;
  bindingsOf(name: string): StoredBinding[];
  /** Changes a policy as another editor would (a new etag). */
  edit(name: string, change: (bindings: StoredBinding[]) => StoredBinding[]): void;
  /** Runs once before the next write is judged. */
  beforeWrite(hook: () => void): void;
  policy(name: string): { version: number; bindings: StoredBinding[]; etag: string };
  /**
   * Judges a client's write: the hook first (a concurrent editor), then the etag (`stale`: nothing
   * written; none given: written unconditionally), then the bindings (`invalid`: one lacks a role or
   * members).
   */
  write(name: string, bindings: StoredBinding[] | undefined, etag: string | undefined): 'written' | 'stale' | 'invalid';
}

export function makePolicyBook(): PolicyBook {
  const policies = new Map<string, { bindings: StoredBinding[]; generation: number }>();
  let hook: (() => void) | undefined;
  const etagOf = (generation: number) => Buffer.from(`policy-${generation}`).toString('base64');
  const copy = (bindings: StoredBinding[]) =>
    bindings.map((binding) => ({ ...binding, members: [...binding.members] }));
  return {
    has: (name) => policies.has(name),
    create: (name, bindings = []) => {
      policies.set(name, { bindings, generation: 1 });
    },
    bindingsOf: (name) => policies.get(name)?.bindings ?? [],
    edit: (name, change) => {
      const found = policies.get(name)!;
      found.bindings = change(copy(found.bindings));
      found.generation += 1;
    },
    beforeWrite: (next) => {
      hook = next;
    },
    policy: (name) => {
      const found = policies.get(name)!;
      return {
        version: found.bindings.some((binding) => binding.condition !== undefined) ? 3 : 1,
        bindings: found.bindings,
        etag: etagOf(found.generation),
      };
    },
    write: (name, bindings = [], etag) => {
      const run = hook;
      hook = undefined;
      run?.();
      const found = policies.get(name)!;
      if (etag !== undefined && etag !== etagOf(found.generation)) return 'stale';
      if (bindings.some((b) => typeof b.role !== 'string' || !Array.isArray(b.members) || b.members.length === 0))
        return 'invalid';
      found.bindings = bindings.map((binding) => ({
        role: binding.role,
        members: [...binding.members],
        ...(binding.condition === undefined || binding.condition === null ? {} : { condition: binding.condition }),
      }));
      found.generation += 1;
      return 'written';
    },
  };
}

/** Listens on 127.0.0.1 (`port`, or a free one) and answers the port. */
export async function listenLocally(server: Server, port = 0): Promise<number> {
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** Stops a stand-in's server, open connections included. */
export const closeServer = (server: Server) => (): Promise<void> =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
