// docs/cli.md: `<file>` is a JSON or YAML array of grant requests; unreadable files and invalid
// configurations are one-line errors (exit 2, via UsageError).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAttributesFile, loadConfigFile, loadGrantsFile } from '../../lib/cli/files.js';
import { UsageError } from '../../lib/cli/io.js';

const dir = mkdtempSync(join(tmpdir(), 'grantplane-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return name;
}

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (error: unknown) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error('expected a UsageError');
}

const GRANT = { scope: { type: 'global' }, resource: { type: 's3', bucket: 'b', access: 'read' } };

describe('loadGrantsFile', () => {
  it('reads a YAML array, a JSON array and a {grants: [...]} object alike', () => {
    const yaml = file('g.yaml', '- scope: { type: global }\n  resource: { type: s3, bucket: b, access: read }\n');
    const json = file('g.json', JSON.stringify([GRANT]));
    const wrapped = file('w.json', JSON.stringify({ grants: [GRANT], revision: 'abc' }));

    expect(loadGrantsFile(yaml, dir)).toEqual([GRANT]);
    expect(loadGrantsFile(json, dir)).toEqual([GRANT]);
    expect(loadGrantsFile(wrapped, dir)).toEqual([GRANT]);
  });

  it('refuses a single object, an empty file and a scalar, naming the file', () => {
    for (const [name, text] of [
      ['one.yaml', 'scope: { type: global }\n'],
      ['empty.yaml', ''],
      ['n.json', '42'],
    ] as const) {
      const error = usageError(() => loadGrantsFile(file(name, text), dir));
      expect(error.message).toContain(name);
      expect(error.message).toContain('expected an array');
    }
  });

  it('reports invalid YAML with its line on one line', () => {
    const name = file('bad.yaml', '- scope: { type: global\n  resource: [\n');
    const error = usageError(() => loadGrantsFile(name, dir));
    expect(error.message).toMatch(/^grants file bad\.yaml: invalid YAML at line \d+, column \d+: /);
    expect(error.message).not.toContain('\n');
  });

  it('reports a missing file', () => {
    expect(usageError(() => loadGrantsFile('nope.yaml', dir)).message).toBe(
      'cannot read grants file nope.yaml: no such file',
    );
  });

  it('refuses several YAML documents instead of silently reading the first', () => {
    const name = file('multi.yaml', '- a: 1\n---\n- b: 2\n');
    expect(usageError(() => loadGrantsFile(name, dir)).message).toContain('2 YAML documents');
  });
});

describe('loadConfigFile', () => {
  it('names the offending key of an invalid configuration (docs/configuration.md)', () => {
    const name = file('c.yaml', 'dataPlanes:\n  - name: prod\n    cloud: aws\n    region: us-west-2\n');
    const error = usageError(() => loadConfigFile(name, dir));
    expect(error.message).toMatch(/^config error: dataPlanes\[0\]\.\w+: /);
    expect(error.message).not.toContain('\n');
  });

  it('lists every problem at once on one line, each with its file and line, and the key a typo meant', () => {
    const name = file(
      'typos.yaml',
      [
        'dataPlanes:',
        '  - name: prod',
        '    cloud: aws',
        '    accountId: "12345"',
        '    region: us-west-2',
        '    orgPrefx: acme',
        '    oidcProvider: oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE',
        '    domains: [development]',
        '    projects: "*"',
        'webhoks: {}',
        '',
      ].join('\n'),
    );
    const { message } = usageError(() => loadConfigFile(name, dir));
    expect(message).not.toContain('\n');
    expect(message).toMatch(/^config error: dataPlanes\[0\]\.accountId: .*\[4 problems\]$/);
    expect(message).toContain(
      'dataPlanes[0].accountId: must be a 12-digit AWS account id (quote it in YAML) (typos.yaml:4)',
    );
    expect(message).toContain('dataPlanes[0].orgPrefx: unknown key (did you mean "orgPrefix"?) (typos.yaml:6)');
    expect(message).toContain('dataPlanes[0].orgPrefix: is required (string) (typos.yaml:2)');
    expect(message).toContain('webhoks: unknown key (did you mean "webhooks"?) (typos.yaml:10)');
  });

  it('lists every cross-check problem too, with lines in a JSON file', () => {
    const plane = (name: string) => ({
      name,
      cloud: 'aws',
      accountId: '123456789012',
      region: 'us-west-2',
      orgPrefix: 'acme',
      oidcProvider: 'oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE',
      domains: ['development'],
      projects: '*',
      autoApproveDomains: ['staging'],
    });
    const name = file('twins.json', JSON.stringify({ dataPlanes: [plane('prod'), plane('prod')] }, null, 2));
    const { message } = usageError(() => loadConfigFile(name, dir));
    expect(message).toMatch(
      /^config error: dataPlanes\[0\]\.autoApproveDomains\[0\]: "staging" is not one of the plane's domains \(twins\.json:\d+\)/,
    );
    expect(message).toMatch(
      /dataPlanes\[1\]\.name: duplicate plane name "prod" \(also dataPlanes\[0\]\) \(twins\.json:\d+\)/,
    );
    expect(message).toMatch(
      /dataPlanes\[1\]\.accountId: two AWS planes share account 123456789012 \(also dataPlanes\[0\]\) \(twins\.json:\d+\)/,
    );
  });

  it('prefixes unreadable and unparsable files with "config error"', () => {
    expect(usageError(() => loadConfigFile('missing.yaml', dir)).message).toBe(
      'config error: cannot read config file missing.yaml: no such file',
    );
    expect(usageError(() => loadConfigFile(file('c2.yaml', 'dataPlanes: [\n'), dir)).message).toMatch(
      /^config error: config file c2\.yaml: invalid YAML/,
    );
  });

  it('parses the shipped example', () => {
    const config = loadConfigFile('examples/grantplane.config.yaml', process.cwd());
    expect(config.dataPlanes.map((plane) => plane.name)).toEqual(['prod', 'analytics', 'research-gcp', 'lab-azure']);
  });
});

describe('loadAttributesFile', () => {
  it('keeps values as strings, as uctl prints them', () => {
    const name = file('a.yaml', 'flytesnacks/production:\n  projectQuotaCpu: 64\n  projectQuotaMemory: 256Gi\n');
    expect(loadAttributesFile(name, dir)).toEqual({
      'flytesnacks/production': { projectQuotaCpu: '64', projectQuotaMemory: '256Gi' },
    });
  });

  it('refuses nested values', () => {
    const name = file('a2.yaml', 'flytesnacks/production:\n  quota: { cpu: 1 }\n');
    expect(usageError(() => loadAttributesFile(name, dir)).message).toContain('flytesnacks/production.quota');
  });
});
