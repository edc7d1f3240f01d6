// docs/webhooks.md: `grantplane plan --format text` prints a plan fit for a pull-request comment.
import { describe, expect, it } from 'vitest';
import {
  DETAILED_TARGETS,
  LISTED_TARGETS,
  MAX_CHARS,
  describeRequest,
  describeStatement,
  limitChars,
  renderPlanText,
} from '../../lib/cli/plan-text.js';
import { fileURLToPath } from 'node:url';
import { loadConfigFile, loadGrantsFile } from '../../lib/cli/files.js';
import { planGrants } from '../../lib/domain/engine.js';
import type { PlanResult } from '../../lib/domain/model.js';
import { ACCOUNT, pairRole } from '../domain/engine-fixtures.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const statement = {
  Effect: 'Allow' as const,
  Action: ['s3:GetObject'],
  Resource: ['arn:aws:s3:::acme-ml-data/team-a/*'],
};

const result: PlanResult = {
  accepted: [
    { index: 0 },
    { index: 2, secretGroup: `arn:aws:secretsmanager:us-west-2:${ACCOUNT}:secret:`, secretKey: 'db-password-AbC123' },
  ],
  rejected: [
    {
      index: 1,
      errors: [{ path: 'resource.bucket', code: 's3.internal-bucket', message: 'opta-* | union-* are Union buckets' }],
    },
  ],
  notes: [{ index: 2, code: 'ecr.same-account', message: 'enabled by default' }],
  targets: [
    {
      dataPlane: 'prod',
      accountId: ACCOUNT,
      scope: { type: 'project-domain', project: 'flytesnacks', domain: 'development' },
      role: pairRole('flytesnacks', 'development', { trustPolicy: { Version: '2012-10-17', Statement: [] } }),
      attachedPolicyArns: [
        `arn:aws:iam::${ACCOUNT}:policy/userflyterole`,
        `arn:aws:iam::${ACCOUNT}:policy/grantplane/grantplane-flytesnacks-development-1`,
      ],
      policies: [
        {
          name: 'grantplane-flytesnacks-development-1',
          arn: `arn:aws:iam::${ACCOUNT}:policy/grantplane/grantplane-flytesnacks-development-1`,
          path: '/grantplane/',
          document: { Version: '2012-10-17', Statement: [statement, statement] },
          tags: {},
        },
      ],
      uctl: {
        file: 'cluster_resource_attributes.yaml',
        yaml: 'attributes:\n  defaultUserRoleValue: "arn"\ndomain: "development"\nproject: "flytesnacks"\n',
        command: 'uctl update cluster-resource-attribute --attrFile cluster_resource_attributes.yaml',
      },
    },
  ],
  infrastructure: [
    {
      kind: 'ecr-repository-policy',
      repositoryArn: 'arn:aws:ecr:us-west-2:555555555555:repository/base',
      policy: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { AWS: 'x' }, Action: ['ecr:BatchGetImage'] }],
      },
    },
  ],
};

const requests = [
  {},
  { dataPlane: 'prod', scope: { type: 'global' }, resource: { type: 's3', bucket: 'opta-meta', access: 'read' } },
  { dataPlane: 'prod', scope: { type: 'global' }, resource: { type: 'ecr', repositoryArn: 'arn:aws:ecr:…' } },
];

describe('renderPlanText', () => {
  it('shows summary counts, the rejection with path, code and an escaped message, and notes', () => {
    const text = renderPlanText(result, requests);

    expect(text).toContain('## grantplane plan: 1 rejected');
    expect(text).toContain('**2 accepted**, **1 rejected**, 1 note · 1 target · 1 policy · 1 infrastructure output');
    expect(text).toContain(
      '| 2 | prod · global · s3 opta-meta (read) | `resource.bucket` | `s3.internal-bucket` | opta-* \\| union-* are Union buckets |',
    );
    expect(text).toContain('- #3 prod · global · ecr arn:aws:ecr:…: `ecr.same-account` enabled by default');
    expect(text).toContain('| 3 | `arn:aws:secretsmanager:us-west-2:123456789012:secret:` | `db-password-AbC123` |');
  });

  it('shows per target the role, policies with statement counts and size, attachments, and the uctl file', () => {
    const text = renderPlanText(result, requests);

    expect(text).toContain('#### prod (123456789012) · flytesnacks/development');
    expect(text).toContain('- role `acme-flytesnacks-development` — managed by grantplane, path `/grantplane/`');
    expect(text).toMatch(/- `grantplane-flytesnacks-development-1`: 2 statements, \d+\/6,144 chars/);
    expect(text).toContain(`  - \`arn:aws:iam::${ACCOUNT}:policy/userflyterole\``);
    expect(text).toContain(
      'then run `uctl update cluster-resource-attribute --attrFile cluster_resource_attributes.yaml`',
    );
    expect(text).toContain('```yaml\nattributes:\n  defaultUserRoleValue: "arn"');
    expect(text).toContain('#### ecr-repository-policy: `arn:aws:ecr:us-west-2:555555555555:repository/base`');
    expect(text).toContain('"ecr:BatchGetImage"');
  });

  it('numbers grants from 1 and lists each accepted one with its justification, ticket and expiry', () => {
    const reviewed = [
      {
        dataPlane: 'prod',
        scope: { type: 'project-domain', project: 'flytesnacks', domain: 'development' },
        resource: { type: 's3', bucket: 'acme-ml-data', prefix: 'team-a/', access: 'read' },
        justification: 'training\njobs read features',
        ticket: { system: 'jira', key: 'OPS-123' },
        expiresAt: '2027-01-31T00:00:00Z',
      },
      ...requests.slice(1),
    ];
    const text = renderPlanText(result, reviewed);
    expect(text).toContain('### Accepted (2)');
    expect(text).toContain(
      '- #1 prod · flytesnacks/development · s3 acme-ml-data/team-a/ (read) — “training jobs read features” · ticket jira OPS-123 · expires 2027-01-31T00:00:00Z',
    );
    expect(text).toContain('- #3 prod · global · ecr arn:aws:ecr:… — no expiry');
    expect(text).not.toMatch(/#0\b|\| 0 \|/);
  });

  it('spells out each statement: effect, actions, resources and its condition', () => {
    expect(renderPlanText(result, requests)).toContain(
      '    - Allow `s3:GetObject` on `arn:aws:s3:::acme-ml-data/team-a/*`',
    );
    expect(
      describeStatement({
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: 'arn:aws:s3:::acme-ml-data',
        Condition: { StringLike: { 's3:prefix': ['team-a/*', 'team-a'] } },
      }),
    ).toBe('Allow `s3:ListBucket` on `arn:aws:s3:::acme-ml-data` when `s3:prefix` StringLike `team-a/*` or `team-a`');
    expect(describeStatement({ Effect: 'Deny', NotAction: 'iam:*', Resource: '*' })).toBe(
      'Deny every action except `iam:*` on `*`',
    );
  });

  it('shows every action and resource the example grants compile to (examples/grants.yaml)', () => {
    const config = loadConfigFile('examples/grantplane.config.yaml', ROOT);
    const grants = loadGrantsFile('examples/grants.yaml', ROOT);
    const plan = planGrants({ config, requests: grants, now: new Date('2026-12-01T00:00:00Z') });
    const rendered = renderPlanText(plan, grants);
    const listed = plan.targets.flatMap((target) =>
      target.policies.flatMap((policy) =>
        policy.document.Statement.flatMap((s) => [s.Action ?? [], s.Resource ?? []].flat()),
      ),
    );
    expect(listed.length).toBeGreaterThan(10);
    for (const item of listed) expect(rendered).toContain(`\`${item}\``);
    for (const [n, grant] of grants.entries())
      expect(rendered).toContain(
        `- #${n + 1} ${describeRequest(grant)} — “${(grant as { justification: string }).justification}”`,
      );
  });

  it('says so plainly when everything is accepted', () => {
    const text = renderPlanText({ ...result, rejected: [] }, requests);
    expect(text.split('\n')[0]).toBe('## grantplane plan: all grants accepted');
    expect(text).not.toContain('### Rejected');
  });
});

describe('describeRequest', () => {
  it('tolerates malformed requests', () => {
    expect(describeRequest(null)).toBe('not an object');
    expect(
      describeRequest({
        scope: { type: 'project-domain', project: 'p', domain: 'd' },
        resource: { type: 'secretsmanager', secretName: 'x' },
      }),
    ).toBe('p/d · secret x');
  });

  it('shows a field a typo left out as "?", never "undefined"', () => {
    const text = describeRequest({
      dataPlane: 'prod',
      scope: { type: 'project-domain', projct: 'a', domain: 'development' },
      resource: { type: 's3', bucket: 'x', acess: 'read' },
    });
    expect(text).toBe('prod · ?/development · s3 x (?)');
    expect(text).not.toContain('undefined');
  });
});

describe('renderPlanText on a large plan', () => {
  it('details the first targets, lists the next ones in a table and counts the rest', () => {
    const target = result.targets[0]!;
    const count = DETAILED_TARGETS + LISTED_TARGETS + 30;
    const targets = Array.from({ length: count }, (_, i) => ({
      ...target,
      scope: { type: 'project-domain' as const, project: `p${i}`, domain: 'development' },
    }));
    const text = renderPlanText({ ...result, targets }, requests);

    expect(text.match(/^#### prod \(123456789012\) · p\d+\/development$/gm)).toHaveLength(DETAILED_TARGETS);
    expect(text).toContain(`${count - DETAILED_TARGETS} more targets, in short`);
    expect(text).toContain('| … | 30 more targets | | | |');
    expect(text.length).toBeLessThanOrEqual(MAX_CHARS);
  });
});

describe('limitChars', () => {
  it('cuts at a line within the limit and closes an open code fence', () => {
    const text = `# title\n\n\`\`\`yaml\n${'key: value\n'.repeat(200)}\`\`\`\n`;
    const cut = limitChars(text, 500);

    expect(cut.length).toBeLessThanOrEqual(500);
    expect(cut).toMatch(/key: value\n```\n\n_… plan cut here/);
    expect(limitChars('short\n', 500)).toBe('short\n');
  });
});
