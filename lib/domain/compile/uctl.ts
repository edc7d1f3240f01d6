import { stringify } from 'yaml';
import type { UctlUpdate } from '../model.js';
import { compareStrings } from './statements.js';

// C5 (seed 001, "Configure the cluster to use the new IAM role"): cluster_resource_attributes.yaml
// with `attributes.defaultUserRoleValue`, `domain`, `project`. `uctl update` replaces the pair's
// whole attribute map, so the pair's other current attributes are carried in the file.

export const UCTL_FILE = 'cluster_resource_attributes.yaml';
export const UCTL_COMMAND = `uctl update cluster-resource-attribute --attrFile ${UCTL_FILE}`;

/**
 * The uctl file for a pair. `roleArn` null drops `defaultUserRoleValue` (the pair's pods fall back
 * to <UserFlyteRole>). Key order: attributes (defaultUserRoleValue first, the rest sorted), domain,
 * project; every value a double-quoted string.
 */
export function uctlUpdate(
  project: string,
  domain: string,
  roleArn: string | null,
  current: Readonly<Record<string, unknown>> = {},
): UctlUpdate {
  const attributes: Record<string, string> = {};
  if (roleArn !== null) attributes['defaultUserRoleValue'] = roleArn;
  for (const key of Object.keys(current).sort(compareStrings)) {
    if (key === 'defaultUserRoleValue') continue;
    attributes[key] = String(current[key]);
  }
  const yaml = stringify(
    { attributes, domain, project },
    { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN', lineWidth: 0, sortMapEntries: false },
  );
  return { file: UCTL_FILE, yaml, command: UCTL_COMMAND };
}
