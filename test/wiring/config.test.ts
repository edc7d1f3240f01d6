// The functions read their configuration as JSON only (the deployment bundles it so; npm start
// hands it over as GRANTPLANE_CONFIG_JSON), and every refusal names the variable and what to do.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readConfigFile } from '../../lib/local/config-file.js';
import { configFromEnv, WiringError } from '../../lib/wiring/http.js';

const dir = mkdtempSync(join(tmpdir(), 'grantplane-config-'));
const example = readConfigFile(join(import.meta.dirname, '../../examples/grantplane.config.yaml'));

describe('the functions’ configuration', () => {
  it('reads the JSON file the deployment bundles, and the document npm start hands over, to the same configuration', () => {
    const file = join(dir, 'grantplane.config.json');
    writeFileSync(file, JSON.stringify(example.document));
    expect(configFromEnv({ GRANTPLANE_CONFIG: file })).toEqual(example.config);
    expect(configFromEnv({ GRANTPLANE_CONFIG_JSON: JSON.stringify(example.document) })).toEqual(example.config);
  });

  it('refuses a YAML file, saying the functions read JSON and who reads YAML', () => {
    const file = join(dir, 'grantplane.config.yaml');
    writeFileSync(file, 'dataPlanes:\n  - name: prod\n');
    expect(() => configFromEnv({ GRANTPLANE_CONFIG: file })).toThrow(WiringError);
    expect(() => configFromEnv({ GRANTPLANE_CONFIG: file })).toThrow(
      /^GRANTPLANE_CONFIG=.*grantplane\.config\.yaml is not JSON .*YAML is read by the CLI and npm start$/,
    );
  });

  it('names the variable and the key of a document that breaks a rule, from a file or from the environment', () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, JSON.stringify({ dataPlanes: [] }));
    expect(() => configFromEnv({ GRANTPLANE_CONFIG: file })).toThrow(/^GRANTPLANE_CONFIG: .*dataPlanes/);
    expect(() => configFromEnv({ GRANTPLANE_CONFIG_JSON: '{"dataPlanes": []}' })).toThrow(
      /^GRANTPLANE_CONFIG_JSON: .*dataPlanes/,
    );
    expect(() => readConfigFile(join(dir, 'missing.yaml'))).toThrow(
      /^GRANTPLANE_CONFIG=.*missing\.yaml cannot be read/,
    );
  });
});
