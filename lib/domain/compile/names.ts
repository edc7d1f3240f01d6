import type { AwsDataPlaneConfig } from '../config.js';
import { sha256Hex } from './hash.js';

// C2 names. IAM allows 64 characters for a role name and 128 for a policy name; a name that
// would be longer keeps its readable start and ends with a stable hash of the full name, so the
// same pair always gets the same name and two long names never collide.

export const MAX_ROLE_NAME = 64;
export const MAX_POLICY_NAME = 128;

/** Shortens `name` to `max` characters with an 8-hex hash suffix of the full name. */
export function shortenName(name: string, max: number): string {
  if (name.length <= max) return name;
  const hash = sha256Hex(name).slice(0, 8);
  const head = name.slice(0, max - hash.length - 1).replace(/[-_.]+$/, '');
  return `${head}-${hash}`;
}

/** `<orgPrefix>-<project>-<domain>`, at most 64 characters (C2). */
export function pairRoleName(plane: AwsDataPlaneConfig, project: string, domain: string): string {
  return shortenName(`${plane.orgPrefix}-${project}-${domain}`, MAX_ROLE_NAME);
}

/** `grantplane-<project>-<domain>-<n>` (n from 1), at most 128 characters (C2). */
export function pairPolicyName(project: string, domain: string, n: number): string {
  const suffix = `-${n}`;
  return `${shortenName(`grantplane-${project}-${domain}`, MAX_POLICY_NAME - suffix.length)}${suffix}`;
}

/** `grantplane-global-<n>` (n from 1) (C1). */
export function globalPolicyName(n: number): string {
  return `grantplane-global-${n}`;
}
