// One read-modify-write of a Google Cloud IAM policy (a bucket's, a secret's, a repository's): the
// bindings grantplane wants there are added, the ones it added before and no longer wants are
// removed, and nothing else changes. A member someone else bound, a role grantplane never
// touched, a conditional binding: all stay exactly as read. Pure: the adapter reads and writes.

/** A Google IAM policy as the APIs answer it (Policy: version, bindings, etag). */
export interface GcpIamPolicy {
  version?: number;
  bindings: GcpIamBinding[];
  etag?: string;
}

export interface GcpIamBinding {
  role: string;
  members: string[];
  condition?: unknown;
}

/** `role member`: one (role, member) pair, the unit grantplane owns. */
export type RoleMember = `${string} ${string}`;

export const roleMember = (role: string, member: string): RoleMember => `${role} ${member}`;

export interface PolicyChange {
  /** The policy to write (with the etag read), or null when it already holds exactly what is wanted. */
  policy: GcpIamPolicy | null;
  added: RoleMember[];
  removed: RoleMember[];
}

/**
 * The policy with `desired` bound and `owned − desired` unbound. `owned` is grantplane's inventory
 * for this resource: only a pair in it is ever removed, so a binding someone else made (even the
 * same role and member, if grantplane never recorded adding it) is left alone. Conditional
 * bindings are never edited: grantplane's own bindings are unconditional.
 */
export function changePolicy(
  current: GcpIamPolicy,
  desired: ReadonlySet<RoleMember>,
  owned: ReadonlySet<RoleMember>,
): PolicyChange {
  const bound = new Set<RoleMember>();
  for (const binding of current.bindings)
    if (binding.condition === undefined)
      for (const member of binding.members) bound.add(roleMember(binding.role, member));
  const added = [...desired].filter((pair) => !bound.has(pair)).sort();
  const removed = [...owned].filter((pair) => !desired.has(pair) && bound.has(pair)).sort();
  if (added.length === 0 && removed.length === 0) return { policy: null, added, removed };

  const drop = new Set(removed);
  const bindings: GcpIamBinding[] = [];
  for (const binding of current.bindings) {
    if (binding.condition !== undefined) {
      bindings.push(binding);
      continue;
    }
    const members = binding.members.filter((member) => !drop.has(roleMember(binding.role, member)));
    if (members.length > 0) bindings.push({ ...binding, members });
  }
  for (const pair of added) {
    const [role, member] = splitPair(pair);
    const existing = bindings.find((binding) => binding.role === role && binding.condition === undefined);
    if (existing === undefined) bindings.push({ role, members: [member] });
    else existing.members = [...existing.members, member];
  }
  return {
    policy: {
      ...(current.version === undefined ? {} : { version: current.version }),
      bindings,
      ...(current.etag === undefined ? {} : { etag: current.etag }),
    },
    added,
    removed,
  };
}

const splitPair = (pair: RoleMember): [string, string] => {
  const at = pair.indexOf(' ');
  return [pair.slice(0, at), pair.slice(at + 1)];
};
