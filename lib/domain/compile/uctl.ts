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
  // Built from entries, not by assignment: a key such as `__proto__` stays a key of the file.
  const attributes: Record<string, string> = Object.fromEntries([
    ...(roleArn === null ? [] : [[binding.attribute, roleArn]]),
    ...Object.keys(current)
      .sort(compareStrings)
      .filter((key) => key !== binding.attribute)
      .map((key) => [key, String(current[key])]),
  ]);
  const document = { attributes, domain, project };
  return {
    file: UCTL_FILE,
    yaml: writeUctlFile(document),
    command: commandOf(binding.tool, Object.keys(attributes).length === 0 ? 'delete' : 'update'),
  };
}

/** A plane's binding from its configuration. */
export const bindingOf = (plane: Pick<AwsDataPlaneConfig, 'binding' | 'bindingAttribute'>): Binding => ({
  tool: plane.binding,
  attribute: roleAttribute(plane),
});

// The file is written here, not by a YAML library (none rides in the functions): keys plain where
// YAML reads them back as the same plain strings, every value a double-quoted scalar. JSON's string
// form is a YAML double-quoted scalar ("JSON compatibility", YAML 1.2.2 §7.3.1) once YAML's own
// escapes (§5.7) replace JSON's \u00XX forms and the characters YAML does not allow unescaped
// (DEL, the C1 controls, U+FFFE/U+FFFF) are escaped. For plain keys and printable-ASCII values
// this is byte for byte what the yaml package writes with double-quoted values, plain keys and
// no line folding (a test holds the two equal); any value reads back as written (a property test).
const PLAIN_KEY = /^[A-Za-z][A-Za-z0-9_-]*$/;
const YAML_WORDS = /^(true|false|null|yes|no|on|off|y|n)$/i;
const NAMED_ESCAPES: Readonly<Record<string, string>> = { '00': '\\0', '07': '\\a', '0b': '\\v', '1b': '\\e' };

/** A YAML double-quoted scalar holding `value`. */
export function doubleQuoted(value: string): string {
  return JSON.stringify(value).replace(
    /\\u00([0-9a-f]{2})|\\.|[\x7f-\x84\x86-\x9f\ufffe\uffff]/g,
    (token: string, low: string | undefined) => {
      if (low !== undefined) return NAMED_ESCAPES[low] ?? `\\x${low}`;
      if (token.startsWith('\\')) return token;
      const code = token.charCodeAt(0);
      return code > 0xff ? `\\u${code.toString(16)}` : `\\x${code.toString(16)}`;
    },
  );
}

const keyOf = (key: string): string => (PLAIN_KEY.test(key) && !YAML_WORDS.test(key) ? key : doubleQuoted(key));

function writeUctlFile(document: { attributes: Record<string, string>; domain: string; project: string }): string {
  const entries = Object.entries(document.attributes);
  const attributes =
    entries.length === 0
      ? 'attributes: {}\n'
      : `attributes:\n${entries.map(([key, value]) => `  ${keyOf(key)}: ${doubleQuoted(value)}\n`).join('')}`;
  return `${attributes}domain: ${doubleQuoted(document.domain)}\nproject: ${doubleQuoted(document.project)}\n`;
}
