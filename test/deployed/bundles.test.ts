// The deployed tier (docs/deploy.md): `cdk synth`, then every function's bundle run the way
// Lambda runs it — its asset folder alone in a temp directory, Node as the template's runtime, the
// template's environment — against DynamoDB Local holding the template's table and the IAM
// emulator. End to end: submit → approve → the table's stream through the mapping's filters →
// applier → active, role and policy in IAM → revoke → revoked; the drift function on a scheduler
// event. What runs here is what deploys: nothing of the repository is around the bundles.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { CreatePolicyCommand, GetRoleCommand, IAMClient, ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../lib/local/dynamodb-local.js';
import { startIamEmulator, type IamEmulator } from '../../lib/local/iam-emulator/index.js';
import {
  startArmAuthorizationServer,
  STAND_IN_CA_FILE,
  type ArmAuthorizationServer,
} from '../../lib/local/cloud/arm-authorization-server.js';
import { startGcpIamServer, type GcpIamServer } from '../../lib/local/cloud/gcp-iam-server.js';
import { startGcsIamServer, type GcsIamServer } from '../../lib/local/cloud/gcs-iam-server.js';
import { apiEvent, type EventInput } from '../functions/events.js';
import { signHub } from '../../lib/domain/webhooks/signatures.js';
import {
  AZURE_PLANE,
  FEATURES_CONTAINER,
  FEATURES_CONTAINER_SCOPE,
  GCP_PLANE,
  USER_FLYTE_GSA,
  USER_IDENTITY,
} from '../helpers/cloud-planes.js';
import { startIdentityProviders, type IdentityProviders } from '../helpers/identity-providers.js';
import { TEST_ACCOUNT_ID, TEST_OIDC, TEST_PLANE_CONFIG_TEXT } from '../helpers/iam.js';
import {
  startJiraReceiver,
  startSlackReceiver,
  startSnsReceiver,
  type JiraReceiver,
  type SlackReceiver,
  type SnsReceiver,
} from '../helpers/notification-receivers.js';
import { startSecretsManagerServer, type SecretsManagerServer } from '../helpers/secrets-manager-server.js';
import {
  createTableFromTemplate,
  matchesFilter,
  nodeFor,
  openStream,
  resourcesOf,
  startFunction,
  streamFilters,
  synthesize,
  type DeployedFunction,
  type RefValues,
  type Synthesized,
  type TableStream,
} from './harness.js';

const TABLE = 'grantplane-deployed';
const work = mkdtempSync(join(tmpdir(), 'grantplane-deployed-'));
const CONFIG = join(work, 'grantplane.config.yaml');
const MAIL_TOPIC = `arn:aws:sns:us-west-2:${TEST_ACCOUNT_ID}:grantplane-approvers`;

let synth: Synthesized;
let dynamoLocal: DynamoDbLocal;
let emulator: IamEmulator;
let dynamo: DynamoDBClient;
let streams: DynamoDBStreamsClient;
let iam: IAMClient;
let stream: TableStream;
let secrets: SecretsManagerServer;
let slack: SlackReceiver;
let jira: JiraReceiver;
const JIRA_ACCOUNT = { email: 'grantplane@acme.example', apiToken: 'deployed-jira-token' };
let sns: SnsReceiver;
const WEBHOOK_SECRET = 'deployed-tier-webhook-secret';
const functions = new Map<string, DeployedFunction>();
let gcs: GcsIamServer;
let gcpIam: GcpIamServer;
let arm: ArmAuthorizationServer;
let identity: IdentityProviders;
const GSA = USER_FLYTE_GSA;
const CREDENTIALS = { accessKeyId: 'AKIDDEPLOYED', secretAccessKey: 'deployed-tier' };
// Workload identity federation from AWS, as deployed (docs/gcp-azure.md "Credentials"): Google's
// pool provider and the service account it impersonates; the Entra app whose federated credential
// trusts the functions' role.
const GOOGLE_AUDIENCE =
  '//iam.googleapis.com/projects/310492716325/locations/global/workloadIdentityPools/aws-grantplane/providers/grantplane';
const GRANTPLANE_GSA = 'grantplane@acme-admin.iam.gserviceaccount.com';
const ENTRA = { tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47', clientId: '3c7d9a2e-1f4b-4e8a-9b6c-5d0e2f1a7b84' };
const OTHER_PROJECT_SECRET = 'projects/318405726153/secrets/feature-store-password';

/** The function serving a route group or worker, found by the description the stack gives it. */
const fn = (description: string): DeployedFunction => {
  const found = [...functions.values()].find((f) => f.description === description);
  if (found === undefined) throw new Error(`no deployed function "${description}"`);
  return found;
};

const ALICE = { sub: 'alice', groups: ['requester'] };
const BOB = { sub: 'bob', groups: ['approver', 'requester'] };

/** One HTTP API v2 event (the JWT authorizer's claims in it) to the function of `group`. */
const http = async (group: string, input: EventInput) => {
  const result = (await fn(`HTTP ${group}`).invoke(apiEvent(input))) as {
    statusCode: number;
    body?: string;
  };
  return { status: result.statusCode, body: result.body ? (JSON.parse(result.body) as Record<string, unknown>) : {} };
};

/** Feeds what the table's stream holds to the applier, as the event source mapping would: filtered, in batches. */
const deliverStream = async (): Promise<{
  delivered: DynamoDBRecord[];
  skipped: number;
  notified: DynamoDBRecord[];
}> => {
  const applier = fn('applier (table stream to IAM)');
  const notifier = fn('notifier (audit events to Slack, e-mail and tickets)');
  const filters = streamFilters(synth, applier.logicalId);
  const records = await stream.drain();
  // The notifier's own mapping sees the same records through its own filters.
  const notifierFilters = streamFilters(synth, notifier.logicalId);
  const notifying = records.filter((r) => notifierFilters.some((p) => matchesFilter(p, r)));
  for (let i = 0; i < notifying.length; i += 25) {
    const answer = (await notifier.invoke({ Records: notifying.slice(i, i + 25) })) as DynamoDBBatchResponse;
    expect(answer.batchItemFailures).toEqual([]);
  }
  const delivered = records.filter((r) => filters.length === 0 || filters.some((p) => matchesFilter(p, r)));
  for (let i = 0; i < delivered.length; i += 25) {
    const answer = (await applier.invoke({
      Records: delivered.slice(i, i + 25),
    })) as DynamoDBBatchResponse;
    expect(answer.batchItemFailures).toEqual([]);
  }
  return { delivered, skipped: records.length - delivered.length, notified: notifying };
};

beforeAll(async () => {
  secrets = await startSecretsManagerServer({ region: 'us-west-2', account: TEST_ACCOUNT_ID });
  slack = await startSlackReceiver();
  sns = await startSnsReceiver();
  sns.addTopic(MAIL_TOPIC);
  const slackSecret = secrets.put('grantplane/slack-webhook', slack.url);
  jira = await startJiraReceiver(JIRA_ACCOUNT);
  jira.addIssue('OPS-1');
  const jiraSecret = secrets.put('grantplane/jira-api-token', JIRA_ACCOUNT.apiToken);
  gcs = await startGcsIamServer();
  gcs.addBucket('acme-research-data');
  identity = await startIdentityProviders({
    roleArn: `arn:aws:iam::${TEST_ACCOUNT_ID}:role/grantplane-applier`,
    accessKeyId: CREDENTIALS.accessKeyId,
    googleAudience: GOOGLE_AUDIENCE,
    googleServiceAccount: GRANTPLANE_GSA,
    entraTenantId: ENTRA.tenantId,
    entraClientId: ENTRA.clientId,
  });
  // Only tokens from the federation are accepted by the GCP and Azure APIs.
  gcpIam = await startGcpIamServer({ acceptsToken: identity.googleIssued });
  gcpIam.addResource(OTHER_PROJECT_SECRET);
  arm = await startArmAuthorizationServer({ acceptsToken: identity.entraIssued });
  // What `gcloud iam workload-identity-pools create-cred-config --aws` writes, with the token
  // exchange and impersonation at the stand-ins.
  const gcpCredentialConfig = join(mkdtempSync(join(tmpdir(), 'gcp-federation-')), 'federation.json');
  writeFileSync(
    gcpCredentialConfig,
    JSON.stringify({
      universe_domain: 'googleapis.com',
      type: 'external_account',
      audience: GOOGLE_AUDIENCE,
      subject_token_type: 'urn:ietf:params:aws:token-type:aws4_request',
      token_url: identity.googleTokenUrl,
      service_account_impersonation_url: identity.googleImpersonationUrl,
      credential_source: {
        environment_id: 'aws1',
        region_url: 'http://169.254.169.254/latest/meta-data/placement/availability-zone',
        url: 'http://169.254.169.254/latest/meta-data/iam/security-credentials',
        regional_cred_verification_url:
          'https://sts.{region}.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15',
      },
    }),
  );
  const planes = JSON.parse(TEST_PLANE_CONFIG_TEXT) as { dataPlanes: unknown[] };
  writeFileSync(
    CONFIG,
    JSON.stringify({
      ...planes,
      dataPlanes: [...planes.dataPlanes, GCP_PLANE, AZURE_PLANE],
      notifications: {
        consoleUrl: 'https://grantplane.example.com/console',
        channels: [
          { name: 'approvers', type: 'slack', webhookUrlSecretArn: slackSecret },
          { name: 'mail', type: 'email', topicArn: MAIL_TOPIC },
          {
            name: 'tickets',
            type: 'jira',
            baseUrl: jira.url,
            email: JIRA_ACCOUNT.email,
            apiTokenSecretArn: jiraSecret,
          },
        ],
        subscriptions: [
          { channel: 'approvers', events: ['approval-requested', 'decision', 'apply-failed', 'drift-found'] },
          { channel: 'mail', events: ['decision'] },
          { channel: 'tickets', events: ['decision', 'active', 'ended'] },
        ],
      },
    }),
  );
  synth = synthesize({
    'grantplane:config': CONFIG,
    jwtIssuer: 'https://acme.okta.com/oauth2/default',
    jwtAudience: 'grantplane',
    homeAccount: TEST_ACCOUNT_ID,
    gcpCredentialConfig,
    azureTenantId: ENTRA.tenantId,
    azureClientId: ENTRA.clientId,
  });
  dynamoLocal = await startDynamoDbLocal({ startTimeoutMs: 60_000 });
  emulator = await startIamEmulator({ accountId: TEST_ACCOUNT_ID });
  emulator.seedDataPlane({ accountId: TEST_ACCOUNT_ID, orgPrefix: 'acme', oidcProvider: TEST_OIDC });
  const credentials = CREDENTIALS;
  dynamo = new DynamoDBClient({ endpoint: dynamoLocal.endpoint, region: 'us-west-2', credentials });
  streams = new DynamoDBStreamsClient({ endpoint: dynamoLocal.endpoint, region: 'us-west-2', credentials });
  iam = new IAMClient({ endpoint: emulator.endpoint, region: 'us-east-1', credentials });
  // What the deployment creates in IAM itself: the named managed policies of the template (the
  // task roles' permissions boundary), as CloudFormation would.
  for (const [, policy] of resourcesOf(synth.stateless, 'AWS::IAM::ManagedPolicy')) {
    const props = policy.Properties ?? {};
    if (typeof props['ManagedPolicyName'] !== 'string') continue;
    await iam.send(
      new CreatePolicyCommand({
        PolicyName: props['ManagedPolicyName'],
        Path: typeof props['Path'] === 'string' ? props['Path'] : '/',
        PolicyDocument: JSON.stringify(props['PolicyDocument']),
      }),
    );
  }
  await createTableFromTemplate(dynamo, synth, TABLE);
  stream = await openStream(dynamo, streams, TABLE);

  const [tableId] = resourcesOf(synth.stateful, 'AWS::DynamoDB::Table').map(([id]) => id);
  const refs: RefValues = { [tableId ?? 'Table']: TABLE };
  for (const [id] of resourcesOf(synth.stateless, 'AWS::Lambda::Function')) refs[id] = `grantplane-${id}`;
  for (const [id] of resourcesOf(synth.stateless, 'AWS::SecretsManager::Secret'))
    refs[id] = secrets.put(id, WEBHOOK_SECRET);
  const runtimeEnv = {
    AWS_REGION: 'us-west-2',
    AWS_DEFAULT_REGION: 'us-west-2',
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoLocal.endpoint,
    AWS_ENDPOINT_URL_IAM: emulator.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    AWS_ENDPOINT_URL_SNS: sns.endpoint,
    // Cloud Storage's own variable (the JSON API's base URL): the GCP client in the shipped side
    // bundle reaches the stand-in.
    STORAGE_EMULATOR_HOST: `${gcs.endpoint}/storage/v1`,
    // The other GCP and Azure APIs and the identity services, moved to the stand-ins by the
    // variables docs/gcp-azure.md lists for private and sovereign clouds.
    GRANTPLANE_SECRET_MANAGER_ENDPOINT: gcpIam.endpoint,
    GRANTPLANE_ARTIFACT_REGISTRY_ENDPOINT: gcpIam.endpoint,
    GRANTPLANE_AZURE_ARM_ENDPOINT: arm.endpoint,
    AZURE_AUTHORITY_HOST: identity.entraAuthorityHost,
    AWS_ENDPOINT_URL_STS: identity.stsEndpoint,
    NODE_EXTRA_CA_CERTS: STAND_IN_CA_FILE,
  };
  const ids = resourcesOf(synth.stateless, 'AWS::Lambda::Function').map(([id]) => id);
  const started = await Promise.all(ids.map((logicalId) => startFunction({ synth, logicalId, refs, runtimeEnv })));
  for (const started1 of started) functions.set(started1.logicalId, started1);
}, 300_000);

afterAll(async () => {
  for (const f of functions.values()) f.stop();
  dynamo?.destroy();
  streams?.destroy();
  iam?.destroy();
  await emulator?.stop();
  await dynamoLocal?.stop();
  await secrets?.close();
  await slack?.close();
  await jira?.close();
  await sns?.close();
  await gcs?.close();
  await gcpIam?.close();
  await arm?.close();
  await identity?.close();
});

describe('the synthesized bundles, run as Lambda runs them', () => {
  it('are self-contained: each runs from a folder holding only its bundle, its config and the IAM action catalogue, no node_modules above it', () => {
    expect(functions.size).toBe(resourcesOf(synth.stateless, 'AWS::Lambda::Function').length);
    for (const f of functions.values()) {
      // The console's function also carries its pages (functions/http/console/).
      const pages = f.description === 'HTTP http/console' ? ['console'] : [];
      // The functions that apply or check GCP/Azure planes also carry their clients' side bundle.
      const variables = (
        resourcesOf(synth.stateless, 'AWS::Lambda::Function').find(([id]) => id === f.logicalId)?.[1].Properties?.[
          'Environment'
        ] as { Variables?: Record<string, unknown> } | undefined
      )?.Variables;
      // (and the Google federation configuration, deployed with -c gcpCredentialConfig).
      const cloud =
        variables?.['GRANTPLANE_CLOUD_CLIENTS'] === './cloud-clients.mjs'
          ? ['cloud-clients.mjs', 'gcp-credentials.json']
          : [];
      expect(readdirSync(f.folder).sort(), f.logicalId).toEqual(
        [...pages, ...cloud, 'grantplane.config.json', 'iam-catalogue.json', 'index.mjs', 'index.mjs.map'].sort(),
      );
      for (let dir = f.folder; dir !== dirname(dir); dir = dirname(dir))
        expect(existsSync(join(dir, 'node_modules')), dir).toBe(false);
    }
  });

  it('start without --enable-source-maps, yet an error thrown inside a bundle names the source file and line (mapped on first use)', () => {
    const applier = fn('applier (table stream to IAM)');
    const script = join(mkdtempSync(join(tmpdir(), 'stack-')), 'throw.mjs');
    // The applier with no readable configuration: the error is thrown deep inside the bundle.
    writeFileSync(
      script,
      `const { handler } = await import(${JSON.stringify(join(applier.folder, 'index.mjs'))});
try { await handler({ Records: [] }, { functionName: 'f', awsRequestId: 'r', getRemainingTimeInMillis: () => 1000 }); }
catch (error) { process.stdout.write(error.stack); }`,
    );
    const runtime = String(resourcesOf(synth.stateless, 'AWS::Lambda::Function')[0]![1].Properties?.['Runtime']);
    const run = spawnSync(nodeFor(runtime), [script], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        GRANTPLANE_TABLE: 'grantplane',
        GRANTPLANE_CONFIG: '/nonexistent',
        AWS_REGION: 'us-west-2',
      },
    });
    const frames = run.stdout.split('\n').filter((line) => line.startsWith('    at '));
    expect(run.stdout, run.stderr).toMatch(/^WiringError: GRANTPLANE_CONFIG=\/nonexistent cannot be read/);
    expect(frames[0], run.stdout).toMatch(/^ {4}at \S+ \(lib\/wiring\/[a-z-]+\.ts:\d+:\d+\)$/);
    expect(
      frames.some((line) => line.includes('(functions/applier.ts:')),
      run.stdout,
    ).toBe(true);
    expect(
      frames.filter((line) => line.includes('index.mjs')),
      run.stdout,
    ).toEqual([]);
  });

  it('HTTP, webhook and notifier bundles carry no IAM or STS client: only the applier and the drift functions reach IAM', () => {
    const reachesIam = (f: DeployedFunction): string[] =>
      (JSON.parse(readFileSync(join(f.folder, 'index.mjs.map'), 'utf8')) as { sources: string[] }).sources.filter(
        (source) => /client-sts|client-iam|adapters\/iam\//.test(source),
      );
    const api = [...functions.values()].filter(
      (f) =>
        (f.description.startsWith('HTTP ') || /webhook|notifier/i.test(f.description)) && !/drift/i.test(f.description),
    );
    expect(api.length).toBeGreaterThan(5);
    for (const f of api) expect(reachesIam(f), f.description).toEqual([]);
    // and the check sees IAM where it is: the applier's bundle
    expect(reachesIam(fn('applier (table stream to IAM)')).length).toBeGreaterThan(0);
  });

  it('carry only what they use at cold start: zod’s mini build, and a YAML parser only where YAML is read (attribute bodies, ticket text)', () => {
    const sourcesOf = (f: DeployedFunction): string[] =>
      (JSON.parse(readFileSync(join(f.folder, 'index.mjs.map'), 'utf8')) as { sources: string[] }).sources;
    const readsYaml = /HTTP http\/attributes|HTTP webhook/;
    for (const f of functions.values()) {
      const sources = sourcesOf(f);
      expect(
        sources.filter((source) =>
          /node_modules\/zod\/v4\/(classic|locales\/(?!en\.js))|zod\/v4\/core\/to-json-schema/.test(source),
        ),
        f.description,
      ).toEqual([]);
      if (!readsYaml.test(f.description))
        expect(
          sources.filter((source) => /node_modules\/yaml\//.test(source)),
          f.description,
        ).toEqual([]);
    }
    // and the check sees YAML where it is: the webhook's ticket text
    expect(sourcesOf(fn('HTTP webhook')).some((source) => /node_modules\/yaml\//.test(source))).toBe(true);
  });
  it('read the IAM action catalogue from the file beside the bundle, not from their JavaScript (R7)', async () => {
    for (const f of functions.values()) {
      expect(existsSync(join(f.folder, 'iam-catalogue.json')), f.description).toBe(true);
      expect(readFileSync(join(f.folder, 'index.mjs'), 'utf8'), f.description).not.toContain('GetDeploymentJobDetails');
    }
    // Wildcards are expanded against the catalogue: a read pattern passes, one that reaches IAM's writes does not.
    const statements = (Action: string) => ({
      dataPlane: 'prod',
      scope: { type: 'project-domain', project: 'catalogue', domain: 'development' },
      resource: {
        type: 'iam-statements',
        statements: [{ Effect: 'Allow', Action, Resource: 'arn:aws:dynamodb:us-west-2:123456789012:table/features' }],
      },
    });
    const planned = await http('http/plan', {
      method: 'POST',
      path: '/v1/plan',
      caller: ALICE,
      body: { grants: [statements('dynamodb:Get*'), statements('iam:*')] },
    });
    expect(planned.status, JSON.stringify(planned.body)).toBe(200);
    expect(planned.body).toMatchObject({
      accepted: [{ index: 0 }],
      rejected: [{ index: 1, errors: [{ code: 'guardrail.privileged-service' }] }],
    });
  });

  it('cdk synth refuses a placeholder issuer in one line naming the key (docs/deploy.md "What synth refuses")', () => {
    expect(() =>
      synthesize({ 'grantplane:config': CONFIG, jwtIssuer: 'https://idp.example.com/', homeAccount: TEST_ACCOUNT_ID }),
    ).toThrow(/grantplane: synth refused: context jwtIssuer: https:\/\/idp\.example\.com\/ is a placeholder/);
  });

  // One grant's whole life, in order within one test (so no test depends on another's state).
  it('a grant through the bundles: submit → approve → stream → applier → active → revoke → revoked → drift', async () => {
    // submit (requester) → pending-approval; plan and list answer
    const request = {
      dataPlane: 'prod',
      scope: { type: 'project-domain', project: 'flytesnacks', domain: 'development' },
      resource: { type: 's3', bucket: 'acme-ml-data', prefix: 'team-a/', access: 'read-write' },
      justification: 'training jobs read and write features',
      ticket: { system: 'jira', key: 'OPS-1' },
    };
    const planned = await http('http/plan', {
      method: 'POST',
      path: '/v1/plan',
      caller: ALICE,
      body: { grants: [request] },
    });
    expect(planned.status, JSON.stringify(planned.body)).toBe(200);
    expect(planned.body).toMatchObject({ rejected: [] });

    // With an Idempotency-Key (Powertools idempotency, loaded by the first request that sends one):
    // the same key again answers the same grant, 200 instead of 201.
    const keyed = {
      method: 'POST',
      path: '/v1/grants',
      caller: ALICE,
      body: request,
      headers: { 'Idempotency-Key': 'ops-1-first' },
    };
    const submitted = await http('http/grants', keyed);
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(201);
    expect(submitted.body).toMatchObject({ status: 'pending-approval', requester: 'alice' });
    const grantId = String(submitted.body['id']);
    const replayed = await http('http/grants', keyed);
    expect(replayed.status, JSON.stringify(replayed.body)).toBe(200);
    expect(replayed.body['id']).toBe(grantId);

    const listed = await http('http/grants', {
      method: 'GET',
      path: '/v1/grants',
      caller: BOB,
      query: { status: 'pending-approval' },
    });
    expect(listed.status).toBe(200);
    expect((listed.body['items'] as { id: string }[]).map((g) => g.id)).toContain(grantId);

    // approve (approver) → the stream wakes the applier only for records that need work → active, role and policy in IAM
    const approved = await http('http/grants', {
      method: 'POST',
      path: `/v1/grants/${grantId}/approve`,
      caller: BOB,
      body: { comment: 'ok' },
    });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    const { delivered, skipped } = await deliverStream();
    expect(delivered.length).toBeGreaterThan(0);
    // Audit events, idempotency records and the like never invoke the applier.
    expect(skipped).toBeGreaterThan(0);
    // The applier's own writes (grant → active, target outcome, audit) need no second wake-up that does work.
    await deliverStream();

    const read = await http('http/grants', { method: 'GET', path: `/v1/grants/${grantId}`, caller: ALICE });
    expect(read.body).toMatchObject({ id: grantId, status: 'active' });
    // The notifier's bundle on its own mapping: the request and the decision, each once, in Slack;
    // the decision by mail.
    const toSlack = slack.messages.filter((m) => m.text.includes(grantId)).map((m) => m.text.split('\n')[0]);
    expect(toSlack).toEqual([
      expect.stringContaining('*Approval requested: alice asks for read-write on S3 bucket acme-ml-data'),
      expect.stringContaining('*Approved by bob'),
    ]);
    expect(sns.published.map((mail) => mail.subject)).toEqual([expect.stringMatching(/^grantplane: Approved by bob/)]);
    const role = await iam.send(new GetRoleCommand({ RoleName: 'acme-flytesnacks-development' }));
    expect(role.Role?.Path).toBe('/grantplane/');
    // docs/deploy.md: every role the applier creates carries the deployment's boundary.
    expect(role.Role?.PermissionsBoundary?.PermissionsBoundaryArn).toBe(
      `arn:aws:iam::${TEST_ACCOUNT_ID}:policy/grantplane-boundary/grantplane-task-boundary`,
    );
    const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'acme-flytesnacks-development' }));
    expect(attached.AttachedPolicies?.map((p) => p.PolicyName).sort()).toEqual([
      'grantplane-flytesnacks-development-1',
      'userflyterole',
    ]);
    const target = await http('http/targets', {
      method: 'GET',
      path: '/v1/targets/prod/flytesnacks/development',
      caller: ALICE,
    });
    expect(target.status).toBe(200);
    expect(target.body).toMatchObject({ state: 'applied' });

    // revoke (requester) → revoking → applier → revoked, the pair policy gone from IAM
    const revoked = await http('http/grants', { method: 'DELETE', path: `/v1/grants/${grantId}`, caller: ALICE });
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(202);
    await deliverStream();
    await deliverStream();
    const afterRevoke = await http('http/grants', { method: 'GET', path: `/v1/grants/${grantId}`, caller: ALICE });
    expect(afterRevoke.body).toMatchObject({ status: 'revoked' });
    const detached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'acme-flytesnacks-development' }));
    expect(detached.AttachedPolicies?.map((p) => p.PolicyName)).not.toContain('grantplane-flytesnacks-development-1');

    // drift on a scheduler event stores a report the API serves; the audit trail has the whole story
    const result = (await fn('drift check and expiry (schedule)').invoke({})) as { errors: string[]; targets: number };
    expect(result.errors).toEqual([]);
    const latest = await http('http/drift', { method: 'GET', path: '/v1/drift-checks/latest', caller: ALICE });
    expect(latest.status, JSON.stringify(latest.body)).toBe(200);
    expect(latest.body).toHaveProperty('checkedAt');
    const audit = await http('http/audit', { method: 'GET', path: '/v1/audit', caller: BOB, query: { grantId } });
    expect(audit.status).toBe(200);
    expect((audit.body['items'] as unknown[]).length).toBeGreaterThanOrEqual(3);
    // The ticket heard the decision, the outcome and the end, through the bundle's fetch and its
    // secret; nothing else after the decision notifies anyone.
    expect(jira.comments.map((comment) => comment.text.split(':')[0])).toEqual([
      'Approved by bob',
      'Active',
      'Revoked',
    ]);
    // The drift run's audit event reaches the notifier through its mapping's filter; the plane has
    // no drift, so nothing is sent.
    const { notified } = await deliverStream();
    expect(notified.map((record) => record.dynamodb?.NewImage?.['action']?.S)).toContain('drift.checked');
    expect(slack.messages).toHaveLength(2);
    expect(sns.published).toHaveLength(1);
    expect(jira.comments).toHaveLength(3);
    // Its schedule's invocation (no Records): the reminder pass, with nobody subscribed to reminders here.
    expect(await fn('notifier (audit events to Slack, e-mail and tickets)').invoke({})).toEqual({
      due: 0,
      sent: 0,
      failed: [],
    });
  });

  it('a Cloud Storage grant through the bundles: the applier loads the GCP client it ships beside index.mjs and binds <UserFlyteGSA> ("Enabling Google Cloud Storage")', async () => {
    // The cloud SDKs are in a side bundle of the functions that apply or check GCP/Azure, not in index.mjs.
    const sources = (f: DeployedFunction) =>
      (JSON.parse(readFileSync(join(f.folder, 'index.mjs.map'), 'utf8')) as { sources: string[] }).sources;
    for (const f of functions.values())
      expect(
        sources(f).filter((source) => /@google-cloud|@azure/.test(source)),
        f.description,
      ).toEqual([]);
    const applier = fn('applier (table stream to IAM)');
    expect(existsSync(join(applier.folder, 'cloud-clients.mjs'))).toBe(true);

    const request = {
      dataPlane: 'research-gcp',
      scope: { type: 'global' },
      resource: { type: 'gcs', bucket: 'acme-research-data', access: 'read' },
      justification: 'training jobs read features',
    };
    const submitted = await http('http/grants', { method: 'POST', path: '/v1/grants', caller: ALICE, body: request });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(201);
    const grantId = String(submitted.body['id']);
    const approved = await http('http/grants', {
      method: 'POST',
      path: `/v1/grants/${grantId}/approve`,
      caller: BOB,
    });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    await deliverStream();
    expect(
      (await http('http/grants', { method: 'GET', path: `/v1/grants/${grantId}`, caller: ALICE })).body,
    ).toMatchObject({
      status: 'active',
    });
    expect(gcs.bindingsOf('acme-research-data')).toEqual([
      { role: 'roles/storage.objectViewer', members: [`serviceAccount:${GSA}`] },
    ]);

    const revoked = await http('http/grants', { method: 'DELETE', path: `/v1/grants/${grantId}`, caller: ALICE });
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(202);
    await deliverStream();
    expect(
      (await http('http/grants', { method: 'GET', path: `/v1/grants/${grantId}`, caller: ALICE })).body,
    ).toMatchObject({
      status: 'revoked',
    });
    expect(gcs.bindingsOf('acme-research-data')).toEqual([]);
  });

  it('a Secret Manager and an Azure Blob grant through the bundles, signed in by federation from AWS: no key, no client secret ("Enabling Google Secret Manager", "Enabling Azure Blob Storage")', async () => {
    // What -c gcpCredentialConfig, azureTenantId and azureClientId put on the functions.
    const applier = fn('applier (table stream to IAM)');
    const template = resourcesOf(synth.stateless, 'AWS::Lambda::Function').find(
      ([id]) => id === applier.logicalId,
    )?.[1];
    expect((template?.Properties?.['Environment'] as { Variables: Record<string, unknown> }).Variables).toMatchObject({
      GOOGLE_APPLICATION_CREDENTIALS: '/var/task/gcp-credentials.json',
      GRANTPLANE_AZURE_FEDERATION: 'aws',
      AZURE_TENANT_ID: ENTRA.tenantId,
      AZURE_CLIENT_ID: ENTRA.clientId,
    });
    expect(JSON.stringify(resourcesOf(synth.stateless, 'AWS::IAM::Policy'))).toContain(
      JSON.stringify({
        Action: 'sts:GetWebIdentityToken',
        Condition: {
          'ForAllValues:StringEquals': { 'sts:IdentityTokenAudience': 'api://AzureADTokenExchange' },
          NumericLessThanEquals: { 'sts:DurationSeconds': 300 },
        },
        Effect: 'Allow',
        Resource: '*',
      }),
    );

    const submit = async (request: Record<string, unknown>) => {
      const submitted = await http('http/grants', {
        method: 'POST',
        path: '/v1/grants',
        caller: ALICE,
        body: { scope: { type: 'global' }, justification: 'feature store jobs', ...request },
      });
      expect(submitted.status, JSON.stringify(submitted.body)).toBe(201);
      const id = String(submitted.body['id']);
      const approved = await http('http/grants', { method: 'POST', path: `/v1/grants/${id}/approve`, caller: BOB });
      expect(approved.status, JSON.stringify(approved.body)).toBe(200);
      return id;
    };
    const status = async (id: string) =>
      (await http('http/grants', { method: 'GET', path: `/v1/grants/${id}`, caller: ALICE })).body['status'];
    const secretGrant = await submit({
      dataPlane: 'research-gcp',
      resource: { type: 'gcp-secret', secret: OTHER_PROJECT_SECRET },
    });
    const blobGrant = await submit({
      dataPlane: 'lab-azure',
      resource: { ...FEATURES_CONTAINER, access: 'read' },
    });
    await deliverStream();
    expect([await status(secretGrant), await status(blobGrant)]).toEqual(['active', 'active']);
    expect(gcpIam.bindingsOf(OTHER_PROJECT_SECRET)).toEqual([
      { role: 'roles/secretmanager.secretAccessor', members: [`serviceAccount:${GSA}`] },
    ]);
    const container = FEATURES_CONTAINER_SCOPE;
    expect([...arm.assignments.values()]).toEqual([
      expect.objectContaining({
        scope: container,
        principalId: USER_IDENTITY,
        // Storage Blob Data Reader
        roleDefinitionId: expect.stringMatching(/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1$/),
      }),
    ]);
    // Signed in by the chain the documents describe: STS's token exchanged at Entra ID; the AWS
    // request exchanged at Google's STS, then the service account impersonated. Nothing refused.
    expect(new Set(identity.log.map((entry) => `${entry.service} ${entry.issued}`))).toEqual(
      new Set(['sts true', 'entra true', 'google-sts true', 'google-iamcredentials true']),
    );

    for (const id of [secretGrant, blobGrant])
      expect((await http('http/grants', { method: 'DELETE', path: `/v1/grants/${id}`, caller: ALICE })).status).toBe(
        202,
      );
    await deliverStream();
    expect([await status(secretGrant), await status(blobGrant)]).toEqual(['revoked', 'revoked']);
    expect(gcpIam.bindingsOf(OTHER_PROJECT_SECRET)).toEqual([]);
    expect(arm.assignments.size).toBe(0);
  });

  it('every other function starts and answers its routes (health, sources, attributes, console, webhook)', async () => {
    expect((await http('http/health', { method: 'GET', path: '/healthz' })).status).toBe(200);
    const sync = await http('http/sources', {
      method: 'PUT',
      path: '/v1/sources/ml-platform/grants',
      query: { dryRun: 'true' },
      caller: { sub: 'ci', groups: ['admin'] },
      body: { grants: [] },
    });
    expect(sync.status, JSON.stringify(sync.body)).toBe(200);
    const updates = await http('http/attributes', {
      method: 'GET',
      path: '/v1/attribute-updates',
      caller: BOB,
      query: { status: 'pending' },
    });
    expect(updates.status, JSON.stringify(updates.body)).toBe(200);
    // The console's page and script, from the files its bundle carries.
    const page = (await fn('HTTP http/console').invoke(apiEvent({ method: 'GET', path: '/console' }))) as {
      statusCode: number;
      headers: Record<string, string>;
      body: string;
    };
    expect(page.statusCode).toBe(200);
    expect(page.headers['Content-Type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('<script type="module" src="/console/app.js"></script>');
    const script = (await fn('HTTP http/console').invoke(apiEvent({ method: 'GET', path: '/console/app.js' }))) as {
      statusCode: number;
      body: string;
    };
    expect(script.statusCode).toBe(200);
    expect(script.body).toContain('sessionStorage.getItem(TOKEN_KEY)');
    // Unsigned: refused before any secret is read.
    const hook = await http('webhook', {
      method: 'POST',
      path: '/v1/webhooks/generic',
      body: { event: 'ticket.created' },
    });
    expect(hook.status).toBe(401);
    // A signed Jira ticket whose description holds the grant as YAML: the bundle loads its YAML
    // parser on this first YAML text (docs/webhooks.md).
    const ticket = JSON.stringify({
      webhookEvent: 'jira:issue_created',
      timestamp: Date.now(),
      issue: {
        key: 'OPS-77',
        fields: {
          reporter: { accountId: 'rita' },
          description: [
            'Please grant this.',
            '{code:yaml}',
            'dataPlane: prod',
            'scope: { type: project-domain, project: hooked, domain: development }',
            'resource: { type: s3, bucket: acme-ml-data, access: read }',
            '{code}',
          ].join('\n'),
        },
      },
      user: { accountId: 'rita' },
    });
    const created = await http('webhook', {
      method: 'POST',
      path: '/v1/webhooks/jira',
      headers: {
        'Content-Type': 'application/json',
        'X-Hub-Signature': signHub(ticket, WEBHOOK_SECRET),
        'X-Atlassian-Webhook-Identifier': 'deployed-ops-77',
      },
      body: ticket,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect(created.body).toMatchObject({
      status: 'pending-approval',
      scope: { project: 'hooked' },
      ticket: { system: 'jira', key: 'OPS-77' },
    });
  });
});
