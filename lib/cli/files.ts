// Reading the files a CI job hands to the CLI. Every failure becomes a one-line UsageError
// (exit 2) that names the file and, for a configuration, the offending key (docs/configuration.md, docs/cli.md).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as YAML from 'yaml';
import { ConfigError, parseConfig, type ConfigProblem, type GrantplaneConfig } from '../domain/config.js';
import { UsageError, configErrorText, isConfigError, oneLine } from './io.js';

/** Reads and parses a configuration file (YAML or JSON); any problem → UsageError `config error: <key>: <message>`. */
export function loadConfigFile(path: string, cwd: string = process.cwd()): GrantplaneConfig {
  const raw = readStructuredFile(path, cwd, 'config');
  if (raw === undefined || raw === null) throw new UsageError(`config error: ${path}: the file is empty`);
  try {
    return parseConfig(raw);
  } catch (error: unknown) {
    if (error instanceof ConfigError) {
      // Every problem at once, each with the line it is on, on one line (CI logs read line by line).
      const text = readFileSync(resolve(cwd, path), 'utf8');
      const where = (problem: ConfigProblem) => {
        const line = lineOf(text, problem.path);
        return line === undefined ? '' : ` (${path}:${line})`;
      };
      const all = error.problems.map((problem) => `${problem.key}: ${oneLine(problem.message)}${where(problem)}`);
      const count = all.length > 1 ? ` [${all.length} problems]` : '';
      throw new UsageError(`config error: ${all.join('; ')}${count}`, { cause: error });
    }
    if (isConfigError(error)) throw new UsageError(`config error: ${configErrorText(error)}`, { cause: error });
    throw error;
  }
}

/**
 * The line of `text` (YAML or JSON) that `path` names: the key itself where it is written, else the
 * nearest enclosing entry (a missing key: the mapping it is missing from).
 */
export function lineOf(text: string, path: readonly (string | number)[]): number | undefined {
  const counter = new YAML.LineCounter();
  const document = YAML.parseDocument(text, { lineCounter: counter });
  let node: unknown = document.contents;
  let offset = YAML.isNode(node) ? node.range?.[0] : undefined;
  for (const part of path) {
    if (YAML.isMap(node)) {
      const pair = node.items.find((item) => YAML.isScalar(item.key) && String(item.key.value) === String(part));
      if (pair === undefined) break;
      offset = YAML.isNode(pair.key) ? pair.key.range?.[0] : offset;
      node = pair.value;
    } else if (YAML.isSeq(node) && typeof part === 'number') {
      const item = node.items[part];
      if (!YAML.isNode(item)) break;
      offset = item.range?.[0];
      node = item;
    } else break;
  }
  return offset === undefined ? undefined : counter.linePos(offset).line;
}

/**
 * Reads a grants file: a JSON or YAML array of grant requests, or an object `{ grants: [...] }`
 * (the body of `POST /v1/plan` and of a git sync, so the same file serves both). Anything else
 * → UsageError. Entries are returned as-is: validating them is the engine's job (rejections, exit 1).
 */
export function loadGrantsFile(path: string, cwd: string = process.cwd()): unknown[] {
  const raw = readStructuredFile(path, cwd, 'grants');
  if (Array.isArray(raw)) return raw;
  if (typeof raw === 'object' && raw !== null && Array.isArray((raw as { grants?: unknown }).grants)) {
    return (raw as { grants: unknown[] }).grants;
  }
  throw new UsageError(
    `grants file ${path}: expected an array of grant requests (or an object with a "grants" array), got ${describe(raw)}`,
  );
}

/**
 * Reads current cluster resource attributes per pair from a file or a folder of files, keyed
 * `<project>/<domain>` or `<dataPlane>/<project>/<domain>`. Each file holds what `uctl get
 * cluster-resource-attribute -p P -d D` prints (JSON or YAML: `{attributes, project, domain}`),
 * several of them (a YAML stream split by `---`, or a JSON list), or a mapping keyed by pair. In a
 * folder, every .yaml/.yml/.json file counts; a subfolder named after a data plane holds that
 * plane's pairs.
 */
export function loadAttributesFile(path: string, cwd: string = process.cwd()): Record<string, Record<string, string>> {
  const result: Record<string, Record<string, string>> = {};
  const add = (key: string, attributes: Record<string, string>, file: string) => {
    if (Object.hasOwn(result, key)) throw new UsageError(`attributes file ${file}: ${key} is given twice`);
    result[key] = attributes;
  };
  for (const { file, plane } of attributeFiles(resolve(cwd, path), path)) {
    const prefix = plane === undefined ? '' : `${plane}/`;
    for (const document of readStructuredDocuments(file, cwd, 'attributes').flatMap((doc) =>
      Array.isArray(doc) ? doc : [doc],
    )) {
      if (document === null || document === undefined) continue;
      if (typeof document !== 'object' || Array.isArray(document))
        throw new UsageError(
          `attributes file ${file}: expected what uctl get cluster-resource-attribute prints ({attributes, project, domain}) or a mapping of "<project>/<domain>" to attributes, got ${describe(document)}`,
        );
      const record = document as Record<string, unknown>;
      if (isUctlOutput(record)) {
        if (typeof record.project !== 'string' || typeof record.domain !== 'string')
          throw new UsageError(
            `attributes file ${file}: an output of uctl get names no project and domain: save what uctl get cluster-resource-attribute -p <project> -d <domain> prints, whole`,
          );
        add(
          `${prefix}${record.project}/${record.domain}`,
          attributeMap(record.attributes, file, `${record.project}/${record.domain}`),
          file,
        );
        continue;
      }
      for (const [key, value] of Object.entries(record)) {
        const attributes = isUctlOutput(value) ? value.attributes : value;
        add(`${prefix}${key}`, attributeMap(attributes, file, key), file);
      }
    }
  }
  return result;
}

/** `{attributes: {...}, project?, domain?}`: what uctl get prints. */
const isUctlOutput = (value: unknown): value is { attributes: unknown; project?: unknown; domain?: unknown } =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  Object.hasOwn(value, 'attributes') &&
  Object.keys(value).every((key) => ['attributes', 'project', 'domain'].includes(key));

function attributeMap(value: unknown, file: string, key: string): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new UsageError(`attributes file ${file}: ${key}: expected a mapping of attribute names to values`);
  const attrs: Record<string, string> = {};
  for (const [name, attr] of Object.entries(value)) {
    if (typeof attr !== 'string' && typeof attr !== 'number' && typeof attr !== 'boolean')
      throw new UsageError(`attributes file ${file}: ${key}.${name}: expected a string value`);
    // uctl prints quota values as strings; YAML may have read `64` as a number.
    attrs[name] = String(attr);
  }
  return attrs;
}

/** The files a path names: itself, or a folder's .yaml/.yml/.json files and its plane subfolders' files. */
function attributeFiles(absolute: string, given: string): { file: string; plane?: string }[] {
  let stats;
  try {
    stats = statSync(absolute);
  } catch {
    throw new UsageError(`cannot read attributes file ${given}: no such file`);
  }
  if (!stats.isDirectory()) return [{ file: given }];
  const wanted = (name: string) => /\.(ya?ml|json)$/i.test(name);
  const files: { file: string; plane?: string }[] = [];
  for (const entry of readdirSync(absolute, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.isFile() && wanted(entry.name)) files.push({ file: join(given, entry.name) });
    else if (entry.isDirectory())
      for (const inner of readdirSync(join(absolute, entry.name)).sort())
        if (wanted(inner)) files.push({ file: join(given, entry.name, inner), plane: entry.name });
  }
  return files;
}

/** Reads a file and parses it as JSON when it looks like JSON, else as YAML (a single document). */
export function readStructuredFile(path: string, cwd: string, what: string): unknown {
  const documents = readStructuredDocuments(path, cwd, what);
  if (documents.length > 1) {
    const prefix = what === 'config' ? 'config error: ' : '';
    throw new UsageError(
      `${prefix}${what} file ${path}: holds ${documents.length} YAML documents; put them in one list`,
    );
  }
  return documents[0];
}

/** Every document of a JSON or YAML file (a YAML stream may hold several, split by `---`). */
export function readStructuredDocuments(path: string, cwd: string, what: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(resolve(cwd, path), 'utf8');
  } catch (error: unknown) {
    const code = (error as { code?: unknown }).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : errorMessage(error);
    throw new UsageError(`${what === 'config' ? 'config error: ' : ''}cannot read ${what} file ${path}: ${reason}`, {
      cause: error,
    });
  }
  const prefix = what === 'config' ? 'config error: ' : '';
  const trimmed = text.trimStart();
  // JSON first when it looks like JSON: its error messages are clearer for JSON files.
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return [JSON.parse(text) as unknown];
    } catch {
      // Flow-style YAML also starts with { or [; fall through to the YAML parser.
    }
  }
  try {
    const documents = YAML.parseAllDocuments(text, { prettyErrors: true });
    if (!Array.isArray(documents)) return []; // an empty stream
    return documents.map((document) => {
      const first = document.errors[0];
      if (first !== undefined) {
        const at = first.linePos?.[0];
        const where = at === undefined ? '' : ` at line ${at.line}, column ${at.col}`;
        const detail = (first.message.split('\n')[0] ?? first.message).replace(/ at line \d+, column \d+:?$/, '');
        throw new UsageError(`${prefix}${what} file ${path}: invalid YAML${where}: ${oneLine(detail)}`);
      }
      return document.toJS({ maxAliasCount: 100 }) as unknown;
    });
  } catch (error: unknown) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${prefix}${what} file ${path}: cannot parse: ${oneLine(errorMessage(error))}`, {
      cause: error,
    });
  }
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'an empty file';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object without a "grants" array' : `a ${typeof value}`;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
