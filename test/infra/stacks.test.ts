// The CDK app (issue 6): one synth of the whole app (beforeAll), then assertions on the templates.
// The applier's IAM policy is checked by evaluating it, the way IAM would, against the calls
// docs/applier.md needs and the ones R3 forbids.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { ROUTES } from '../../functions/shared/routes.js';
import { TABLE } from '../../lib/adapters/dynamodb/table.js';
import { buildApp, type GrantplaneStacks } from '../../infra/build-app.js';
import { MissingEntryError } from '../../infra/constructs/grantplane-function.js';
import { startSecretsManagerServer } from '../helpers/secrets-manager-server.js';
import { METRIC } from '../../functions/shared/metrics.js';
import { allowed, resourcePolicyAllows, statementsOf, type Statement } from './iam-eval.js';

// prod lives in the home account (the applier acts there itself); analytics is reached by its role.
const HOME = '123456789012';
const PROD = HOME;
const REMOTE = '210987654321';
const ACCESS_ROLE = `arn:aws:iam::${REMOTE}:role/grantplane-access/grantplane-applier`;
const BOUNDARY = `arn:aws:iam::${PROD}:policy/grantplane-boundary`;
const SLACK_SECRET = `arn:aws:secretsmanager:us-west-2:${HOME}:secret:grantplane/slack-AbCdEf`;
const JIRA_SECRET = `arn:aws:secretsmanager:us-west-2:${HOME}:secret:grantplane/jira-token-AbCdEf`;
const SNOW_SECRET = `arn:aws:secretsmanager:us-west-2:${HOME}:secret:grantplane/servicenow-password-AbCdEf`;
const MAIL_TOPIC = `arn:aws:sns:us-west-2:${HOME}:grantplane-approvers`;

// Two AWS planes: prod in the home account (with a permissions boundary), analytics in another
// account reached through its access role; a GCP plane that needs no access at all.
const CONFIG = `
dataPlanes:
  - { name: prod, cloud: aws, accountId: "${PROD}", region: us-west-2, orgPrefix: acme,
      oidcProvider: oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE, domains: [development], projects: "*",
      permissionsBoundaryArn: "${BOUNDARY}" }
  - { name: analytics, cloud: aws, accountId: "${REMOTE}", region: us-east-1, orgPrefix: acme,
      oidcProvider: oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE, domains: [development], projects: "*",
      applierRoleArn: "${ACCESS_ROLE}" }
  - { name: research, cloud: gcp, region: us-central1, domains: [development], projects: "*" }
notifications:
  channels:
    - { name: approvers, type: slack, webhookUrlSecretArn: "${SLACK_SECRET}" }
    - { name: mail, type: email, topicArn: "${MAIL_TOPIC}" }
    - { name: tickets, type: jira, baseUrl: "https://acme.atlassian.net", email: grantplane@acme.example, apiTokenSecretArn: "${JIRA_SECRET}" }
    - { name: requests, type: servicenow, instanceUrl: "https://acme.service-now.com", user: grantplane, passwordSecretArn: "${SNOW_SECRET}" }
  subscriptions:
    - { channel: approvers, events: [approval-requested, decision, apply-failed, drift-found] }
    - { channel: tickets, events: [decision, apply-failed, active, ended] }
    - { channel: requests, events: [decision, active] }
    - { channel: mail, events: [decision], dataPlanes: [prod] }
`;

const context = (configFile: string) => ({
  'grantplane:config': configFile,
  jwtIssuer: 'https://acme.okta.com/oauth2/default',
  jwtAudience: 'api://grantplane',
  alarmEmail: 'platform-oncall@example.com',
  homeAccount: HOME,
});

// Runs one API Gateway v2 event through ./index.mjs in the current directory; prints the result.
const INVOKE = `
const { handler } = await import(process.cwd() + '/index.mjs');
const { method, path, routeKey, body } = JSON.parse(process.env.EVENT);
const sourceParam = path.startsWith('/v1/webhooks/') ? { pathParameters: { source: path.split('/')[3] } } : {};
const event = { version: '2.0', routeKey, rawPath: path, rawQueryString: '', headers: { host: 'api.example.com', 'content-type': 'application/json' },
  isBase64Encoded: false, ...(body === undefined ? {} : { body }), ...sourceParam,
  requestContext: { http: { method, path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'test' }, requestId: 'r-1', routeKey,
    stage: '$default', time: '23/Nov/2026:04:00:00 +0000', timeEpoch: 1795406400000, accountId: '111111111111', apiId: 'api', domainName: 'api.example.com', domainPrefix: 'api' } };
const context = { functionName: 'f', functionVersion: '$LATEST', invokedFunctionArn: 'arn:aws:lambda:us-west-2:111111111111:function:f', memoryLimitInMB: '512',
  awsRequestId: 'r-1', logGroupName: 'g', logStreamName: 's', callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => 10000 };
console.log(JSON.stringify(await handler(event, context)));
`;

let outdir = '';
let stacks: GrantplaneStacks;
let stateful: Template;
let stateless: Template;
let planeAccess: Template;
let nagReport: ReturnType<AwsSolutionsChecks['validateScope']>;

const logicalId = (
  template: Template,
  type: string,
  predicate: (resource: { Properties?: Record<string, unknown> }) => boolean,
): string => {
  const found = Object.entries(template.findResources(type)).filter(([, resource]) =>
    predicate(z.looseObject({ Properties: z.record(z.string(), z.unknown()).optional() }).parse(resource)),
  );
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0]![0];
};

const functionId = (name: 'applier' | 'drift' | 'notifier' | (typeof ROUTES)[number]['group']): string => {
  const fn = stacks.stateless.functions.get(name);
  if (!fn) throw new Error(`no function ${name}`);
  return stacks.stateless.getLogicalId(fn.function.node.defaultChild as never);
};

const roleId = (name: 'applier' | 'drift'): string => {
  const fn = stacks.stateless.functions.get(name);
  if (!fn) throw new Error(`no function ${name}`);
  return stacks.stateless.getLogicalId(fn.role.node.defaultChild as never);
};

/** Every statement of every policy (inline or managed) attached to one role of the stateless stack. */
const roleStatements = (role: string): Statement[] =>
  [
    ...Object.values(stateless.findResources('AWS::IAM::Policy')),
    ...Object.values(stateless.findResources('AWS::IAM::ManagedPolicy')),
  ]
    .map((policy) =>
      z
        .looseObject({ Properties: z.looseObject({ Roles: z.array(z.unknown()), PolicyDocument: z.unknown() }) })
        .parse(policy),
    )
    .filter((policy) => policy.Properties.Roles.some((r) => JSON.stringify(r) === JSON.stringify({ Ref: role })))
    .flatMap((policy) => statementsOf(policy.Properties.PolicyDocument));

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'grantplane-infra-'));
  const configFile = join(dir, 'grantplane.config.yaml');
  writeFileSync(configFile, CONFIG);
  outdir = join(dir, 'cdk.out');
  const app = new App({ context: context(configFile), outdir });
  stacks = buildApp(app);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  // Template.fromStack synthesizes the app once (bundling every function with the local esbuild);
  // a cdk-nag finding makes it throw.
  stateful = Template.fromStack(stacks.stateful);
  stateless = Template.fromStack(stacks.stateless);
  const [access] = stacks.planeAccess;
  if (!access) throw new Error('no plane access stack');
  planeAccess = Template.fromStack(access);
  nagReport = new AwsSolutionsChecks(app).validateScope(app);
}, 120_000);

describe('CDK app: cdk-nag (AwsSolutions)', () => {
  it('reports no unacknowledged finding', () => {
    expect(nagReport.violations).toEqual([]);
    expect(nagReport.success).toBe(true);
  });
});

describe('StatefulStack: the table (issue 6)', () => {
  it('is on demand, streams new and old images, has TTL, PITR, deletion protection and encryption', () => {
    stateful.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: TABLE.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: TABLE.sortKey.name, KeyType: 'RANGE' },
      ],
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
      SSESpecification: { SSEEnabled: true },
      GlobalSecondaryIndexes: TABLE.globalSecondaryIndexes.map((index) => ({
        IndexName: index.indexName,
        KeySchema: [
          { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
    });
  });

  it('is retained when the stack is deleted or the table replaced', () => {
    stateful.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });
});

describe('StatelessStack: HTTP API generated from ROUTES', () => {
  it('has exactly one API route per entry of ROUTES', () => {
    const routeKeys = Object.values(stateless.findResources('AWS::ApiGatewayV2::Route')).map(
      (route) =>
        z.looseObject({ Properties: z.looseObject({ RouteKey: z.string() }) }).parse(route).Properties.RouteKey,
    );
    expect(routeKeys.sort()).toEqual(ROUTES.map((route) => `${route.method} ${route.path}`).sort());
  });

  it('checks the JWT on token routes only, with the configured issuer and audience', () => {
    const authorizer = logicalId(stateless, 'AWS::ApiGatewayV2::Authorizer', () => true);
    stateless.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: 'https://acme.okta.com/oauth2/default', Audience: ['api://grantplane'] },
    });
    for (const route of ROUTES) {
      const open = route.access === 'none' || route.access === 'signature';
      stateless.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: `${route.method} ${route.path}`,
        AuthorizationType: open ? 'NONE' : 'JWT',
        ...(open ? {} : { AuthorizerId: { Ref: authorizer } }),
      });
    }
  });

  it("sends each route to its group's function", () => {
    const integrations = stateless.findResources('AWS::ApiGatewayV2::Integration');
    const routes = stateless.findResources('AWS::ApiGatewayV2::Route');
    for (const route of ROUTES) {
      const [, resource] =
        Object.entries(routes).find(([, r]) => JSON.stringify(r).includes(`"${route.method} ${route.path}"`)) ?? [];
      const target = JSON.stringify(
        z.looseObject({ Properties: z.looseObject({ Target: z.unknown() }) }).parse(resource).Properties.Target,
      );
      const integrationId = Object.keys(integrations).find((id) => target.includes(`"${id}"`));
      expect(integrationId, `${route.method} ${route.path}`).toBeDefined();
      expect(JSON.stringify(integrations[integrationId ?? '']), `${route.method} ${route.path}`).toContain(
        `"${functionId(route.group)}"`,
      );
    }
  });

  it('logs access on the $default stage', () => {
    stateless.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.anyValue() },
    });
  });
});

describe('GrantplaneFunction defaults', () => {
  it('builds every function for nodejs24.x on arm64 with X-Ray, the table name and the bundled configuration', () => {
    const functions = Object.values(stateless.findResources('AWS::Lambda::Function')).map(
      (fn) => z.looseObject({ Properties: z.looseObject({ Runtime: z.string() }) }).parse(fn).Properties,
    );
    const ours = functions.filter((fn) => fn.Runtime === 'nodejs24.x');
    // one per route group, plus the applier, the drift run and the notifier (channels are configured)
    expect(ours).toHaveLength(new Set(ROUTES.map((route) => route.group)).size + 3);
    for (const fn of ours) {
      expect(fn).toMatchObject({
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Handler: 'index.handler',
        Environment: {
          Variables: {
            GRANTPLANE_TABLE: expect.anything(),
            GRANTPLANE_CONFIG: '/var/task/grantplane.config.json',
          },
        },
        LoggingConfig: { LogFormat: 'JSON' },
      });
      // Source maps are read when a stack is printed, not parsed at every cold start.
      expect((fn.Environment as { Variables: Record<string, unknown> }).Variables['NODE_OPTIONS']).toBeUndefined();
    }
  });

  it('ships the GCP and Azure clients only beside the functions that apply or check those planes (docs/gcp-azure.md "Credentials")', () => {
    const withClients = Object.values(stateless.findResources('AWS::Lambda::Function'))
      .filter(
        (fn) =>
          (fn.Properties?.Environment?.Variables as Record<string, unknown> | undefined)?.[
            'GRANTPLANE_CLOUD_CLIENTS'
          ] === './cloud-clients.mjs',
      )
      .map((fn) => String(fn.Properties?.Description))
      .sort();
    expect(withClients).toEqual([
      'HTTP http/drift',
      'applier (table stream to IAM)',
      'drift check and expiry (schedule)',
    ]);
  });

  it('gives the webhook function its signing secrets by ARN, never by value (docs/webhooks.md "Secrets Manager in AWS")', () => {
    const variables = (id: string) =>
      z
        .looseObject({
          Properties: z.looseObject({ Environment: z.object({ Variables: z.record(z.string(), z.unknown()) }) }),
        })
        .parse(stateless.findResources('AWS::Lambda::Function')[id]).Properties.Environment.Variables;
    const secretIds = Object.keys(stateless.findResources('AWS::SecretsManager::Secret'));
    // No function's configuration holds a secret value, nor a deploy-time reference that resolves to one.
    for (const id of Object.keys(stateless.findResources('AWS::Lambda::Function'))) {
      const environment = JSON.stringify(
        stateless.findResources('AWS::Lambda::Function')[id]?.Properties?.Environment ?? {},
      );
      expect(environment, id).not.toMatch(/resolve:secretsmanager|SecretString/i);
      for (const [name, value] of Object.entries(
        z
          .object({ Variables: z.record(z.string(), z.unknown()) })
          .partial()
          .parse(JSON.parse(environment)).Variables ?? {},
      )) {
        expect(name, id).not.toMatch(/^GRANTPLANE_WEBHOOK_SECRET_(GENERIC|JIRA|SERVICENOW)$/);
        // A secret may appear only as its ARN (Ref), under GRANTPLANE_WEBHOOK_SECRET_ARN_<SOURCE>.
        if (secretIds.some((secret) => JSON.stringify(value).includes(`"${secret}"`))) {
          expect(value, `${id} ${name}`).toEqual({ Ref: expect.any(String) });
          expect(name, id).toMatch(/^GRANTPLANE_WEBHOOK_SECRET_ARN_/);
        }
      }
    }
    // The webhook function gets one ARN variable per source, naming that source's secret.
    const webhook = variables(functionId('webhook'));
    for (const source of ['generic', 'jira', 'servicenow']) {
      const secret = logicalId(stateless, 'AWS::SecretsManager::Secret', (r) =>
        String(r.Properties?.Description).includes(` ${source} `),
      );
      expect(webhook[`GRANTPLANE_WEBHOOK_SECRET_ARN_${source.toUpperCase()}`], source).toEqual({ Ref: secret });
    }
    expect(webhook).not.toHaveProperty('GRANTPLANE_WEBHOOK_SECRET_REVISION');
    stateless.resourceCountIs('AWS::SecretsManager::Secret', 3);
    stateless.allResources('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain' });
  });

  it('gives the console function the API’s issuer and its client for authorization code + PKCE, and no table access', () => {
    const stateless = Template.fromStack(stacks.stateless);
    const fn = stateless.findResources('AWS::Lambda::Function')[functionId('http/console')] as {
      Properties: { Environment: { Variables: Record<string, unknown> } };
    };
    expect(fn.Properties.Environment.Variables).toMatchObject({
      GRANTPLANE_CONSOLE_ISSUER: 'https://acme.okta.com/oauth2/default',
      GRANTPLANE_CONSOLE_CLIENT_ID: 'api://grantplane', // context consoleClientId, else the first audience
      GRANTPLANE_CONSOLE_SCOPE: 'openid',
    });
    const policies = JSON.stringify(stateless.findResources('AWS::IAM::Policy'));
    const role = stacks.stateless.getLogicalId(
      stacks.stateless.functions.get('http/console')!.role.node.defaultChild as never,
    );
    const own = Object.values(stateless.findResources('AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(policy).includes(`"${role}"`),
    );
    expect(JSON.stringify(own)).not.toMatch(/dynamodb:/);
    expect(policies).toContain(role);
  });

  it('allows secretsmanager:GetSecretValue to the webhook function on exactly its three secrets, and to the notifier on the secrets of its channels only', () => {
    // An action pattern (with * or ?) that IAM would match against secretsmanager:GetSecretValue.
    const coversGetSecretValue = (action: string): boolean => {
      const pattern = action
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.');
      return new RegExp('^' + pattern + '$', 'i').test('secretsmanager:GetSecretValue');
    };
    const secretRefs = Object.keys(stateless.findResources('AWS::SecretsManager::Secret')).map((id) =>
      JSON.stringify({ Ref: id }),
    );
    const webhookRole = stacks.stateless.getLogicalId(
      stacks.stateless.functions.get('webhook')?.role.node.defaultChild as never,
    );
    const grants = Object.values(stateless.findResources('AWS::IAM::Policy'))
      .map((policy) =>
        z
          .looseObject({ Properties: z.looseObject({ Roles: z.array(z.unknown()), PolicyDocument: z.unknown() }) })
          .parse(policy),
      )
      .flatMap((policy) =>
        statementsOf(policy.Properties.PolicyDocument)
          .filter((s) => s.Effect === 'Allow' && s.Action.some(coversGetSecretValue))
          .map((s) => ({ roles: JSON.stringify(policy.Properties.Roles), resources: s.Resource })),
      );
    const notifierRole = stacks.stateless.getLogicalId(
      stacks.stateless.functions.get('notifier')?.role.node.defaultChild as never,
    );
    expect([...new Set(grants.map((grant) => grant.roles))].sort()).toEqual(
      [JSON.stringify([{ Ref: webhookRole }]), JSON.stringify([{ Ref: notifierRole }])].sort(),
    );
    expect(
      [
        ...new Set(grants.filter((grant) => grant.roles.includes(webhookRole)).flatMap((grant) => grant.resources)),
      ].sort(),
    ).toEqual([...secretRefs].sort());
    const notifier = roleStatements(notifierRole);
    for (const ref of [SLACK_SECRET, JIRA_SECRET, SNOW_SECRET])
      expect(allowed(notifier, 'secretsmanager:GetSecretValue', ref), ref).toBe(true);
    for (const ref of secretRefs) expect(allowed(notifier, 'secretsmanager:GetSecretValue', ref), ref).toBe(false);
    expect(allowed(notifier, 'sns:Publish', MAIL_TOPIC)).toBe(true);
    expect(allowed(notifier, 'sns:Publish', `arn:aws:sns:us-west-2:${HOME}:other`)).toBe(false);
    const webhook = roleStatements(webhookRole);
    for (const ref of secretRefs) expect(allowed(webhook, 'secretsmanager:GetSecretValue', ref), ref).toBe(true);
    expect(
      allowed(
        webhook,
        'secretsmanager:GetSecretValue',
        'arn:aws:secretsmanager:us-west-2:111111111111:secret:other-AbCdEf',
      ),
    ).toBe(false);
    expect(allowed(webhook, 'secretsmanager:GetSecretValue', '*')).toBe(false);
    expect(allowed(webhook, 'secretsmanager:PutSecretValue', secretRefs[0] ?? '')).toBe(false);
  });

  it('keeps logs three months in retained log groups', () => {
    stateless.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    stateless.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain' });
  });

  it('bundles runnable ESM code with the configuration beside it: the synthesized health and webhook bundles answer', async () => {
    // Prepare: the asset directories CDK staged for two functions, run as Lambda would (Node 24, ESM).
    const assetDir = (group: 'http/health' | 'webhook'): string => {
      // The code's S3 key is `<asset hash>.zip`; CDK staged the bundle in `<outdir>/asset.<hash>`.
      const resource = z
        .looseObject({ Properties: z.looseObject({ Code: z.looseObject({ S3Key: z.string() }) }) })
        .parse(stateless.findResources('AWS::Lambda::Function')[functionId(group)]);
      return join(outdir, `asset.${resource.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
    };
    const invoke = async (
      group: 'http/health' | 'webhook',
      method: string,
      path: string,
      routeKey: string,
      body?: string,
      extraEnv: Record<string, string> = {},
    ) => {
      const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', INVOKE], {
        cwd: assetDir(group),
        env: {
          PATH: process.env.PATH,
          GRANTPLANE_TABLE: 'grantplane',
          GRANTPLANE_CONFIG: 'grantplane.config.json',
          AWS_REGION: 'us-west-2',
          EVENT: JSON.stringify({ method, path, routeKey, body }),
          ...extraEnv,
        },
        timeout: 30_000,
      });
      return z
        .object({ statusCode: z.number(), body: z.string() })
        .loose()
        .parse(JSON.parse(stdout.trim().split('\n').at(-1) ?? ''));
    };
    // The webhook bundle's own SDK client reads its secret as in Lambda: ARN variable, endpoint from AWS_ENDPOINT_URL_SECRETS_MANAGER.
    const secrets = await startSecretsManagerServer({ account: HOME });
    try {
      const jiraSecret = secrets.put('grantplane/webhook/jira', 'jira-signing-secret');
      // Act
      const health = await invoke('http/health', 'GET', '/healthz', 'GET /healthz');
      const webhook = await invoke('webhook', 'POST', '/v1/webhooks/jira', 'POST /v1/webhooks/{source}', '{}');
      const withSecret = await invoke('webhook', 'POST', '/v1/webhooks/jira', 'POST /v1/webhooks/{source}', '{}', {
        GRANTPLANE_WEBHOOK_SECRET_ARN_JIRA: jiraSecret,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
        AWS_ACCESS_KEY_ID: 'AKIDLAMBDA',
        AWS_SECRET_ACCESS_KEY: 'lambda-secret',
        AWS_SESSION_TOKEN: 'lambda-session',
      });
      // Assess: the health route answers; an unsigned delivery is refused, with no secret configured
      // and with one read from Secrets Manager by the bundled SDK (one signed GetSecretValue call).
      expect(health).toMatchObject({ statusCode: 200 });
      expect(JSON.parse(health.body)).toEqual({ status: 'ok' });
      expect(webhook.statusCode).toBe(401);
      expect(withSecret.statusCode).toBe(401);
      expect(secrets.calls).toEqual([
        expect.objectContaining({
          target: 'secretsmanager.GetSecretValue',
          body: { SecretId: jiraSecret },
          authorization: expect.stringMatching(/Credential=AKIDLAMBDA\/\d{8}\/us-west-2\/secretsmanager\/aws4_request/),
        }),
      ]);
    } finally {
      await secrets.close();
    }
  });

  it('refuses to synth when an entry file is missing, naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'grantplane-missing-'));
    const configFile = join(dir, 'grantplane.config.yaml');
    writeFileSync(configFile, CONFIG);
    const app = new App({ context: context(configFile) });
    expect(() => buildApp(app, { functionsDir: dir })).toThrow(MissingEntryError);
    expect(() => buildApp(new App({ context: context(configFile) }), { functionsDir: dir })).toThrow(
      /drift\.ts does not exist/,
    );
  });
});

const queueId = (prefix: string): string => {
  const ids = Object.keys(stateless.findResources('AWS::SQS::Queue')).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1) throw new Error(`expected one queue ${prefix}*, found ${ids.length}`);
  return ids[0]!;
};

describe('Notifier: its own stream mapping and dead-letter queue (docs/notifications.md)', () => {
  it('is woken by the notifying audit inserts only, reports partial failures, retries, then parks in its DLQ', () => {
    stateless.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: functionId('notifier') },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      StartingPosition: 'TRIM_HORIZON',
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId('NotifierDeadLetterQueue'), 'Arn'] } } },
      FilterCriteria: {
        Filters: [
          {
            Pattern: JSON.stringify({
              eventName: ['INSERT'],
              dynamodb: {
                NewImage: {
                  type: { S: ['audit'] },
                  action: {
                    S: [
                      'grant.submitted',
                      'grant.approved',
                      'grant.rejected',
                      'grant.failed',
                      'grant.active',
                      'grant.revoked',
                      'grant.expired',
                      'drift.checked',
                    ],
                  },
                },
              },
            }),
          },
        ],
      },
    });
  });
});

describe('Notifier: the hourly reminder pass', () => {
  it('invokes the notifier every hour (grants expiring within 7 days, updates waiting too long)', () => {
    stateless.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 hour)',
      Target: Match.objectLike({ Arn: { 'Fn::GetAtt': [functionId('notifier'), 'Arn'] } }),
    });
  });
});

describe('Notifier: its dead-letter queue alarms', () => {
  it('alarms on NotifierDeadLetters when a notification failed every retry', () => {
    stateless.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('grantplane notifier: notifications that failed every retry'),
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId('NotifierDeadLetterQueue'), 'QueueName'] } }],
    });
  });
});

describe('Applier: stream event source (docs/applier.md A4)', () => {
  it('reports batch item failures, bisects failing batches, retries a bounded number of times, then parks records in the DLQ', () => {
    const dlq = queueId('ApplierDeadLetters');
    stateless.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: functionId('applier') },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: Match.anyValue(),
      StartingPosition: 'TRIM_HORIZON',
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [dlq, 'Arn'] } } },
    });
    const mapping = z
      .looseObject({ Properties: z.looseObject({ MaximumRetryAttempts: z.number(), EventSourceArn: z.unknown() }) })
      .parse(
        Object.values(stateless.findResources('AWS::Lambda::EventSourceMapping')).find((resource) =>
          JSON.stringify(resource).includes(`"${functionId('applier')}"`),
        ),
      ).Properties;
    expect(mapping.MaximumRetryAttempts).toBeGreaterThan(0);
    expect(mapping.MaximumRetryAttempts).toBeLessThanOrEqual(10);
    expect(JSON.stringify(mapping.EventSourceArn)).toContain('StreamArn');
  });
});

describe('Drift schedule and alarms (docs/webhooks.md)', () => {
  it('invokes the drift function every 15 minutes by default', () => {
    stateless.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(15 minutes)',
      State: 'ENABLED',
      Target: { Arn: { 'Fn::GetAtt': [functionId('drift'), 'Arn'] } },
    });
  });

  it("runs the applier's sweep on a schedule too (targets failed or waiting for their uctl grace period)", () => {
    stateless.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(15 minutes)',
      Target: { Arn: { 'Fn::GetAtt': [functionId('applier'), 'Arn'] } },
    });
  });

  it('alarms on errors and throttles of every function, DLQ depth and DriftedTargets, to the SNS topic', () => {
    const topic = logicalId(stateless, 'AWS::SNS::Topic', () => true);
    const alarms = Object.values(stateless.findResources('AWS::CloudWatch::Alarm')).map(
      (alarm) =>
        z
          .looseObject({
            Properties: z.looseObject({
              MetricName: z.string(),
              Namespace: z.string(),
              AlarmActions: z.array(z.unknown()),
              Dimensions: z.array(z.looseObject({ Name: z.string(), Value: z.unknown() })).optional(),
            }),
          })
          .parse(alarm).Properties,
    );
    for (const alarm of alarms) expect(alarm.AlarmActions).toEqual([{ Ref: topic }]);
    const names = [...stacks.stateless.functions.keys()];
    for (const name of names) {
      const id = functionId(name);
      for (const metric of ['Errors', 'Throttles']) {
        expect(
          alarms.some(
            (a) =>
              a.Namespace === 'AWS/Lambda' &&
              a.MetricName === metric &&
              JSON.stringify(a.Dimensions).includes(`"${id}"`),
          ),
          `${metric} alarm of ${name}`,
        ).toBe(true);
      }
    }
    expect(alarms.some((a) => a.Namespace === 'AWS/SQS' && a.MetricName === 'ApproximateNumberOfMessagesVisible')).toBe(
      true,
    );
    expect(alarms.some((a) => a.Namespace === 'grantplane' && a.MetricName === 'DriftedTargets')).toBe(true);
    stateless.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'platform-oncall@example.com',
    });
  });
});

describe('Failures reach a person (alarms, metrics, the alarm topic)', () => {
  const alarmProps = () =>
    Object.values(stateless.findResources('AWS::CloudWatch::Alarm')).map(
      (alarm) =>
        z
          .looseObject({
            Properties: z.looseObject({
              MetricName: z.string(),
              Namespace: z.string(),
              Statistic: z.string().optional(),
              Threshold: z.number(),
              ComparisonOperator: z.string(),
              TreatMissingData: z.string(),
              Dimensions: z.array(z.looseObject({ Name: z.string(), Value: z.unknown() })).optional(),
            }),
          })
          .parse(alarm).Properties,
    );

  it('alarms on what the functions count (engine errors, failed applies and grants, waiting roles, held removals)', () => {
    const alarms = alarmProps();
    for (const metric of Object.values(METRIC)) {
      if (metric === 'DriftRuns') continue;
      expect(
        alarms.some((a) => a.Namespace === 'grantplane' && a.MetricName === metric && a.Threshold === 1),
        metric,
      ).toBe(true);
    }
  });

  it('alarms on API 5xx, stream iterator age, schedule target errors, and a drift check that stopped running', () => {
    const alarms = alarmProps();
    expect(alarms.some((a) => a.Namespace === 'AWS/ApiGateway' && a.MetricName === '5xx')).toBe(true);
    expect(
      alarms.some(
        (a) =>
          a.Namespace === 'AWS/Lambda' &&
          a.MetricName === 'IteratorAge' &&
          JSON.stringify(a.Dimensions).includes(functionId('applier')),
      ),
    ).toBe(true);
    expect(alarms.some((a) => a.Namespace === 'AWS/Scheduler' && a.MetricName === 'TargetErrorCount')).toBe(true);
    // Missing data is breaching: no DriftRuns point for an hour is the alarm.
    expect(alarms).toContainEqual(
      expect.objectContaining({
        Namespace: 'grantplane',
        MetricName: 'DriftRuns',
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
      }),
    );
  });

  it("lets CloudWatch publish to the alarm topic, evaluated as SNS evaluates the topic's policy", () => {
    const topic = logicalId(stateless, 'AWS::SNS::Topic', () => true);
    const policies = Object.values(stateless.findResources('AWS::SNS::TopicPolicy')).map(
      (p) => z.looseObject({ Properties: z.looseObject({ PolicyDocument: z.unknown() }) }).parse(p).Properties,
    );
    expect(policies).toHaveLength(1);
    const document = policies[0]?.PolicyDocument;
    const topicArn = JSON.stringify({ Ref: topic });
    // CloudFormation resolves the pseudo parameters; the evaluator sees the account and region as joined text.
    const resolved = JSON.parse(
      JSON.stringify(document)
        .replace(
          /\{"Fn::Join":\["",\["arn:",\{"Ref":"AWS::Partition"\},":cloudwatch:",\{"Ref":"AWS::Region"\},":",\{"Ref":"AWS::AccountId"\},":alarm:\*"\]\]\}/g,
          '"arn:aws:cloudwatch:us-west-2:123456789012:alarm:*"',
        )
        .replace(/\{"Ref":"AWS::AccountId"\}/g, '"123456789012"'),
    ) as unknown;
    const alarmCall = {
      'aws:SecureTransport': 'true',
      'aws:SourceArn': 'arn:aws:cloudwatch:us-west-2:123456789012:alarm:grantplane-EngineErrors',
      'aws:SourceAccount': '123456789012',
    };
    expect(
      resourcePolicyAllows(resolved, { service: 'cloudwatch.amazonaws.com' }, 'sns:Publish', topicArn, alarmCall),
    ).toBe(true);
    // Still: not over plain HTTP, not another account's alarms, not another service.
    const check = (context: Record<string, string>, service = 'cloudwatch.amazonaws.com') =>
      resourcePolicyAllows(resolved, { service }, 'sns:Publish', topicArn, context);
    expect(check({ ...alarmCall, 'aws:SecureTransport': 'false' })).toBe(false);
    expect(
      check({
        ...alarmCall,
        'aws:SourceAccount': '999999999999',
        'aws:SourceArn': 'arn:aws:cloudwatch:us-west-2:999999999999:alarm:x',
      }),
    ).toBe(false);
    expect(check(alarmCall, 'events.amazonaws.com')).toBe(false);
    // Without the Allow (the policy before), CloudWatch was implicitly denied: the evaluator can tell.
    const denyOnly = {
      ...(resolved as object),
      Statement: (resolved as { Statement: { Effect: string }[] }).Statement.filter((x) => x.Effect === 'Deny'),
    };
    expect(
      resourcePolicyAllows(denyOnly, { service: 'cloudwatch.amazonaws.com' }, 'sns:Publish', topicArn, alarmCall),
    ).toBe(false);
  });
});

/**
 * An app (bundling skipped: only the templates matter) whose configuration has `count` AWS planes
 * in accounts of their own, each reached through its applierRoleArn, and optionally prod at home.
 */
const appWithRemotePlanes = (count: number, options: { homePlane: boolean }): App => {
  const remote = Array.from({ length: count }, (_, i) => {
    const account = String(200000000000 + i);
    return `  - { name: p${i}, cloud: aws, accountId: "${account}", region: ap-south-1, orgPrefix: acme, oidcProvider: oidc.eks.ap-south-1.amazonaws.com/id/E, domains: [development], projects: "*", applierRoleArn: "arn:aws:iam::${account}:role/grantplane-access/grantplane-applier" }`;
  });
  const home = `  - { name: prod, cloud: aws, accountId: "${HOME}", region: us-west-2, orgPrefix: acme, oidcProvider: oidc.eks.us-west-2.amazonaws.com/id/E, domains: [development], projects: "*" }`;
  const dir = mkdtempSync(join(tmpdir(), 'grantplane-planes-'));
  const configFile = join(dir, 'grantplane.config.yaml');
  writeFileSync(configFile, `dataPlanes:\n${[...(options.homePlane ? [home] : []), ...remote].join('\n')}\n`);
  return new App({ context: { ...context(configFile), 'aws:cdk:bundling-stacks': [] }, outdir: join(dir, 'out') });
};

describe('What a deployment pins and keeps portable', () => {
  it('pins every function to nodejs24.x', () => {
    const runtimes = Object.values(stateless.findResources('AWS::Lambda::Function')).map(
      (f) => z.looseObject({ Properties: z.looseObject({ Runtime: z.string() }) }).parse(f).Properties.Runtime,
    );
    expect(new Set(runtimes)).toEqual(new Set(['nodejs24.x']));
  });

  it('bakes no region of the synthesizing machine in, and keeps role policies within IAM limits for 150 planes', () => {
    const saved = process.env.CDK_DEFAULT_REGION;
    process.env.CDK_DEFAULT_REGION = 'eu-central-2';
    try {
      const built = buildApp(appWithRemotePlanes(150, { homePlane: true }));
      for (const stack of [built.stateful, built.stateless]) {
        expect(JSON.stringify(Template.fromStack(stack).toJSON())).not.toContain('eu-central-2');
      }
      const template = Template.fromStack(built.stateless);
      const size = (document: unknown) => JSON.stringify(document).replace(/\s/g, '').length;
      const inline = new Map<string, number>();
      for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
        const props = z
          .looseObject({ Properties: z.looseObject({ Roles: z.array(z.unknown()), PolicyDocument: z.unknown() }) })
          .parse(policy).Properties;
        for (const role of props.Roles) {
          const key = JSON.stringify(role);
          inline.set(key, (inline.get(key) ?? 0) + size(props.PolicyDocument));
        }
      }
      for (const [role, chars] of inline) expect(chars, role).toBeLessThan(10_240);
      const managed = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).map(
        (p) =>
          z.looseObject({ Properties: z.looseObject({ PolicyDocument: z.unknown() }) }).parse(p).Properties
            .PolicyDocument,
      );
      expect(managed.length).toBeGreaterThanOrEqual(3);
      for (const document of managed) expect(size(document)).toBeLessThan(6_144);
    } finally {
      if (saved === undefined) delete process.env.CDK_DEFAULT_REGION;
      else process.env.CDK_DEFAULT_REGION = saved;
    }
  }, 120_000);
});

describe('Plane count beyond what IAM allows one role', () => {
  it('refuses more than 600 planes with applierRoleArn (10 managed policies of 60 roles), naming the limit', () => {
    expect(() => buildApp(appWithRemotePlanes(601, { homePlane: false }))).toThrow(
      /601 planes with applierRoleArn; one deployment reaches at most 600/,
    );
  });
});

describe('Applier IAM: least privilege (issue 6 item 2, R3)', () => {
  const userFlyteRole = `arn:aws:iam::${PROD}:role/acme-userflyterole`;
  const adminFlyteRole = `arn:aws:iam::${PROD}:role/acme-adminflyterole`;
  const ownRole = `arn:aws:iam::${PROD}:role/grantplane/acme-flytesnacks-development`;
  const ownPolicy = `arn:aws:iam::${PROD}:policy/grantplane/grantplane-flytesnacks-development-1`;
  const userFlyteRolePolicy = `arn:aws:iam::${PROD}:policy/userflyterole`;
  const foreignPolicy = `arn:aws:iam::aws:policy/AdministratorAccess`;
  let applier: Statement[];
  let drift: Statement[];
  beforeAll(() => {
    applier = roleStatements(roleId('applier'));
    drift = roleStatements(roleId('drift'));
  });

  it('allows every IAM call the applier makes on what grantplane manages (docs/applier.md)', () => {
    const needed: Array<[string, string, Record<string, string>?]> = [
      ['iam:CreateRole', ownRole, { 'iam:PermissionsBoundary': BOUNDARY }],
      ['iam:TagRole', ownRole],
      ['iam:UntagRole', ownRole],
      ['iam:UpdateAssumeRolePolicy', ownRole],
      ['iam:PutRolePermissionsBoundary', ownRole, { 'iam:PermissionsBoundary': BOUNDARY }],
      ['iam:DeleteRole', ownRole],
      ['iam:GetRole', ownRole],
      ['iam:GetRole', userFlyteRole],
      ['iam:ListAttachedRolePolicies', userFlyteRole],
      ['iam:CreatePolicy', ownPolicy],
      ['iam:TagPolicy', ownPolicy],
      ['iam:UntagPolicy', ownPolicy],
      ['iam:GetPolicy', ownPolicy],
      ['iam:GetPolicyVersion', ownPolicy],
      ['iam:ListPolicyVersions', ownPolicy],
      ['iam:CreatePolicyVersion', ownPolicy],
      ['iam:DeletePolicyVersion', ownPolicy],
      ['iam:DeletePolicy', ownPolicy],
      ['iam:AttachRolePolicy', userFlyteRole, { 'iam:PolicyARN': ownPolicy }],
      ['iam:DetachRolePolicy', userFlyteRole, { 'iam:PolicyARN': ownPolicy }],
      ['iam:AttachRolePolicy', ownRole, { 'iam:PolicyARN': ownPolicy }],
      ['iam:AttachRolePolicy', ownRole, { 'iam:PolicyARN': userFlyteRolePolicy }],
      ['iam:ListRoles', '*'],
      ['iam:ListPolicies', '*'],
      ['iam:GetAccountAuthorizationDetails', '*'],
      ['sts:AssumeRole', ACCESS_ROLE],
    ];
    for (const [action, resource, conditions] of needed) {
      expect(allowed(applier, action, resource, conditions ?? {}), `${action} on ${resource}`).toBe(true);
    }
  });

  it('denies what R3 forbids: AdminFlyteRole, userflyterole itself, foreign policies, roles without the boundary', () => {
    const forbidden: Array<[string, string, Record<string, string>?]> = [
      ['iam:AttachRolePolicy', adminFlyteRole, { 'iam:PolicyARN': ownPolicy }],
      ['iam:UpdateAssumeRolePolicy', adminFlyteRole],
      ['iam:GetRole', adminFlyteRole],
      ['iam:UpdateAssumeRolePolicy', userFlyteRole],
      ['iam:DeleteRole', userFlyteRole],
      ['iam:TagRole', userFlyteRole],
      ['iam:DetachRolePolicy', userFlyteRole, { 'iam:PolicyARN': userFlyteRolePolicy }],
      ['iam:AttachRolePolicy', userFlyteRole, { 'iam:PolicyARN': foreignPolicy }],
      ['iam:AttachRolePolicy', ownRole, { 'iam:PolicyARN': foreignPolicy }],
      ['iam:CreatePolicyVersion', userFlyteRolePolicy],
      ['iam:CreateRole', ownRole],
      ['iam:CreateRole', ownRole, { 'iam:PermissionsBoundary': `arn:aws:iam::${PROD}:policy/other` }],
      ['iam:DeleteRolePermissionsBoundary', ownRole],
      ['iam:CreateRole', `arn:aws:iam::${PROD}:role/escalate`, { 'iam:PermissionsBoundary': BOUNDARY }],
      ['iam:PassRole', ownRole],
      ['iam:CreateUser', `arn:aws:iam::${PROD}:user/grantplane/x`],
      ['sts:AssumeRole', `arn:aws:iam::${PROD}:role/grantplane/acme-flytesnacks-development`],
      ['s3:GetObject', 'arn:aws:s3:::acme-ml-data/x'],
    ];
    for (const [action, resource, conditions] of forbidden) {
      expect(allowed(applier, action, resource, conditions ?? {}), `${action} on ${resource}`).toBe(false);
    }
  });

  it('has an explicit Deny on <AdminFlyteRole>, no wildcard or PassRole action, and no IAM write on "*"', () => {
    expect(
      applier.some((s) => s.Effect === 'Deny' && s.Action.includes('iam:*') && s.Resource.includes(adminFlyteRole)),
    ).toBe(true);
    for (const statement of applier.filter((s) => s.Effect === 'Allow')) {
      for (const action of statement.Action) {
        expect(action, JSON.stringify(statement)).not.toMatch(/\*|\?/);
        expect(action.toLowerCase()).not.toBe('iam:passrole');
        if (statement.Resource.includes('*') && action.startsWith('iam:'))
          expect(action, 'IAM write on Resource "*"').toMatch(/^iam:(List|Get)/);
      }
    }
  });

  it('gives the drift check reads only', () => {
    expect(allowed(drift, 'iam:GetAccountAuthorizationDetails', '*')).toBe(true);
    expect(allowed(drift, 'iam:GetPolicyVersion', ownPolicy)).toBe(true);
    for (const action of ['iam:CreatePolicyVersion', 'iam:AttachRolePolicy', 'iam:DeleteRole', 'iam:TagRole']) {
      expect(
        allowed(drift, action, action.includes('Policy') ? ownPolicy : ownRole, { 'iam:PolicyARN': ownPolicy }),
        action,
      ).toBe(false);
    }
  });
});

describe('PlaneAccessStack: the roles the applier and the drift check assume in another account', () => {
  const trustOf = (roleName: string): string[] => {
    const role = Object.values(planeAccess.findResources('AWS::IAM::Role'))
      .map((resource) =>
        z
          .looseObject({
            Properties: z.looseObject({
              RoleName: z.string(),
              AssumeRolePolicyDocument: z.looseObject({
                Statement: z.array(
                  z.looseObject({ Action: z.string(), Effect: z.string(), Principal: z.object({ AWS: z.string() }) }),
                ),
              }),
            }),
          })
          .parse(resource),
      )
      .find((resource) => resource.Properties.RoleName === roleName);
    if (role === undefined) throw new Error(`no role ${roleName}`);
    const trust = role.Properties.AssumeRolePolicyDocument.Statement;
    expect(trust.every((s) => s.Action === 'sts:AssumeRole' && s.Effect === 'Allow')).toBe(true);
    return trust.map((s) => s.Principal.AWS).sort();
  };
  const policyOf = (description: RegExp): Statement[] => {
    const found = Object.values(planeAccess.findResources('AWS::IAM::ManagedPolicy'))
      .map((resource) =>
        z
          .looseObject({ Properties: z.looseObject({ PolicyDocument: z.unknown(), Description: z.string() }) })
          .parse(resource),
      )
      .filter((resource) => description.test(resource.Properties.Description));
    if (found.length !== 1) throw new Error(`expected one policy matching ${description}, found ${found.length}`);
    return statementsOf(found[0]!.Properties.PolicyDocument);
  };
  const remoteBoundary = `arn:aws:iam::${REMOTE}:policy/grantplane-boundary/grantplane-task-boundary`;

  it('creates the applier role trusted by the applier only, and its read-only twin trusted by the drift check only', () => {
    planeAccess.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'grantplane-applier',
      Path: '/grantplane-access/',
    });
    expect(trustOf('grantplane-applier')).toEqual([`arn:aws:iam::${HOME}:role/grantplane-applier`]);
    expect(trustOf('grantplane-applier-drift')).toEqual([`arn:aws:iam::${HOME}:role/grantplane-drift`]);
  });

  it("grants the applier's policy for that account, with the same explicit Deny", () => {
    const statements = policyOf(/^grantplane: manage roles/);
    expect(allowed(statements, 'iam:CreatePolicyVersion', `arn:aws:iam::${REMOTE}:policy/grantplane/p`)).toBe(true);
    expect(
      allowed(statements, 'iam:CreateRole', `arn:aws:iam::${REMOTE}:role/grantplane/r`, {
        'iam:PermissionsBoundary': remoteBoundary,
      }),
    ).toBe(true);
    expect(
      allowed(statements, 'iam:AttachRolePolicy', `arn:aws:iam::${REMOTE}:role/acme-adminflyterole`, {
        'iam:PolicyARN': `arn:aws:iam::${REMOTE}:policy/grantplane/p`,
      }),
    ).toBe(false);
    expect(allowed(statements, 'iam:UpdateAssumeRolePolicy', ACCESS_ROLE)).toBe(false);
    expect(allowed(statements, 'iam:PassRole', `arn:aws:iam::${REMOTE}:role/grantplane/r`)).toBe(false);
  });

  it('gives the drift twin reads only in that account', () => {
    const statements = policyOf(/^grantplane: read roles/);
    expect(allowed(statements, 'iam:GetAccountAuthorizationDetails', '*')).toBe(true);
    expect(allowed(statements, 'iam:GetPolicyVersion', `arn:aws:iam::${REMOTE}:policy/grantplane/p`)).toBe(true);
    for (const [action, resource] of [
      ['iam:CreatePolicyVersion', `arn:aws:iam::${REMOTE}:policy/grantplane/p`],
      ['iam:CreateRole', `arn:aws:iam::${REMOTE}:role/grantplane/r`],
      ['iam:DeleteRole', `arn:aws:iam::${REMOTE}:role/grantplane/r`],
      ['iam:AttachRolePolicy', `arn:aws:iam::${REMOTE}:role/grantplane/r`],
    ] as const) {
      expect(
        allowed(statements, action, resource, {
          'iam:PermissionsBoundary': remoteBoundary,
          'iam:PolicyARN': `arn:aws:iam::${REMOTE}:policy/grantplane/p`,
        }),
        action,
      ).toBe(false);
    }
  });

  it("creates the plane account's task boundary outside the managed path (none configured)", () => {
    planeAccess.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      ManagedPolicyName: 'grantplane-task-boundary',
      Path: '/grantplane-boundary/',
    });
  });
});
