// Every grantplane Lambda is built here, so runtime, architecture, bundling, tracing and log
// retention are decided once.
import { existsSync } from 'node:fs';
import { basename, relative } from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ASSERTION_LIFETIME_SECONDS, AZURE_TOKEN_EXCHANGE_AUDIENCE } from '../../lib/domain/cloud/federation.js';
import { REPO_ROOT } from '../config.js';

/** A Lambda entry file does not exist (yet): synth stops naming it rather than bundling nothing. */
export class MissingEntryError extends Error {
  constructor(entry: string) {
    super(`Lambda entry ${relative(REPO_ROOT, entry)} does not exist: write it (or fix the route table) before synth`);
    this.name = 'MissingEntryError';
  }
}

/** Where every function finds the configuration bundled next to its code (docs/configuration.md). */
export const BUNDLED_CONFIG_PATH = '/var/task/grantplane.config.json';

export interface GrantplaneFunctionProps {
  /** Absolute path of the entry file (exports `handler`). */
  entry: string;
  description: string;
  /** The configuration file copied into the bundle; the function reads it at cold start. */
  configFile: string;
  environment?: Record<string, string>;
  timeout?: Duration;
  memorySize?: number;
  /** A fixed role name, only for roles other accounts must trust by ARN. */
  roleName?: string;
  /** Log retention (default: three months, the audit trail lives in DynamoDB). */
  logRetention?: RetentionDays;
  /** A folder of static files copied beside the bundle, under its own name (the console's pages). */
  assets?: string;
  /**
   * Ships the GCP and Azure clients (lib/wiring/cloud-clients.ts) as a second bundle,
   * `cloud-clients.mjs`, imported only when a GCP or Azure plane is applied or checked.
   */
  cloudClients?: boolean;
  /** With cloudClients: a Google credential configuration bundled as gcp-credentials.json. */
  gcpCredentialConfig?: string | null;
  /** With cloudClients: Azure through AWS outbound identity federation (STS-signed tokens). */
  azureFederation?: { tenantId: string; clientId: string } | null;
}

/** Where a function with cloud clients finds the bundled Google credential configuration. */
export const BUNDLED_GCP_CREDENTIALS_PATH = '/var/task/gcp-credentials.json';

/** The side bundle's file name, and the specifier the function imports it by (GRANTPLANE_CLOUD_CLIENTS). */
export const CLOUD_CLIENTS_FILE = 'cloud-clients.mjs';

// ESM bundles that include the AWS SDK need a real `require` for its CJS corners.
const CREATE_REQUIRE_BANNER =
  "import { createRequire as __grantplaneCreateRequire } from 'node:module'; const require = __grantplaneCreateRequire(import.meta.url);";

// google-gax (Secret Manager, Artifact Registry) computes paths from __dirname when it loads; an ESM
// bundle has none. Only the cloud clients' side bundle needs it (their files are never read: the
// clients take their protos from the bundled JSON).
const DIRNAME_BANNER =
  "import { fileURLToPath as __grantplaneFileUrl } from 'node:url'; import { dirname as __grantplaneDirname } from 'node:path'; const __filename = __grantplaneFileUrl(import.meta.url); const __dirname = __grantplaneDirname(__filename);";

/** One Lambda function with grantplane's defaults: nodejs24.x (pinned), arm64, ESM, source maps, X-Ray. */
export class GrantplaneFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: GrantplaneFunctionProps) {
    super(scope, id);
    if (!existsSync(props.entry)) throw new MissingEntryError(props.entry);

    // Our own log group (retention, no AWSLambdaBasicExecutionRole with logs:* on every group).
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `grantplane ${props.description}`,
      ...(props.roleName ? { roleName: props.roleName } : {}),
    });
    this.logGroup.grantWrite(this.role);

    const configFile = props.configFile;
    this.function = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      // Pinned: NODEJS_LATEST moves with the CDK version, and the deployed tier tests this one.
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(29),
      tracing: Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      depsLockFilePath: `${REPO_ROOT}/package-lock.json`,
      projectRoot: REPO_ROOT,
      environment: {
        // No --enable-source-maps: it parses the whole map at every cold start; stacks are mapped on
        // first use instead (functions/shared/stack-traces.ts).
        GRANTPLANE_CONFIG: BUNDLED_CONFIG_PATH,
        POWERTOOLS_SERVICE_NAME: 'grantplane',
        POWERTOOLS_METRICS_NAMESPACE: 'grantplane',
        ...(props.cloudClients === true ? { GRANTPLANE_CLOUD_CLIENTS: `./${CLOUD_CLIENTS_FILE}` } : {}),
        ...(props.cloudClients === true && props.gcpCredentialConfig
          ? { GOOGLE_APPLICATION_CREDENTIALS: BUNDLED_GCP_CREDENTIALS_PATH }
          : {}),
        ...(props.cloudClients === true && props.azureFederation
          ? {
              GRANTPLANE_AZURE_FEDERATION: 'aws',
              AZURE_TENANT_ID: props.azureFederation.tenantId,
              AZURE_CLIENT_ID: props.azureFederation.clientId,
            }
          : {}),
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        mainFields: ['module', 'main'],
        banner: CREATE_REQUIRE_BANNER,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        minify: true,
        // The SDK is bundled: a bundle imports faster than node_modules resolution (measured: npm run bench -- cold-import).
        externalModules: [],
        forceDockerBundling: false,
        logLevel: LogLevel.WARNING,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir: string, outputDir: string) => [
            `cp "${configFile}" "${outputDir}/${basename(BUNDLED_CONFIG_PATH)}"`,
            // The IAM action catalogue R7 reads, beside index.mjs, where the inlined
            // @grantplane/iam-catalogue module looks for it (read on first use).
            `cp "${REPO_ROOT}/packages/iam-catalogue/iam-catalogue.json" "${outputDir}/iam-catalogue.json"`,
            ...(props.assets === undefined ? [] : [`cp -R "${props.assets}" "${outputDir}/${basename(props.assets)}"`]),
            ...(props.cloudClients === true
              ? [
                  [
                    `"${REPO_ROOT}/node_modules/.bin/esbuild" "${REPO_ROOT}/lib/wiring/cloud-clients.ts"`,
                    '--bundle --platform=node --format=esm --target=node24 --minify --main-fields=module,main',
                    `--banner:js="${CREATE_REQUIRE_BANNER} ${DIRNAME_BANNER}" --log-level=warning`,
                    `--outfile="${outputDir}/${CLOUD_CLIENTS_FILE}"`,
                  ].join(' '),
                  ...(props.gcpCredentialConfig
                    ? [`cp "${props.gcpCredentialConfig}" "${outputDir}/${basename(BUNDLED_GCP_CREDENTIALS_PATH)}"`]
                    : []),
                ]
              : []),
          ],
        },
      },
    });
    if (props.cloudClients === true && props.azureFederation)
      // Tokens for Microsoft Entra ID's token exchange only, and short-lived ("Controlling access
      // with IAM policies", outbound identity federation).
      this.role.addToPolicy(
        new PolicyStatement({
          actions: ['sts:GetWebIdentityToken'],
          resources: ['*'],
          conditions: {
            'ForAllValues:StringEquals': { 'sts:IdentityTokenAudience': AZURE_TOKEN_EXCHANGE_AUDIENCE },
            NumericLessThanEquals: { 'sts:DurationSeconds': ASSERTION_LIFETIME_SECONDS },
          },
        }),
      );
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) and sts:GetWebIdentityToken (limited by audience and duration conditions) support only Resource "*".',
    });
  }
}
