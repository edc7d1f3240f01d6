// The configuration file of `npm start` (YAML or JSON), read here and handed to the Lambda handlers
// as GRANTPLANE_CONFIG_JSON: the handlers read JSON only, as the deployment bundles it, so no YAML
// parser rides in any function.
import { readFileSync } from 'node:fs';
import * as YAML from 'yaml';
import type { GrantplaneConfig } from '../domain/config.js';
import { configFromDocument, WiringError } from '../wiring/http.js';

/** The file's document and its parsed configuration; a WiringError names the file or the key. */
export function readConfigFile(path: string): { document: unknown; config: GrantplaneConfig } {
  let document: unknown;
  try {
    document = YAML.parse(readFileSync(path, 'utf8'));
  } catch (error: unknown) {
    throw new WiringError(
      `GRANTPLANE_CONFIG=${path} cannot be read: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  return { document, config: configFromDocument(document, 'GRANTPLANE_CONFIG') };
}
