// Deployment settings for the CDK app: the grantplane configuration file (docs/configuration.md) plus CDK
// context values. Parsed once with zod; a missing or wrong value fails synth naming the key.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import * as z from 'zod';
import {
  ConfigError,
  driftRoleArnOf,
  MANAGED_PATH,
  parseConfig,
  type NotificationChannel,
  type AwsDataPlaneConfig,
} from '../lib/domain/config.js';

/** Repository root (infra/..), so paths never depend on the directory `cdk` runs in. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** A context value or the configuration is unusable: synth stops with this message. */
export class InfraConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InfraConfigError';
  }
}

const accountId = z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id');

/** What the applier may touch in one AWS plane (the same policy at home or in a plane account). */
export interface PlaneAccess {
  name: string;
  accountId: string;
  region: string;
  managedPath: string;
  userFlyteRoleName: string;
  adminFlyteRoleName: string;
  userFlyteRolePolicyName: string;
  /**
   * The boundary every role the applier creates carries (docs/deploy.md): the configured one, or the
   * deployment's own (`createsBoundary`), outside the managed path so the applier cannot change it.
   */
  permissionsBoundaryArn: string;
  /** The deployment creates the boundary policy itself (none was configured). */
  createsBoundary: boolean;
  /** Role in the plane's account that the applier assumes; null: the applier's own role acts. */
  applierRoleArn: string | null;
  /** Read-only role in the plane's account the drift check assumes (`<applier role>-drift`). */
  driftRoleArn: string | null;
}

/** IAM path of the boundary the deployment creates: deliberately NOT the managed path. */
export const BOUNDARY_PATH = '/grantplane-boundary/';
export const BOUNDARY_NAME = 'grantplane-task-boundary';

/**
 * The configuration the functions run with: the file as given, with what the deployment decided
 * for each AWS plane written in (its managed path and the permissions boundary every role it
 * creates carries), so the running service and the deployed IAM policies never disagree. Written
 * once per content to the temp folder; the bundles copy it.
 */
const bundledConfigFile = (raw: unknown, planes: readonly PlaneAccess[]): string => {
  const document = raw as { dataPlanes: Record<string, unknown>[] };
  const byName = new Map(planes.map((plane) => [plane.name, plane]));
  const text = `${JSON.stringify(
    {
      ...document,
      dataPlanes: document.dataPlanes.map((entry) => {
        const plane = byName.get(String(entry['name']));
        return plane === undefined
          ? entry
          : {
              ...entry,
              managedPath: plane.managedPath,
              permissionsBoundaryArn: plane.permissionsBoundaryArn,
            };
      }),
    },
    null,
    2,
  )}\n`;
  const file = join(
    tmpdir(),
    `grantplane-bundled-config-${createHash('sha256').update(text).digest('hex').slice(0, 16)}.json`,
  );
  if (!existsSync(file)) writeFileSync(file, text);
  return file;
};

export { driftRoleArnOf };

export interface InfraSettings {
  /** The account the stacks deploy to (context homeAccount, or the CDK CLI's account). */
  homeAccount: string;
  /** Absolute path of the configuration file bundled with every function. */
  configFile: string;
  planes: PlaneAccess[];
  jwtIssuer: string;
  jwtAudience: string[];
  /** The console's OIDC client (authorization code + PKCE): context consoleClientId, else the first audience. */
  consoleClientId: string;
  /** The scopes the console asks for (context consoleScope, default `openid`). */
  consoleScope: string;
  alarmEmail: string | null;
  /** EventBridge Scheduler expression of the drift/expiry run. */
  driftSchedule: string;
  /** EventBridge Scheduler expression of the applier's sweep of pending/failed/waiting targets. */
  applierSweepSchedule: string;
  /** GRANTPLANE_ROLES_CLAIM for the HTTP functions (claim names holding groups/roles). */
  rolesClaim: string | null;
  /** GRANTPLANE_ROLE_MAPPING (JSON `{"<group>": "<role>" | [...]}`), validated as JSON here. */
  roleMapping: string | null;
  /** Prefix of the named IAM roles the plane accounts trust (`<prefix>-applier`). */
  serviceName: string;
  /** The configuration's notification channels: the notifier may read their secrets and publish to their topics. */
  notificationChannels: NotificationChannel[];
  /**
   * A Google credential configuration (workload identity federation from AWS, `type:
   * external_account`) bundled with the functions that apply or check GCP planes: context
   * gcpCredentialConfig, an absolute path or one relative to the repository.
   */
  gcpCredentialConfig: string | null;
  /**
   * Azure through AWS outbound identity federation: the Microsoft Entra tenant and the application
   * (client) id whose federated credential trusts the functions' roles (contexts azureTenantId and
   * azureClientId, both or neither).
   */
  azureFederation: { tenantId: string; clientId: string } | null;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const azureFederationOf = (read: ContextReader): InfraSettings['azureFederation'] => {
  const tenantId = optionalString(read, 'azureTenantId');
  const clientId = optionalString(read, 'azureClientId');
  if (tenantId === undefined && clientId === undefined) return null;
  for (const [key, value] of [
    ['azureTenantId', tenantId],
    ['azureClientId', clientId],
  ] as const) {
    if (value === undefined)
      throw new InfraConfigError(
        `context ${key}: missing; Azure federation needs both azureTenantId and azureClientId (the app registration whose federated credential trusts the functions' roles)`,
      );
    if (!GUID.test(value)) throw new InfraConfigError(`context ${key}: "${value}" is not a GUID`);
  }
  return { tenantId: tenantId!, clientId: clientId! };
};

/** The GCP credential configuration file: federation only (a service account key is long-lived and refused). */
const gcpCredentialConfigOf = (read: ContextReader): string | null => {
  const configured = optionalString(read, 'gcpCredentialConfig');
  if (configured === undefined) return null;
  const file = isAbsolute(configured) ? configured : resolve(REPO_ROOT, configured);
  if (!existsSync(file)) throw new InfraConfigError(`context gcpCredentialConfig: no file at ${file}`);
  let type: unknown;
  try {
    type = (JSON.parse(readFileSync(file, 'utf8')) as { type?: unknown }).type;
  } catch (error: unknown) {
    throw new InfraConfigError(`context gcpCredentialConfig: ${file} is not JSON`, { cause: error });
  }
  if (type !== 'external_account')
    throw new InfraConfigError(
      `context gcpCredentialConfig: ${file} is a "${String(type)}" credential; give the workload identity federation configuration (type external_account) that gcloud iam workload-identity-pools create-cred-config writes, not a service account key`,
    );
  return file;
};

/** What the deployment gives the applier in one AWS plane, from the parsed plane. */
const planeAccessOf = (plane: AwsDataPlaneConfig, index: number, homeAccount: string): PlaneAccess => {
  const applierRoleArn = plane.applierRoleArn ?? null;
  if (applierRoleArn === null && plane.accountId !== homeAccount) {
    // Without it the applier's own role would act in the home account: every grant of the plane
    // would fail, and drift would report the home account's roles as the plane's orphans.
    throw new InfraConfigError(
      `grantplane:config dataPlanes[${index}].applierRoleArn: plane ${plane.name} is in account ${plane.accountId}, not the home account ${homeAccount}; deploy the plane access stack there and set applierRoleArn`,
    );
  }
  const configured = plane.permissionsBoundaryArn;
  return {
    name: plane.name,
    accountId: plane.accountId,
    region: plane.region,
    managedPath: plane.managedPath,
    userFlyteRoleName: plane.userFlyteRoleName,
    adminFlyteRoleName: plane.adminFlyteRoleName,
    userFlyteRolePolicyName: plane.userFlyteRolePolicyName,
    permissionsBoundaryArn: configured ?? `arn:aws:iam::${plane.accountId}:policy${BOUNDARY_PATH}${BOUNDARY_NAME}`,
    createsBoundary: configured === null,
    applierRoleArn,
    driftRoleArn: applierRoleArn === null ? null : driftRoleArnOf(applierRoleArn),
  };
};

/** Reads a context value the way `cdk -c key=value` and cdk.json deliver it (string or JSON). */
type ContextReader = (key: string) => unknown;

const optionalString = (read: ContextReader, key: string): string | undefined => {
  const value = read(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new InfraConfigError(`context ${key}: must be a string`);
  return value;
};

const stringList = (read: ContextReader, key: string): string[] | undefined => {
  const value = read(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value;
  if (typeof value === 'string')
    return value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
  throw new InfraConfigError(`context ${key}: must be a list or a comma-separated string`);
};

const scheduleExpression = (read: ContextReader, key: string, fallback: string): string => {
  const value = optionalString(read, key) ?? fallback;
  if (!/^(rate|cron)\(.+\)$/.test(value))
    throw new InfraConfigError(`context ${key}: an EventBridge Scheduler rate(...) or cron(...) expression`);
  return value;
};

/** Hosts no real IdP has: RFC 2606 / 6761 reserved names and loopback. */
const isPlaceholderHost = (url: string): boolean => {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return true;
  }
  return (
    /(^|\.)example\.(com|net|org)$/.test(host) ||
    /\.(example|invalid|test|localhost)$/.test(host) ||
    ['example', 'localhost', 'invalid', 'test'].includes(host) ||
    /^127\./.test(host) ||
    host === '[::1]'
  );
};

/**
 * Loads the deployment settings from CDK context: `grantplane:config` (file path, default
 * `grantplane.config.yaml`, else `examples/grantplane.config.yaml`), `jwtIssuer`, `jwtAudience`,
 * `alarmEmail`, `driftSchedule`, `applierSweepSchedule`, `rolesClaim`, `roleMapping`, `orgPrefix` / `managedPath` (defaults for planes that set none),
 * `homeAccount` (the account deployed to; planes elsewhere need `applierRoleArn`).
 */
export const loadInfraSettings = (read: ContextReader): InfraSettings => {
  const configured = optionalString(read, 'grantplane:config');
  const candidates = configured
    ? [isAbsolute(configured) ? configured : resolve(REPO_ROOT, configured)]
    : [resolve(REPO_ROOT, 'grantplane.config.yaml'), resolve(REPO_ROOT, 'examples/grantplane.config.yaml')];
  const configFile = candidates.find((candidate) => existsSync(candidate));
  if (!configFile) throw new InfraConfigError(`context grantplane:config: no file at ${candidates.join(' or ')}`);

  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(configFile, 'utf8'));
  } catch (error: unknown) {
    throw new InfraConfigError(`grantplane:config ${configFile}: not valid YAML or JSON`, { cause: error });
  }
  const defaultOrgPrefix = optionalString(read, 'orgPrefix');
  const defaultManagedPath = optionalString(read, 'managedPath') ?? '/grantplane/';
  if (!MANAGED_PATH.test(defaultManagedPath)) {
    throw new InfraConfigError('context managedPath: must look like /grantplane/ (not /)');
  }
  // The account the stacks deploy to: `-c homeAccount=…`, else the CDK CLI's CDK_DEFAULT_ACCOUNT.
  const homeAccount = optionalString(read, 'homeAccount') ?? optionalString(read, 'CDK_DEFAULT_ACCOUNT');
  if (homeAccount === undefined || !accountId.safeParse(homeAccount).success) {
    throw new InfraConfigError(
      'context homeAccount: required, the 12-digit account grantplane deploys to (-c homeAccount=123456789012); planes in other accounts need an applierRoleArn',
    );
  }

  // The service's own parser decides what a valid file is (the functions parse the bundled copy
  // with it at cold start): the context's defaults filled in first, for AWS planes that set none.
  const entries =
    typeof raw === 'object' && raw !== null && Array.isArray((raw as { dataPlanes?: unknown }).dataPlanes)
      ? ((raw as { dataPlanes: unknown[] }).dataPlanes as unknown[])
      : undefined;
  const withDefaults =
    entries === undefined
      ? raw
      : {
          ...(raw as Record<string, unknown>),
          dataPlanes: entries.map((entry) =>
            typeof entry === 'object' && entry !== null && (entry as { cloud?: unknown }).cloud === 'aws'
              ? {
                  ...(defaultOrgPrefix === undefined ? {} : { orgPrefix: defaultOrgPrefix }),
                  managedPath: defaultManagedPath,
                  ...entry,
                }
              : entry,
          ),
        };
  let parsed;
  try {
    parsed = parseConfig(withDefaults);
  } catch (error: unknown) {
    if (!(error instanceof ConfigError)) throw error;
    const hint = /orgPrefix/.test(error.key) ? ' (or context orgPrefix)' : '';
    throw new InfraConfigError(`grantplane:config ${configFile}: ${error.message}${hint}`, { cause: error });
  }

  const planes: PlaneAccess[] = [];
  parsed.dataPlanes.forEach((plane, index) => {
    if (plane.cloud !== 'aws') return; // GCP/Azure planes are validated only, nothing to reach (R2).
    planes.push(planeAccessOf(plane, index, homeAccount));
  });

  const jwtIssuer = optionalString(read, 'jwtIssuer');
  if (!jwtIssuer || !/^https:\/\/\S+$/.test(jwtIssuer)) {
    throw new InfraConfigError('context jwtIssuer: required, the https URL of your IdP issuer (the token `iss`)');
  }
  if (isPlaceholderHost(jwtIssuer)) {
    // An API whose authorizer trusts a placeholder issuer answers 401 to everyone.
    throw new InfraConfigError(
      `context jwtIssuer: ${jwtIssuer} is a placeholder (reserved example or local host); give your IdP's issuer, the token's \`iss\``,
    );
  }
  const jwtAudience = stringList(read, 'jwtAudience');
  if (!jwtAudience || jwtAudience.length === 0) {
    throw new InfraConfigError('context jwtAudience: required, the audience (`aud`) or client id tokens carry');
  }

  const serviceName = optionalString(read, 'serviceName') ?? 'grantplane';
  if (!/^[a-z][a-z0-9-]{0,30}$/.test(serviceName)) {
    throw new InfraConfigError('context serviceName: lowercase letters, digits and -, at most 31 characters');
  }

  const mapping = read('roleMapping');
  let roleMapping: string | null = null;
  if (mapping !== undefined && mapping !== null && mapping !== '') {
    const text = typeof mapping === 'string' ? mapping : JSON.stringify(mapping);
    try {
      JSON.parse(text);
    } catch (error: unknown) {
      throw new InfraConfigError('context roleMapping: must be a JSON object {"<group>": "<role>"}', { cause: error });
    }
    roleMapping = text;
  }

  return {
    configFile: bundledConfigFile(withDefaults, planes),
    homeAccount,
    rolesClaim: optionalString(read, 'rolesClaim') ?? null,
    roleMapping,
    planes,
    jwtIssuer,
    jwtAudience,
    consoleClientId: optionalString(read, 'consoleClientId') ?? jwtAudience[0]!,
    consoleScope: optionalString(read, 'consoleScope') ?? 'openid',
    alarmEmail: optionalString(read, 'alarmEmail') ?? null,
    driftSchedule: scheduleExpression(read, 'driftSchedule', 'rate(15 minutes)'),
    applierSweepSchedule: scheduleExpression(read, 'applierSweepSchedule', 'rate(15 minutes)'),
    serviceName,
    notificationChannels: parsed.notifications?.channels ?? [],
    gcpCredentialConfig: gcpCredentialConfigOf(read),
    azureFederation: azureFederationOf(read),
  };
};
