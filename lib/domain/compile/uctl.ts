import { stringify } from 'yaml';
import { roleAttribute, type AwsDataPlaneConfig } from '../config.js';
import type { UctlUpdate } from '../model.js';
import { compareStrings } from './statements.js';

// C5 (seed 001, "Configure the cluster to use the new IAM role"): cluster_resource_attributes.yaml
// with `attributes.defaultUserRoleValue`, `domain`, `project`. `uctl update` replaces the pair's
// whole attribute map, so the pair's other current attributes are carried in the file.

export const UCTL_FILE = 'cluster_resource_attributes.yaml';

const commandOf = (tool: Binding['tool'], verb: 'update' | 'delete'): string =>
  `${tool} ${verb} cluster-resource-attribute --attrFile ${UCTL_FILE}`;

export const UCTL_COMMAND = commandOf('uctl', 'update');

/** How a plane points a pair at its role: the tool and the attribute (docs/configuration.md `binding`). */
export interface Binding {
  tool: 'uctl' | 'flytectl';
  attribute: string;
}

/** Union's: `uctl update cluster-resource-attribute` with `defaultUserRoleValue` (seed 001). */
export const UCTL_BINDING: Binding = { tool: 'uctl', attribute: 'defaultUserRoleValue' };
/**
 * For a pair left with no attribute at all (its role dropped, nothing else set): an update with an
 * empty map would store an empty override; delete removes the pair's cluster resource attributes,
 * reading only `project` and `domain` from the file ("Attributes are optional in the file as they
 * are unread during the delete command", flytectl delete cluster-resource-attribute).
 */
export const UCTL_DELETE_COMMAND = commandOf('uctl', 'delete');

/**
 * The uctl file for a pair. `roleArn` null drops the binding's attribute (`defaultUserRoleValue`:
 * the pair's pods fall back to <UserFlyteRole>); when no other attribute remains, the command is the
 * delete. Key order: attributes (the role's first, the rest sorted), domain, project; every value a
 * double-quoted string. A Flyte OSS plane binds through flytectl and `defaultIamRole`.
 */
export function uctlUpdate(
  project: string,
  domain: string,
  roleArn: string | null,
  current: Readonly<Record<string, unknown>> = {},
  binding: Binding = UCTL_BINDING,
): UctlUpdate {
  const attributes: Record<string, string> = {};
  if (roleArn !== null) attributes[binding.attribute] = roleArn;
  for (const key of Object.keys(current).sort(compareStrings)) {
    if (key === binding.attribute) continue;
    attributes[key] = String(current[key]);
  }
  const document = { attributes, domain, project };
  return {
    file: UCTL_FILE,
    yaml: isSimple(document) ? writeSimple(document) : writeWithLibrary(document),
    command: commandOf(binding.tool, Object.keys(attributes).length === 0 ? 'delete' : 'update'),
  };
}

/** A plane's binding from its configuration. */
export const bindingOf = (plane: Pick<AwsDataPlaneConfig, 'binding' | 'bindingAttribute'>): Binding => ({
  tool: plane.binding,
  attribute: roleAttribute(plane),
});

/** The `yaml` package's rendering: double-quoted values, plain keys, no line folding. */
export function writeWithLibrary(document: {
  attributes: Record<string, string>;
  domain: string;
  project: string;
}): string {
  return stringify(document, {
    defaultStringType: 'QUOTE_DOUBLE',
    defaultKeyType: 'PLAIN',
    lineWidth: 0,
    sortMapEntries: false,
  });
}

// Fast path for the common case (a plan writes one file per pair, thousands per plan): keys that
// YAML reads as plain strings and printable-ASCII values, for which a JSON string *is* the YAML
// double-quoted scalar the library writes. A test holds the two renderings equal.
const PLAIN_KEY = /^[A-Za-z][A-Za-z0-9_-]*$/;
const YAML_WORDS = /^(true|false|null|yes|no|on|off|y|n)$/i;
const PRINTABLE = /^[\x20-\x7e]*$/;

function isSimple(document: { attributes: Record<string, string>; domain: string; project: string }): boolean {
  const keyOk = (key: string) => PLAIN_KEY.test(key) && !YAML_WORDS.test(key);
  return (
    Object.entries(document.attributes).every(([key, value]) => keyOk(key) && PRINTABLE.test(value)) &&
    PRINTABLE.test(document.domain) &&
    PRINTABLE.test(document.project)
  );
}

function writeSimple(document: { attributes: Record<string, string>; domain: string; project: string }): string {
  const entries = Object.entries(document.attributes);
  const attributes =
    entries.length === 0
      ? 'attributes: {}\n'
      : `attributes:\n${entries.map(([key, value]) => `  ${key}: ${JSON.stringify(value)}\n`).join('')}`;
  return `${attributes}domain: ${JSON.stringify(document.domain)}\nproject: ${JSON.stringify(document.project)}\n`;
}
