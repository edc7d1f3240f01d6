// Section: cold start of what ships. `cdk synth` builds every Lambda bundle exactly as a deployment
// does; each bundle is then imported in a fresh Node process (the template's runtime and
// NODE_OPTIONS, its folder alone — Lambda's init phase), side by side with a bare handler bundled
// the same way that imports only the same AWS SDK clients (read from the bundle's source map).
// Goal: each bundle ≤ 1.5× its bare handler. Also printed: the same import with
// --enable-source-maps, i.e. what parsing the source map at start would cost (the bundles map
// stacks lazily instead: functions/shared/stack-traces.ts).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { nodeFor, REPO, resourcesOf, synthesize, type Synthesized } from '../../test/deployed/harness.js';
import { benchConfig } from '../fixtures.js';
import { defineSection, median, type BenchMeasurement, type BenchRatio } from '../harness.js';
import { ms } from '../lib-stats.js';

const RUNS = 7;
const progress = (message: string) => process.stderr.write(`  … ${message}\n`);

/** Imports `file` in a new process and prints how long the import took (ms). */
const IMPORTER = `const start = performance.now();
const mod = await import(process.argv[2]);
if (typeof mod.handler !== 'function') throw new Error('no handler export');
process.stdout.write(String(performance.now() - start));
`;

interface Bundle {
  description: string;
  file: string;
  runtime: string;
  nodeOptions: string;
  clients: string[];
}

/** The bundles of the synthesized stack, each copied alone to a folder of its own. */
function bundlesOf(synth: Synthesized): Bundle[] {
  return resourcesOf(synth.stateless, 'AWS::Lambda::Function').map(([id, resource]) => {
    const props = resource.Properties ?? {};
    const folder = mkdtempSync(join(tmpdir(), `cold-${id}-`));
    cpSync(join(synth.outDir, String(resource.Metadata?.['aws:asset:path'])), folder, { recursive: true });
    const variables = ((props['Environment'] as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
      {}) as Record<string, unknown>;
    const sources = (JSON.parse(readFileSync(join(folder, 'index.mjs.map'), 'utf8')) as { sources: string[] }).sources;
    const clients = [
      ...new Set(
        sources.map((source) => /@aws-sdk\/(client-[a-z0-9-]+|lib-dynamodb)\//.exec(source)?.[1]).filter(Boolean),
      ),
    ] as string[];
    return {
      description: String(props['Description'] ?? id),
      file: join(folder, 'index.mjs'),
      runtime: String(props['Runtime']),
      nodeOptions: typeof variables['NODE_OPTIONS'] === 'string' ? variables['NODE_OPTIONS'] : '',
      clients: clients.sort(),
    };
  });
}

/** The client class of each SDK package a bundle may use. */
const CLIENT_CLASS: Record<string, string> = {
  'client-dynamodb': 'DynamoDBClient',
  'client-dynamodb-streams': 'DynamoDBStreamsClient',
  'client-iam': 'IAMClient',
  'client-lambda': 'LambdaClient',
  'client-secrets-manager': 'SecretsManagerClient',
  'client-sts': 'STSClient',
  'lib-dynamodb': 'DynamoDBDocumentClient',
};

/** A handler that only builds the given SDK clients, bundled with the deployment's esbuild options. */
async function bareBundle(clients: readonly string[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'cold-bare-'));
  const imports = clients.map((name) => {
    const className = CLIENT_CLASS[name];
    if (className === undefined) throw new Error(`cold-import: no client class known for @aws-sdk/${name}`);
    return { name, className };
  });
  const dynamo = clients.includes('client-dynamodb');
  const built = imports.map(({ name, className }) =>
    name === 'lib-dynamodb'
      ? dynamo
        ? `${className}.from(new DynamoDBClient({}))`
        : `${className}`
      : `new ${className}({})`,
  );
  writeFileSync(
    join(dir, 'entry.mjs'),
    [
      ...imports.map(({ name, className }) => `import { ${className} } from '@aws-sdk/${name}';`),
      `const clients = [${built.join(', ')}];`,
      'export const handler = async () => ({ statusCode: 200, body: String(clients.length) });',
      '',
    ].join('\n'),
  );
  await build({
    entryPoints: [join(dir, 'entry.mjs')],
    outfile: join(dir, 'index.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    mainFields: ['module', 'main'],
    minify: true,
    sourcemap: true,
    banner: {
      js: "import { createRequire as __grantplaneCreateRequire } from 'node:module'; const require = __grantplaneCreateRequire(import.meta.url);",
    },
    nodePaths: [join(REPO, 'node_modules')],
    logLevel: 'warning',
  });
  return join(dir, 'index.mjs');
}

function importMs(node: string, file: string, nodeOptions: string): number {
  const dir = mkdtempSync(join(tmpdir(), 'cold-run-'));
  const script = join(dir, 'import.mjs');
  writeFileSync(script, IMPORTER);
  const run = spawnSync(node, [script, `file://${file}`], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_OPTIONS: nodeOptions, AWS_REGION: 'us-west-2' },
    timeout: 60_000,
  });
  if (run.status !== 0) throw new Error(`importing ${file} failed: ${run.stderr.slice(0, 400)}`);
  return Number(run.stdout);
}

export default defineSection({
  name: 'cold-import',
  description: `each synthesized Lambda bundle's import in a fresh process vs a bare handler with the same SDK clients, median of ${RUNS}`,
  async run() {
    const work = mkdtempSync(join(tmpdir(), 'cold-import-'));
    const config = join(work, 'grantplane.config.json');
    writeFileSync(config, JSON.stringify(benchConfig()));
    progress('cdk synth (bundles every function)');
    const synth = synthesize({
      'grantplane:config': config,
      jwtIssuer: 'https://acme.okta.com/oauth2/default',
      homeAccount: '123456789012',
    });
    const bundles = bundlesOf(synth);
    const bare = new Map<string, string>();
    for (const bundle of bundles) {
      const key = bundle.clients.join(',');
      if (!bare.has(key)) bare.set(key, await bareBundle(bundle.clients));
    }
    const measurements: BenchMeasurement[] = [];
    const ratios: BenchRatio[] = [];
    progress(`importing ${bundles.length} bundles and ${bare.size} bare handlers, ${RUNS} times each`);
    for (const bundle of bundles) {
      const node = nodeFor(bundle.runtime);
      const bareFile = bare.get(bundle.clients.join(','))!;
      const times = { bundle: [] as number[], bare: [] as number[], withMaps: [] as number[] };
      for (let run = 0; run < RUNS; run += 1) {
        // Interleaved, so load on the machine hits all three alike.
        times.bundle.push(importMs(node, bundle.file, bundle.nodeOptions));
        times.bare.push(importMs(node, bareFile, bundle.nodeOptions));
        times.withMaps.push(importMs(node, bundle.file, `${bundle.nodeOptions} --enable-source-maps`.trim()));
      }
      const [own, floor, withMaps] = [median(times.bundle), median(times.bare), median(times.withMaps)];
      measurements.push({
        label: `${bundle.description}: import`,
        value: ms(own),
        unit: `ms (bare ${ms(floor)} ms with ${bundle.clients.join(', ') || 'no SDK client'}; ${ms(withMaps)} ms with --enable-source-maps; ${Math.round(readFileSync(bundle.file).length / 1024)} KiB)`,
      });
      ratios.push({ label: `${bundle.description}: import ÷ bare handler`, value: own / floor, goal: { max: 1.5 } });
    }
    return {
      measurements,
      ratios,
      notes: [
        `NODE_OPTIONS as the template sets it (${bundles[0]?.nodeOptions || 'none'}); each import in a new process`,
      ],
    };
  },
});
