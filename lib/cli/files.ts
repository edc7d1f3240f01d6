// Reading the files a CI job hands to the CLI. Every failure becomes a one-line UsageError
// (exit 2) that names the file and, for a configuration, the offending key (docs/configuration.md, docs/cli.md).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
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
 * Reads an attributes file: current cluster resource attributes per pair, keyed as the engine
 * expects (see plan --help), each a map of string values.
 */
export function loadAttributesFile(path: string, cwd: string = process.cwd()): Record<string, Record<string, string>> {
  const raw = readStructuredFile(path, cwd, 'attributes');
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new UsageError(
      `attributes file ${path}: expected a mapping of "<project>/<domain>" to attributes, got ${describe(raw)}`,
    );
  }
  const result: Record<string, Record<string, string>> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new UsageError(`attributes file ${path}: ${key}: expected a mapping of attribute names to values`);
    }
    const attrs: Record<string, string> = {};
    for (const [name, attr] of Object.entries(value)) {
      if (typeof attr !== 'string' && typeof attr !== 'number' && typeof attr !== 'boolean') {
        throw new UsageError(`attributes file ${path}: ${key}.${name}: expected a string value`);
      }
      // uctl prints quota values as strings; YAML may have read `64` as a number.
      attrs[name] = String(attr);
    }
    result[key] = attrs;
  }
  return result;
}

/** Reads a file and parses it as JSON when it looks like JSON, else as YAML (a single document). */
export function readStructuredFile(path: string, cwd: string, what: string): unknown {
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
      return JSON.parse(text) as unknown;
    } catch {
      // Flow-style YAML also starts with { or [; fall through to the YAML parser.
    }
  }
  try {
    const documents = YAML.parseAllDocuments(text, { prettyErrors: true });
    if (!Array.isArray(documents)) return undefined; // an empty stream
    if (documents.length > 1) {
      throw new UsageError(
        `${prefix}${what} file ${path}: holds ${documents.length} YAML documents; put them in one list`,
      );
    }
    const document = documents[0];
    if (document === undefined) return undefined;
    const first = document.errors[0];
    if (first !== undefined) {
      const at = first.linePos?.[0];
      const where = at === undefined ? '' : ` at line ${at.line}, column ${at.col}`;
      const detail = (first.message.split('\n')[0] ?? first.message).replace(/ at line \d+, column \d+:?$/, '');
      throw new UsageError(`${prefix}${what} file ${path}: invalid YAML${where}: ${oneLine(detail)}`);
    }
    return document.toJS({ maxAliasCount: 100 }) as unknown;
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
