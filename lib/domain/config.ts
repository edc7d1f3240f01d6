import * as z from './zod.js';

// Data plane configuration (docs/configuration.md). Parsed once with zod; every default that depends on the
// plane (role names derived from `orgPrefix`) is filled in here, so the rest of the engine never
// guesses. A configuration that breaks a rule throws ConfigError naming the offending key.

/** A configuration that does not parse or breaks a rule of docs/configuration.md; `key` is the offending key path. */
export class ConfigError extends Error {
  /** The first problem's key. */
  readonly key: string;
  /** Every problem found, in the order the checks met them; the message names the first and counts the rest. */
  readonly problems: readonly ConfigProblem[];
  constructor(key: string, message: string, options?: { cause?: unknown; problems?: readonly ConfigProblem[] }) {
    const problems = options?.problems ?? [{ key, path: [], message }];
    const rest = problems.length - 1;
    super(`${key}: ${message}${rest > 0 ? ` (and ${rest} more problem${rest === 1 ? '' : 's'})` : ''}`, options);
    this.name = 'ConfigError';
    this.key = key;
    this.problems = problems;
  }
}

/** One thing wrong with a configuration: where (`dataPlanes[0].accountId` and its path) and what. */
export interface ConfigProblem {
  key: string;
  path: readonly (string | number)[];
  message: string;
}

/** Problems found so far; `done()` throws them all at once. */
class Problems {
  readonly list: ConfigProblem[] = [];
  add(path: readonly (string | number)[], message: string): void {
    this.list.push({ key: path.length === 0 ? '(config)' : formatPath(path), path, message });
  }
  done(): void {
    const first = this.list[0];
    if (first !== undefined) throw new ConfigError(first.key, first.message, { problems: this.list });
  }
}

/** A managed IAM path: "/"-delimited names of IAM path characters, never "/" alone nor a wildcard. */
export const MANAGED_PATH = /^\/([\w+=,.@-]+\/)+$/;

/** A Kubernetes DNS label (RFC 1123): what namespaces `<project>-<domain>` are made of (R1). */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const dnsLabel = z
  .string()
  .check(
    z.maxLength(63),
    z.regex(
      DNS_LABEL,
      'must be a DNS label: lowercase letters, digits and "-", starting and ending with a letter or digit',
    ),
  );

const uniqueList = <T extends z.ZodMiniType<string>>(item: T) =>
  z.array(item).check(z.refine((list) => new Set(list).size === list.length, { message: 'must not repeat an entry' }));

const planeName = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(64),
    z.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be letters, digits, "_", "." or "-"'),
  );

// Regions look like us-west-2, eu-central-1, us-gov-west-1, cn-north-1 (AWS) or us-central1 (GCP)
// and eastus (Azure): the format check is per cloud.
const awsRegion = z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, 'must be an AWS region such as us-west-2'));
const anyRegion = z.string().check(z.minLength(1), z.maxLength(64));

const projectsSchema = z.union([z.literal('*'), uniqueList(dnsLabel)], {
  error: 'must be "*" or a list of project names (DNS labels)',
});

// Attribute values come from YAML, where `projectQuotaCpu: 64` is a number: keep them as the strings
// uctl prints.
const attributeValue = z.pipe(
  z.union([z.string(), z.number(), z.boolean()]),
  z.transform((value) => String(value)),
);
const attributesSchema = z.record(z.string(), z.record(z.string(), attributeValue));

const iamName = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(64),
    z.regex(/^[\w+=,.@-]+$/, 'must be a valid IAM name (letters, digits and +=,.@_-)'),
  );

const awsPlaneSchema = z.strictObject({
  name: planeName,
  cloud: z.literal('aws'),
  accountId: z
    .string({
      // YAML reads an unquoted 123456789012 as a number (and drops a leading 0): say so, rather than "expected string".
      error: (issue) =>
        issue.input === undefined
          ? undefined
          : 'must be a 12-digit AWS account id in quotes, e.g. "123456789012" (YAML reads an unquoted one as a number)',
    })
    .check(z.regex(/^\d{12}$/, 'must be a 12-digit AWS account id (quote it in YAML)')),
  region: awsRegion,
  orgPrefix: z
    .string()
    .check(
      z.minLength(1),
      z.maxLength(32),
      z.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be letters, digits, "_", "." or "-"'),
    ),
  oidcProvider: z.string().check(
    z.minLength(1),
    z.regex(
      /^[^:/\s][^\s]*$/,
      'must be the issuer without "https://", e.g. oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE',
    ),
    z.refine((value) => !value.includes('://'), {
      message: 'must be the issuer without "https://", e.g. oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE',
    }),
    z.refine((value) => !value.endsWith('/'), { message: 'must not end with "/"' }),
  ),
  domains: uniqueList(dnsLabel).check(z.minLength(1)),
  projects: projectsSchema,
  userFlyteRoleName: z.optional(iamName),
  adminFlyteRoleName: z.optional(iamName),
  userFlyteRolePolicyName: z._default(
    z.string().check(z.minLength(1), z.maxLength(128), z.regex(/^[\w+=,.@-]+$/)),
    'userflyterole',
  ),
  workerNodeGroupRoleName: z.optional(iamName),
  // IAM paths, "/"-delimited; "/" alone, or a wildcard character, would stretch the applier's write
  // permissions (scoped to this path) over every role of the account.
  managedPath: z._default(
    z
      .string()
      .check(
        z.maxLength(512),
        z.regex(
          MANAGED_PATH,
          'must look like /grantplane/: names of letters, digits and +=,.@_- between "/" (not "/" alone)',
        ),
      ),
    '/grantplane/',
  ),
  internalBucketPatterns: z._default(z.array(z.string().check(z.minLength(1))), ['opta-*', 'union-*']),
  permissionsBoundaryArn: z._default(
    z.nullable(z.string().check(z.regex(/^arn:aws[a-z-]*:iam::(\d{12}|aws):policy\/.+$/, 'must be an IAM policy ARN'))),
    null,
  ),
  maxPoliciesPerRole: z._default(z.int().check(z.gte(2), z.lte(20)), 10),
  maxGrantDays: z._default(z.int().check(z.gte(1), z.lte(3650)), 90),
  autoApproveDomains: z._default(uniqueList(z.string()), []),
  attributes: z._default(attributesSchema, {}),
  applierRoleArn: z.optional(
    z
      .string()
      .check(z.regex(/^arn:aws[\w-]*:iam::\d{12}:role\/([\w+=,.@-]+\/)*[\w+=,.@-]+$/, 'must be an IAM role ARN')),
  ),
  driftMode: z._default(z.enum(['detect', 'enforce']), 'detect'),
  roleDeletionGraceMinutes: z._default(z.int().check(z.gte(0)), 60),
  // How a pair's pods are pointed at its role: Union's uctl with `defaultUserRoleValue`, or Flyte
  // OSS's flytectl with `defaultIamRole` (the flyte-binary chart's cluster_resources customData).
  binding: z._default(z.enum(['uctl', 'flytectl']), 'uctl'),
  bindingAttribute: z.optional(
    z
      .string()
      .check(
        z.regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'must be an attribute name: a letter, then letters, digits or "_"'),
        z.maxLength(128),
      ),
  ),
});

// GCP and Azure planes ("Enabling GCP resources", "Enabling Azure resources"): domain-scoped access
// is the Union.ai team's (R2); global access is a binding of the plane's task identity on the
// resource, which grantplane plans (docs/gcp-azure.md). The identity keys are optional: a grant on a
// plane without the one it needs is refused naming the key.
const gsaEmail = z
  .string()
  .check(
    z.regex(
      /^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9-]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com$/,
      'must be a Google service account e-mail, e.g. acme-userflyterol-x1y2@acme-gcp-dataplane.iam.gserviceaccount.com',
    ),
  );
const gcpProjectId = z
  .string()
  .check(z.regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'must be a GCP project id (6–30 lowercase letters, digits or -)'));
const azureGuid = z.pipe(
  z
    .string()
    .check(
      z.regex(
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
        'must be a GUID, e.g. 00000000-0000-0000-0000-000000000000',
      ),
    ),
  z.transform((value) => value.toLowerCase()),
);
const azureResourceGroup = z
  .string()
  .check(z.regex(/^[-\w._()]{1,89}[-\w_()]$/, 'must be an Azure resource group name'));

const otherPlaneFields = {
  name: planeName,
  region: anyRegion,
  domains: uniqueList(dnsLabel).check(z.minLength(1)),
  projects: projectsSchema,
  maxGrantDays: z._default(z.int().check(z.gte(1), z.lte(3650)), 90),
  autoApproveDomains: z._default(uniqueList(z.string()), []),
  /** `enforce`: a drift check that finds bindings missing has the applier put them back. */
  driftMode: z._default(z.enum(['detect', 'enforce']), 'detect'),
};

const gcpPlaneSchema = z.strictObject({
  ...otherPlaneFields,
  cloud: z.literal('gcp'),
  /** The data plane's project: same-project Artifact Registry and Secret Manager need nothing. */
  projectId: z.optional(gcpProjectId),
  /** Its number, as secret paths name it (projects/956281974034/secrets/…). */
  projectNumber: z.optional(z.string().check(z.regex(/^\d{6,20}$/, 'must be the project number (digits)'))),
  /** <UserFlyteGSA>: the task code's identity. */
  userFlyteGsa: z.optional(gsaEmail),
  /** <FlyteWorkerGSA>: the node pool's identity (cross-project Artifact Registry pulls). */
  flyteWorkerGsa: z.optional(gsaEmail),
  /** Union.ai's own buckets: never granted. */
  internalBucketPatterns: z._default(z.array(z.string().check(z.minLength(1))), ['opta-*', 'union-*']),
});

const azurePlaneSchema = z.strictObject({
  ...otherPlaneFields,
  cloud: z.literal('azure'),
  tenantId: z.optional(azureGuid),
  subscriptionId: z.optional(azureGuid),
  /** The resource group of Union.ai's data plane resources (and the flyteuser identity). */
  resourceGroup: z.optional(azureResourceGroup),
  /** The principal (object) id of the `userflyterole` user-assigned managed identity. */
  userFlyteIdentityPrincipalId: z.optional(azureGuid),
  /** The principal id of the AKS kubelet identity (ACR pulls; Union.ai support provides it). */
  kubeletPrincipalId: z.optional(azureGuid),
  /** Union.ai's own storage containers: never granted. */
  internalContainerPatterns: z._default(z.array(z.string().check(z.minLength(1))), ['union-*', 'flyte-*']),
});

const planeSchema = z.discriminatedUnion('cloud', [awsPlaneSchema, gcpPlaneSchema, azurePlaneSchema]);

const webhookAction = z.enum(['approve', 'reject', 'close']);

const jiraSchema = z.strictObject({
  grantField: z._default(z.string().check(z.minLength(1)), 'description'),
  dataPlane: z.optional(z.string()),
  statuses: z._default(z.record(z.string(), webhookAction), { Approved: 'approve', Declined: 'reject', Done: 'close' }),
});

// ServiceNow and generic sources carry their own fields (docs/webhooks.md); known keys are typed, others kept.
const servicenowSchema = z.looseObject({
  grantField: z._default(z.string().check(z.minLength(1)), 'description'),
  dataPlane: z.optional(z.string()),
  statuses: z._default(z.record(z.string(), webhookAction), {}),
});

const genericSchema = z.looseObject({ dataPlane: z.optional(z.string()) });

const webhooksSchema = z.strictObject({
  jira: z.optional(jiraSchema),
  servicenow: z.optional(servicenowSchema),
  generic: z.optional(genericSchema),
});

/** The events a notification subscription may name (docs/notifications.md), in the docs' order. */
export const NOTIFICATION_EVENTS = [
  'approval-requested',
  'decision',
  'apply-failed',
  'active',
  'ended',
  'expiring-soon',
  'update-waiting',
  'role-waiting',
  'drift-found',
] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];
/** The events about one grant: the only ones a ticket (Jira, ServiceNow) channel can hear. */
export const GRANT_NOTIFICATION_EVENTS: readonly NotificationEvent[] = [
  'approval-requested',
  'decision',
  'apply-failed',
  'active',
  'ended',
  'expiring-soon',
];

const secretArn = z
  .string()
  .check(z.regex(/^arn:aws[\w-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/, 'must be a Secrets Manager secret ARN'));
const channelName = z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1–64 letters, digits, - or _'));
const httpsUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

const channelSchema = z.discriminatedUnion('type', [
  z.strictObject({ name: channelName, type: z.literal('slack'), webhookUrlSecretArn: secretArn }),
  z.strictObject({
    name: channelName,
    type: z.literal('email'),
    topicArn: z
      .string()
      .check(z.regex(/^arn:aws[\w-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/, 'must be an SNS topic ARN')),
  }),
  // A comment on the grant's Jira issue (REST API v3), as the account whose API token the secret holds.
  z.strictObject({
    name: channelName,
    type: z.literal('jira'),
    /** The site, e.g. https://acme.atlassian.net */
    baseUrl: httpsUrl,
    /** The Atlassian account's e-mail: Basic auth is e-mail:API token. */
    email: z.email({ error: 'must be the e-mail address of the Atlassian account' }),
    apiTokenSecretArn: secretArn,
  }),
  // A comment (or work note) on the grant's ServiceNow record, through the Table API.
  z.strictObject({
    name: channelName,
    type: z.literal('servicenow'),
    /** The instance, e.g. https://acme.service-now.com */
    instanceUrl: httpsUrl,
    user: z.string().check(z.minLength(1)),
    passwordSecretArn: secretArn,
    /** The table whose `number` the ticket key is (sc_req_item for catalog requests). */
    table: z._default(
      z.string().check(z.regex(/^[a-z][a-z0-9_]{0,79}$/, 'must be a ServiceNow table name, e.g. sc_req_item')),
      'sc_req_item',
    ),
    /** `comments` (seen by the requester) or `work_notes` (fulfillers only). */
    field: z._default(z.enum(['comments', 'work_notes']), 'comments'),
  }),
]);

const notificationsSchema = z.strictObject({
  /** The console's address, for the link in every message (e.g. https://grantplane.example.com/console). */
  consoleUrl: z.optional(httpsUrl),
  /** A uctl or infrastructure update still waiting after this many minutes is announced (update-waiting; 0: at the next hourly pass). */
  updateWaitingMinutes: z._default(z.int().check(z.gte(0), z.lte(10_080)), 60),
  channels: z._default(z.array(channelSchema), []),
  subscriptions: z._default(
    z.array(
      z.strictObject({
        channel: channelName,
        events: uniqueList(z.enum(NOTIFICATION_EVENTS)).check(z.minLength(1)),
        dataPlanes: z.optional(uniqueList(z.string())),
      }),
    ),
    [],
  ),
});

const configSchema = z.strictObject({
  dataPlanes: z.array(planeSchema).check(z.minLength(1, 'configure at least one data plane')),
  webhooks: z._default(webhooksSchema, {}),
  driftSchedule: z._default(z.string().check(z.minLength(1)), 'rate(15 minutes)'),
  notifications: z._default(notificationsSchema, () => ({ ...NO_NOTIFICATIONS })),
});

export type NotificationsConfig = z.infer<typeof notificationsSchema>;
export type NotificationChannel = NotificationsConfig['channels'][number];
/** The Secrets Manager secrets a channel reads (the notifier's role may read exactly these). */
export function channelSecretArns(channel: NotificationChannel): string[] {
  switch (channel.type) {
    case 'slack':
      return [channel.webhookUrlSecretArn];
    case 'jira':
      return [channel.apiTokenSecretArn];
    case 'servicenow':
      return [channel.passwordSecretArn];
    case 'email':
      return [];
  }
}

/** A configuration without notifications: no channel, nothing sent. */
export const NO_NOTIFICATIONS: NotificationsConfig = { updateWaitingMinutes: 60, channels: [], subscriptions: [] };

type ParsedAwsPlane = z.infer<typeof awsPlaneSchema>;

/** An AWS data plane with every default filled in. */
export type AwsDataPlaneConfig = Omit<
  ParsedAwsPlane,
  'userFlyteRoleName' | 'adminFlyteRoleName' | 'workerNodeGroupRoleName'
> & {
  userFlyteRoleName: string;
  adminFlyteRoleName: string;
  workerNodeGroupRoleName: string;
};

/** A GCP data plane: global grants are bindings on the resource (docs/gcp-azure.md). */
export type GcpDataPlaneConfig = z.infer<typeof gcpPlaneSchema>;
/** An Azure data plane: global grants are role assignments (docs/gcp-azure.md). */
export type AzureDataPlaneConfig = z.infer<typeof azurePlaneSchema>;
/** A GCP or Azure data plane. */
export type OtherDataPlaneConfig = GcpDataPlaneConfig | AzureDataPlaneConfig;

export type DataPlaneConfig = AwsDataPlaneConfig | OtherDataPlaneConfig;

export interface GrantplaneConfig {
  dataPlanes: DataPlaneConfig[];
  webhooks: z.infer<typeof configSchema>['webhooks'];
  driftSchedule: string;
  /** Absent in configurations built before notifications existed: no channel, nothing sent. */
  notifications?: NotificationsConfig;
}

/** Formats a zod path the way README and error messages name keys: `dataPlanes[1].accountId`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** The keys a mapping at `path` may hold, for suggesting the nearest one to a typo. */
function knownKeysAt(path: readonly PropertyKey[], raw: unknown): string[] {
  const at = (value: unknown, key: PropertyKey): unknown =>
    typeof value === 'object' && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  if (path.length === 0) return Object.keys(configSchema.shape);
  if (path.length === 2 && path[0] === 'dataPlanes') {
    const cloud = at(at(at(raw, 'dataPlanes'), path[1] ?? 0), 'cloud');
    const shapes =
      cloud === 'aws'
        ? [awsPlaneSchema]
        : cloud === 'gcp'
          ? [gcpPlaneSchema]
          : cloud === 'azure'
            ? [azurePlaneSchema]
            : [awsPlaneSchema, gcpPlaneSchema, azurePlaneSchema];
    return [...new Set(shapes.flatMap((shape) => Object.keys(shape.shape)))];
  }
  if (path.length === 1 && path[0] === 'notifications') return Object.keys(notificationsSchema.shape);
  if (path.length === 1 && path[0] === 'webhooks') return Object.keys(webhooksSchema.shape);
  if (path.length === 2 && path[0] === 'webhooks' && path[1] === 'jira') return Object.keys(jiraSchema.shape);
  return [];
}

/** Edit distance between two keys, case-insensitive (a typo'd `orgPrefx` is 1 from `orgPrefix`). */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i += 1) {
    const row = [i];
    for (let j = 1; j <= y.length; j += 1)
      row.push(
        Math.min(
          (previous[j] ?? 0) + 1,
          (row[j - 1] ?? 0) + 1,
          (previous[j - 1] ?? 0) + (x[i - 1] === y[j - 1] ? 0 : 1),
        ),
      );
    previous = row;
  }
  return previous[y.length] ?? 0;
}

/** The known key nearest to `key`, when it is close enough to be a typo of it. */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const d = distance(key, candidate);
    if (best === undefined || d < best.distance) best = { key: candidate, distance: d };
  }
  return best !== undefined && best.distance <= Math.max(2, Math.floor(key.length / 4)) ? best.key : undefined;
}

/** One zod issue as the problems it stands for, said plainly. */
function addIssue(problems: Problems, issue: z.ZodIssue, raw: unknown): void {
  const path = issue.path.filter((part): part is string | number => typeof part !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeysAt(path, raw);
    for (const key of issue.keys) {
      const near = nearestKey(key, known);
      problems.add(
        [...path, key],
        `unknown key${near === undefined ? ' (check its spelling against the documented keys)' : ` (did you mean "${near}"?)`}`,
      );
    }
    return;
  }
  if (issue.code === 'invalid_union' && issue.path.at(-1) !== 'cloud' && issue.path.length === 2) {
    // A plane whose `cloud` is missing or wrong: name the discriminator, not the whole plane.
    problems.add([...path, 'cloud'], 'must be one of aws, gcp, azure');
    return;
  }
  problems.add(path, issueMessage(issue));
}

function issueMessage(issue: z.ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined'))
    return `is required (${issue.expected})`;
  // zod's generic wording ("Invalid input: expected number, received string") said plainly.
  if (issue.code === 'invalid_type' && issue.message.startsWith('Invalid input: expected ')) {
    const received = /received (\w+)$/.exec(issue.message)?.[1];
    const kind =
      issue.expected === 'object' || issue.expected === 'record'
        ? 'a mapping'
        : issue.expected === 'array'
          ? 'a list'
          : `a ${issue.expected}`;
    return `must be ${kind}${received === undefined ? '' : `, not ${received === 'null' ? 'null' : `${/^[aeiou]/.test(received) ? 'an' : 'a'} ${received}`}`}`;
  }
  if (issue.code === 'invalid_value')
    return `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
  if (issue.code === 'invalid_union') {
    const options = (issue as { options?: unknown }).options;
    if (Array.isArray(options) && options.length > 0) return `must be one of ${options.map(String).join(', ')}`;
  }
  return issue.message;
}

function matchesServed(projects: '*' | string[], project: string): boolean {
  return projects === '*' || projects.includes(project);
}

/**
 * The IAM facts of a plane the deployment relies on: its access role and its roles' permissions
 * boundary live in the plane's account, and nothing the applier may rewrite bounds it.
 */
function checkPlaneIam(
  plane: {
    accountId: string;
    managedPath: string;
    applierRoleArn?: string | undefined;
    permissionsBoundaryArn: string | null;
  },
  index: number,
  problems: Problems,
): void {
  const key = (name: string) => ['dataPlanes', index, name];
  if (plane.applierRoleArn !== undefined) {
    if (plane.applierRoleArn.split(':')[4] !== plane.accountId)
      problems.add(key('applierRoleArn'), `must be in account ${plane.accountId}`);
    if ((plane.applierRoleArn.split('/').pop() ?? '').length > 58)
      problems.add(
        key('applierRoleArn'),
        'the role name may have at most 58 characters (its read-only twin for the drift check is <name>-drift)',
      );
  }
  if (plane.permissionsBoundaryArn === null) return;
  const match = /^arn:aws[\w-]*:iam::(\d{12}|aws):policy(\/.*\/|\/)[\w+=,.@-]+$/.exec(plane.permissionsBoundaryArn);
  if (match === null) return problems.add(key('permissionsBoundaryArn'), 'must be an IAM policy ARN');
  if (match[1] !== plane.accountId && match[1] !== 'aws')
    problems.add(key('permissionsBoundaryArn'), `must be a policy of account ${plane.accountId}`);
  if ((match[2] ?? '/').startsWith(plane.managedPath))
    // Policies under the managed path are the applier's to rewrite: such a boundary bounds nothing.
    problems.add(
      key('permissionsBoundaryArn'),
      `must not be under the managed path ${plane.managedPath}, where the applier could rewrite it`,
    );
}

/**
 * Parses and checks a configuration (docs/configuration.md), filling in every documented default.
 * Throws one ConfigError listing every problem: all the schema's, else all the cross-checks'.
 */
export function parseConfig(raw: unknown): GrantplaneConfig {
  const problems = new Problems();
  const result = configSchema.safeParse(raw);
  if (!result.success) for (const issue of result.error.issues) addIssue(problems, issue, raw);
  problems.done();
  const parsed = result.data as z.infer<typeof configSchema>;

  const names = new Map<string, number>();
  const accounts = new Map<string, number>();
  const planes: DataPlaneConfig[] = parsed.dataPlanes.map((plane, index) => {
    const seenName = names.get(plane.name);
    if (seenName !== undefined)
      problems.add(
        ['dataPlanes', index, 'name'],
        `duplicate plane name "${plane.name}" (also dataPlanes[${seenName}])`,
      );
    else names.set(plane.name, index);
    for (const [i, domain] of plane.autoApproveDomains.entries()) {
      if (!plane.domains.includes(domain))
        problems.add(['dataPlanes', index, 'autoApproveDomains', i], `"${domain}" is not one of the plane's domains`);
    }
    if (plane.cloud !== 'aws') return plane;

    const seenAccount = accounts.get(plane.accountId);
    // Seed 003 (multi-cluster): each cluster lives in its own account.
    if (seenAccount !== undefined)
      problems.add(
        ['dataPlanes', index, 'accountId'],
        `two AWS planes share account ${plane.accountId} (also dataPlanes[${seenAccount}])`,
      );
    else accounts.set(plane.accountId, index);
    checkPlaneIam(plane, index, problems);
    for (const pair of Object.keys(plane.attributes)) {
      const [project, domain, extra] = pair.split('/');
      const path = ['dataPlanes', index, 'attributes', pair];
      if (project === undefined || domain === undefined || extra !== undefined || !DNS_LABEL.test(project))
        problems.add(path, 'keys must be "<project>/<domain>"');
      else if (!plane.domains.includes(domain)) problems.add(path, `"${domain}" is not one of the plane's domains`);
      else if (!matchesServed(plane.projects, project))
        problems.add(path, `project "${project}" is not served by this plane`);
      const bound = roleAttribute(plane);
      if (Object.hasOwn(plane.attributes[pair] ?? {}, bound))
        problems.add([...path, bound], `grantplane sets ${bound} (the plane's binding attribute); leave it out`);
    }
    return {
      ...plane,
      userFlyteRoleName: plane.userFlyteRoleName ?? `${plane.orgPrefix}-userflyterole`,
      adminFlyteRoleName: plane.adminFlyteRoleName ?? `${plane.orgPrefix}-adminflyterole`,
      workerNodeGroupRoleName: plane.workerNodeGroupRoleName ?? `unionai-${plane.orgPrefix}-flyteworker-node-group`,
    };
  });

  for (const [source, hook] of Object.entries(parsed.webhooks)) {
    const plane = (hook as { dataPlane?: string } | undefined)?.dataPlane;
    if (plane !== undefined && !names.has(plane))
      problems.add(['webhooks', source, 'dataPlane'], `no data plane is named "${plane}"`);
  }
  const channels = new Map<string, number>();
  for (const [index, channel] of parsed.notifications.channels.entries()) {
    const seen = channels.get(channel.name);
    if (seen !== undefined)
      problems.add(
        ['notifications', 'channels', index, 'name'],
        `duplicate channel name "${channel.name}" (also notifications.channels[${seen}])`,
      );
    else channels.set(channel.name, index);
  }
  for (const [index, subscription] of parsed.notifications.subscriptions.entries()) {
    if (!channels.has(subscription.channel))
      problems.add(
        ['notifications', 'subscriptions', index, 'channel'],
        `no channel is named "${subscription.channel}" (notifications.channels lists ${[...channels.keys()].join(', ') || 'none'})`,
      );
    const channel = parsed.notifications.channels[channels.get(subscription.channel) ?? -1];
    if (channel?.type === 'jira' || channel?.type === 'servicenow')
      for (const [i, event] of subscription.events.entries())
        if (!GRANT_NOTIFICATION_EVENTS.includes(event))
          problems.add(
            ['notifications', 'subscriptions', index, 'events', i],
            `a ${channel.type} channel comments on a grant's ticket; "${event}" is not about one grant (use ${GRANT_NOTIFICATION_EVENTS.join(', ')})`,
          );
    for (const [i, plane] of (subscription.dataPlanes ?? []).entries())
      if (!names.has(plane))
        problems.add(['notifications', 'subscriptions', index, 'dataPlanes', i], `no data plane is named "${plane}"`);
  }
  problems.done();
  return {
    dataPlanes: planes,
    webhooks: parsed.webhooks,
    driftSchedule: parsed.driftSchedule,
    notifications: parsed.notifications,
  };
}

/** The cluster resource attribute that names a pair's role on this plane. */
export function roleAttribute(plane: Pick<AwsDataPlaneConfig, 'binding' | 'bindingAttribute'>): string {
  return plane.bindingAttribute ?? (plane.binding === 'flytectl' ? 'defaultIamRole' : 'defaultUserRoleValue');
}

/** Whether a plane serves a project (its `projects` is `*` or lists it). */
export function servesProject(plane: DataPlaneConfig, project: string): boolean {
  return matchesServed(plane.projects, project);
}

/**
 * The drift check's read-only access role in a plane's account: the applier access role's twin,
 * `<applierRoleArn>-drift`, which the plane access stack deploys beside it (reads only).
 */
export const driftRoleArnOf = (applierRoleArn: string): string => `${applierRoleArn}-drift`;
