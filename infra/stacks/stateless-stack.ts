// The stateless half: HTTP API (routes generated from functions/shared/routes.ts), one Lambda per
// route group, the applier on the table's stream, the drift/expiry schedule and the alarms.
// Everything here can be destroyed and redeployed; the data lives in the stateful stack.
import { resolve } from 'node:path';
import { Aws, CfnElement, CfnOutput, Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  HttpStage,
  LogGroupLogDestination,
  type IHttpRouteAuthorizer,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { Alarm, ComparisonOperator, Metric, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, ManagedPolicy, PolicyStatement, ServicePrincipal, type IRole } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ROUTES, type RouteGroup, type RouteSpec } from '../../functions/shared/routes.js';
import { ITEM_TYPE } from '../../lib/adapters/dynamodb/items.js';
import { WEBHOOK_KINDS } from '../../lib/domain/webhooks/kinds.js';
import { channelSecretArns } from '../../lib/domain/config.js';
import { TABLE } from '../../lib/adapters/dynamodb/table.js';
import { InfraConfigError, REPO_ROOT, type InfraSettings } from '../config.js';
import {
  IAM_LIST_ACKNOWLEDGEMENT,
  acknowledgeApplierWildcards,
  applierStatements,
  createTaskBoundary,
  readOnlyStatements,
  sidSuffix,
} from '../constructs/applier-policy.js';
import { GrantplaneFunction } from '../constructs/grantplane-function.js';

/** Plane access role ARNs per managed policy: 60 × ~90 characters stays well under 6,144. */
const ASSUME_ROLES_PER_POLICY = 60;
/** IAM's default quota of managed policies attached to one role. */
const MAX_MANAGED_POLICIES_PER_ROLE = 10;

/** Ticket systems with a webhook route (docs/webhooks.md); each gets its own signing secret. */
export const WEBHOOK_SOURCES = WEBHOOK_KINDS;

/** How each route group may use the table: least privilege per function. */
const TABLE_ACCESS: Record<RouteGroup, 'read' | 'read-write' | 'none'> = {
  'http/grants': 'read-write',
  'http/plan': 'read',
  'http/targets': 'read',
  'http/attributes': 'read-write',
  'http/sources': 'read-write',
  'http/drift': 'read-write',
  'http/audit': 'read',
  'http/health': 'none',
  'http/console': 'none',
  webhook: 'read-write',
};

const TABLE_READ = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
];
const TABLE_WRITE = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

/**
 * Table access by name: the table and its four GSIs listed one by one (no `index/*`), and no Scan.
 * Transactions need no actions of their own: IAM checks each item operation inside them.
 */
const grantTable = (table: Table, role: IRole, access: 'read' | 'read-write'): void => {
  role.addToPrincipalPolicy(
    new PolicyStatement({
      sid: access === 'read' ? 'TableRead' : 'TableReadWrite',
      effect: Effect.ALLOW,
      actions: access === 'read' ? TABLE_READ : [...TABLE_READ, ...TABLE_WRITE],
      resources: [
        table.tableArn,
        ...TABLE.globalSecondaryIndexes.map((index) => `${table.tableArn}/index/${index.indexName}`),
      ],
    }),
  );
};

/** Whether API Gateway checks the JWT on this route (`none`/`signature` routes carry no token). */
export const routeNeedsJwt = (route: RouteSpec): boolean => route.access !== 'none' && route.access !== 'signature';

/**
 * Only records that can need the applier invoke it (lib/app/applier-stream.ts decides the rest):
 * a target written (its desired state may have moved), a planning unit written (it may have been
 * marked compiled),
 * a uctl update acknowledged. Audit events, leases, idempotency records and webhook deliveries —
 * most of the table's writes — never wake it. Filters are ORed; Lambda allows five per mapping.
 */
const written = FilterRule.or('INSERT', 'MODIFY');
export const APPLIER_STREAM_FILTERS = [
  FilterCriteria.filter({
    eventName: written,
    dynamodb: { NewImage: { type: { S: FilterRule.isEqual(ITEM_TYPE.target) } } },
  }),
  FilterCriteria.filter({
    eventName: written,
    dynamodb: { NewImage: { type: { S: FilterRule.isEqual(ITEM_TYPE.unit) } } },
  }),
  FilterCriteria.filter({
    eventName: written,
    dynamodb: {
      NewImage: {
        type: { S: FilterRule.isEqual(ITEM_TYPE.attributeUpdate) },
        status: { S: FilterRule.isEqual('acknowledged') },
      },
    },
  }),
];

/** The audit events the notifier turns into messages (lib/domain/notifications.ts); nothing else wakes it. */
export const NOTIFIER_STREAM_FILTERS = [
  FilterCriteria.filter({
    eventName: FilterRule.isEqual('INSERT'),
    dynamodb: {
      NewImage: {
        type: { S: FilterRule.isEqual(ITEM_TYPE.audit) },
        action: {
          S: FilterRule.or(
            'grant.submitted',
            'grant.approved',
            'grant.rejected',
            'grant.failed',
            'grant.active',
            'grant.revoked',
            'grant.expired',
            // A drift run: its report's drift and roles waiting past the grace period.
            'drift.checked',
          ),
        },
      },
    },
  }),
];

/** Names of the roles that plane accounts trust; fixed so another account can name them. */
export const serviceRoleNames = (serviceName: string) =>
  ({ applier: `${serviceName}-applier`, drift: `${serviceName}-drift`, driftApi: `${serviceName}-drift-api` }) as const;

export interface StatelessStackProps extends StackProps {
  settings: InfraSettings;
  table: Table;
  /** Directory holding the Lambda entry files (default: the repository's functions/). */
  functionsDir?: string;
}

export class StatelessStack extends Stack {
  readonly api: HttpApi;
  readonly functions: Map<RouteGroup | 'applier' | 'drift' | 'notifier', GrantplaneFunction>;
  readonly deadLetterQueue: Queue;
  /** The notifier's dead-letter queue, when notification channels are configured. */
  readonly notifierDeadLetterQueue: Queue | undefined;
  readonly alarmTopic: Topic;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { settings, table } = props;
    const functionsDir = props.functionsDir ?? resolve(REPO_ROOT, 'functions');
    const tableEnv = { GRANTPLANE_TABLE: table.tableName };
    const roleNames = serviceRoleNames(settings.serviceName);

    const makeFunction = (
      idName: string,
      file: string,
      description: string,
      extra: Partial<{
        environment: Record<string, string>;
        timeout: Duration;
        memorySize: number;
        roleName: string;
        assets: string;
        cloudClients: boolean;
      }> = {},
    ) =>
      new GrantplaneFunction(this, idName, {
        entry: resolve(functionsDir, file),
        description,
        configFile: settings.configFile,
        ...extra,
        ...(extra.cloudClients === true
          ? { gcpCredentialConfig: settings.gcpCredentialConfig, azureFederation: settings.azureFederation }
          : {}),
        environment: { ...tableEnv, ...extra.environment },
      });

    this.functions = new Map();

    // ── Drift/expiry run and applier (no HTTP) ────────────────────────────────────────────────
    // Both read whole planes and reconcile many targets: the same size, a fixed role name (plane
    // access roles trust it by name) and read-write access to the table.
    const makeWorker = (name: 'drift' | 'applier', idName: string, description: string) => {
      const worker = makeFunction(idName, `${name}.ts`, description, {
        timeout: Duration.minutes(5),
        memorySize: 1024,
        roleName: roleNames[name],
        cloudClients: true,
      });
      grantTable(table, worker.role, 'read-write');
      this.functions.set(name, worker);
      return worker;
    };
    const drift = makeWorker('drift', 'Drift', 'drift check and expiry (schedule)');
    const applier = makeWorker('applier', 'Applier', 'applier (table stream to IAM)');

    // IAM: home-account planes directly, other accounts through their access roles (docs/webhooks.md):
    // the applier assumes the applier access role, the drift check its read-only twin.
    const assumable = {
      applier: settings.planes.flatMap((plane) => (plane.applierRoleArn ? [plane.applierRoleArn] : [])),
      drift: settings.planes.flatMap((plane) => (plane.driftRoleArn ? [plane.driftRoleArn] : [])),
    };
    settings.planes
      .filter((plane) => !plane.applierRoleArn)
      .forEach((plane) => {
        for (const statement of applierStatements(plane)) applier.role.addToPolicy(statement);
        for (const statement of readOnlyStatements(plane)) drift.role.addToPolicy(statement);
        acknowledgeApplierWildcards(applier.role, plane);
        acknowledgeApplierWildcards(drift.role, plane);
        // docs/deploy.md: the boundary every role of this plane carries, where the applier cannot write.
        if (plane.createsBoundary) createTaskBoundary(this, `TaskBoundary${sidSuffix(plane.name)}`);
      });
    Validations.of(applier.role).acknowledge(IAM_LIST_ACKNOWLEDGEMENT);
    Validations.of(drift.role).acknowledge(IAM_LIST_ACKNOWLEDGEMENT);
    // One statement per chunk of plane access roles, in managed policies (6,144 characters each) of
    // their own: the roles' inline policies then stay the same size however many planes there are
    // (IAM caps a role's inline policies at 10,240 characters together).
    if (assumable.applier.length > ASSUME_ROLES_PER_POLICY * MAX_MANAGED_POLICIES_PER_ROLE) {
      throw new InfraConfigError(
        `grantplane:config: ${assumable.applier.length} planes with applierRoleArn; one deployment reaches at most ${ASSUME_ROLES_PER_POLICY * MAX_MANAGED_POLICIES_PER_ROLE} (IAM attaches at most ${MAX_MANAGED_POLICIES_PER_ROLE} managed policies to a role)`,
      );
    }
    for (const [who, role] of [
      ['applier', applier.role],
      ['drift', drift.role],
    ] as const) {
      const arns = assumable[who];
      for (let start = 0, n = 1; start < arns.length; start += ASSUME_ROLES_PER_POLICY, n += 1) {
        new ManagedPolicy(this, `Assume${who === 'applier' ? 'Plane' : 'Drift'}AccessRoles${n}`, {
          description: `grantplane: the ${who} assumes the plane ${who === 'applier' ? 'access' : 'read-only'} roles (${n})`,
          statements: [
            new PolicyStatement({
              sid: who === 'applier' ? 'AssumePlaneAccessRoles' : 'AssumeDriftAccessRoles',
              effect: Effect.ALLOW,
              actions: ['sts:AssumeRole'],
              resources: arns.slice(start, start + ASSUME_ROLES_PER_POLICY),
            }),
          ],
          roles: [role],
        });
      }
    }

    // Stream → applier: bounded retries, bisect poison batches, report partial failures, and
    // park what still fails in a queue that alarms (A4: the next run converges).
    this.deadLetterQueue = new Queue(this, 'ApplierDeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the on-failure destination of the applier stream mapping; a DLQ of a DLQ adds nothing.',
    });
    // Every stream consumer: bounded retries, poison batches bisected, partial failures reported.
    const streamSource = (deadLetters: Queue, filters: typeof APPLIER_STREAM_FILTERS) =>
      new DynamoEventSource(table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 25,
        maxBatchingWindow: Duration.seconds(1),
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        retryAttempts: 5,
        maxRecordAge: Duration.hours(6),
        onFailure: new SqsDlq(deadLetters),
        filters,
      });
    applier.function.addEventSource(streamSource(this.deadLetterQueue, APPLIER_STREAM_FILTERS));

    // ── Notifier (docs/notifications.md): only with channels configured. Its own mapping on the
    // stream, woken by the audit events that can notify someone; delivery records make retries and
    // replays send nothing twice; what fails every retry waits in its own queue.
    const channels = settings.notificationChannels;
    let notifierDeadLetters: Queue | undefined;
    if (channels.length > 0) {
      const notifier = makeFunction('Notifier', 'notifier.ts', 'notifier (audit events to Slack, e-mail and tickets)', {
        timeout: Duration.seconds(60),
      });
      grantTable(table, notifier.role, 'read-write');
      this.functions.set('notifier', notifier);
      notifierDeadLetters = new Queue(this, 'NotifierDeadLetterQueue', {
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
      Validations.of(notifierDeadLetters).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: 'This queue is itself the on-failure destination of the notifier stream mapping.',
      });
      notifier.function.addEventSource(streamSource(notifierDeadLetters, NOTIFIER_STREAM_FILTERS));
      // Reminders (an event without Records): grants expiring within 7 days, once per grant and date;
      // uctl and infrastructure updates pending too long, once per update.
      new Schedule(this, 'NotifierReminderSchedule', {
        description: 'grantplane notifier: grants expiring within 7 days, updates waiting too long',
        schedule: ScheduleExpression.expression('rate(1 hour)'),
        target: new LambdaInvoke(notifier.function, { retryAttempts: 2, maxEventAge: Duration.minutes(30) }),
      });
      const secretArns = channels.flatMap((channel) => channelSecretArns(channel));
      if (secretArns.length > 0)
        notifier.role.addToPolicy(
          new PolicyStatement({
            sid: 'ReadNotificationSecrets',
            actions: ['secretsmanager:GetSecretValue'],
            resources: secretArns,
          }),
        );
      const topicArns = channels.flatMap((channel) => (channel.type === 'email' ? [channel.topicArn] : []));
      if (topicArns.length > 0)
        notifier.role.addToPolicy(
          new PolicyStatement({ sid: 'PublishNotifications', actions: ['sns:Publish'], resources: topicArns }),
        );
      new CfnOutput(this, 'NotifierDeadLetterQueueUrl', { value: notifierDeadLetters.queueUrl });
    }

    // ── HTTP API ──────────────────────────────────────────────────────────────────────────────
    const webhookSecrets = WEBHOOK_SOURCES.map(
      (source) =>
        [
          source,
          new Secret(this, `WebhookSecret-${source}`, {
            description: `grantplane ${source} webhook signing secret (comma-separated list during rotation)`,
            generateSecretString: { passwordLength: 48, excludePunctuation: true },
            removalPolicy: RemovalPolicy.RETAIN,
          }),
        ] as const,
    );
    for (const [, secret] of webhookSecrets) {
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'A webhook signing secret is shared with the ticket system and rotated by hand there; the handler accepts a comma-separated list so both values work during rotation, and re-reads the secret every 5 minutes.',
      });
    }

    const groups = [...new Set(ROUTES.map((route) => route.group))];
    for (const group of groups) {
      const environment: Record<string, string> = {};
      if (group === 'webhook') {
        // Only the secrets' ARNs: functions/webhook.ts reads the values with GetSecretValue and keeps
        // them 5 minutes, so a value never appears in the function's configuration and a rotation
        // ("new,old" stored in the secret) needs no deploy.
        for (const [source, secret] of webhookSecrets) {
          environment[`GRANTPLANE_WEBHOOK_SECRET_ARN_${source.toUpperCase()}`] = secret.secretArn;
        }
      }
      if (group !== 'webhook') {
        // How JWT claims map to grantplane roles (functions/shared/auth.ts); unset = its defaults.
        if (settings.rolesClaim) environment.GRANTPLANE_ROLES_CLAIM = settings.rolesClaim;
        if (settings.roleMapping) environment.GRANTPLANE_ROLE_MAPPING = settings.roleMapping;
      }
      if (group === 'http/drift') environment.GRANTPLANE_DRIFT_FUNCTION_NAME = drift.function.functionName;
      if (group === 'http/console') {
        // The console signs people in with the API's own issuer (authorization code + PKCE).
        environment.GRANTPLANE_CONSOLE_ISSUER = settings.jwtIssuer;
        environment.GRANTPLANE_CONSOLE_CLIENT_ID = settings.consoleClientId;
        environment.GRANTPLANE_CONSOLE_SCOPE = settings.consoleScope;
      }
      const idName = `Http${group.replace(/^http\//, '').replace(/(^|[-/])(\w)/g, (_m, _s, c: string) => c.toUpperCase())}`;
      const fn = makeFunction(idName, `${group}.ts`, `HTTP ${group}`, {
        environment,
        // The console's pages travel in its bundle's folder (functions/http/console.ts reads them).
        ...(group === 'http/console' ? { assets: resolve(functionsDir, 'http/console') } : {}),
        // POST /v1/drift-checks may run the check in-process (functions/drift): GCP and Azure too.
        // Named when it signs in to Azure: Entra ID trusts a role by its exact ARN.
        ...(group === 'http/drift'
          ? { cloudClients: true, ...(settings.azureFederation ? { roleName: roleNames.driftApi } : {}) }
          : {}),
      });
      const access = TABLE_ACCESS[group];
      if (access !== 'none') grantTable(table, fn.role, access);
      if (group === 'http/drift') drift.function.grantInvoke(fn.role);
      // GetSecretValue (and DescribeSecret) on exactly the three signing secrets.
      if (group === 'webhook') for (const [, secret] of webhookSecrets) secret.grantRead(fn.role);
      this.functions.set(group, fn);
    }

    const accessLogs = new LogGroup(this, 'ApiAccessLogs', {
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.api = new HttpApi(this, 'Api', {
      description: 'grantplane HTTP API (routes generated from functions/shared/routes.ts)',
      createDefaultStage: false,
      corsPreflight: {
        allowOrigins: ['*'],
        allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST, CorsHttpMethod.PUT, CorsHttpMethod.DELETE],
        allowHeaders: ['authorization', 'content-type', 'idempotency-key'],
      },
    });
    new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: 50, burstLimit: 100 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.jsonWithStandardFields(),
      },
    });

    const jwt = new HttpJwtAuthorizer('Jwt', settings.jwtIssuer, { jwtAudience: settings.jwtAudience });
    const none = new HttpNoneAuthorizer();
    const integrations = new Map(
      groups.map((group) => {
        const fn = this.functions.get(group);
        if (!fn) throw new Error(`no function for route group ${group}`);
        return [group, new HttpLambdaIntegration(`${group}-integration`, fn.function)] as const;
      }),
    );
    for (const route of ROUTES) {
      const authorizer: IHttpRouteAuthorizer = routeNeedsJwt(route) ? jwt : none;
      const integration = integrations.get(route.group);
      if (!integration) throw new Error(`no integration for route group ${route.group}`);
      const [created] = this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration,
        authorizer,
      });
      if (created && !routeNeedsJwt(route)) {
        Validations.of(created).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            route.access === 'signature'
              ? 'Ticket-system webhooks carry no token: the handler verifies the HMAC signature and replay window (docs/webhooks.md).'
              : 'Liveness probe, no token by design (docs/api.md); it returns no data.',
        });
      }
    }

    // ── Schedule ──────────────────────────────────────────────────────────────────────────────
    new Schedule(this, 'DriftSchedule', {
      description: 'grantplane drift check and expiry of time-bound grants',
      schedule: ScheduleExpression.expression(settings.driftSchedule),
      target: new LambdaInvoke(drift.function, { retryAttempts: 2, maxEventAge: Duration.minutes(10) }),
    });
    // The applier's sweep (functions/applier.ts, an event without Records): targets that are
    // behind, failed, or waiting for a uctl update whose evidence came without a stream record (A3, A4).
    new Schedule(this, 'ApplierSweepSchedule', {
      description:
        'grantplane applier sweep: retry failed targets, delete waiting roles once their uctl update is confirmed',
      schedule: ScheduleExpression.expression(settings.applierSweepSchedule),
      target: new LambdaInvoke(applier.function, { retryAttempts: 2, maxEventAge: Duration.minutes(10) }),
    });

    // ── Alarms ────────────────────────────────────────────────────────────────────────────────
    // CloudWatch publishes to an encrypted topic only with a customer-managed key it may use.
    const topicKey = new Key(this, 'AlarmTopicKey', {
      description: 'grantplane alarm topic encryption',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    topicKey.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.alarmTopic = new Topic(this, 'AlarmTopic', {
      displayName: 'grantplane alarms',
      masterKey: topicKey,
      enforceSSL: true,
    });
    // The topic's policy (enforceSSL's Deny replaces SNS's default one) must let CloudWatch publish
    // the alarms of this account, or every alarm below fires into nothing.
    this.alarmTopic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarms',
        effect: Effect.ALLOW,
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: {
          ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*` },
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        },
      }),
    );
    if (settings.alarmEmail) this.alarmTopic.addSubscription(new EmailSubscription(settings.alarmEmail));
    const action = new SnsAction(this.alarmTopic);
    const alarm = (
      idName: string,
      metric: IMetric,
      description: string,
      options: { threshold?: number; below?: boolean; missing?: TreatMissingData } = {},
    ) =>
      new Alarm(this, idName, {
        metric,
        threshold: options.threshold ?? 1,
        evaluationPeriods: 1,
        comparisonOperator: options.below
          ? ComparisonOperator.LESS_THAN_THRESHOLD
          : ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: options.missing ?? TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      }).addAlarmAction(action);
    const grantplaneMetric = (metricName: string, statistic: string, period: Duration) =>
      new Metric({ namespace: 'grantplane', metricName, dimensionsMap: { service: 'grantplane' }, statistic, period });

    for (const [name, fn] of this.functions) {
      const label = name.replace(/\W/g, '-');
      alarm(
        `Errors-${label}`,
        fn.function.metricErrors({ period: Duration.minutes(5) }),
        `grantplane ${name}: function errors`,
      );
      alarm(
        `Throttles-${label}`,
        fn.function.metricThrottles({ period: Duration.minutes(5) }),
        `grantplane ${name}: throttled invocations`,
      );
    }
    alarm(
      'DeadLetters',
      this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      'grantplane applier: stream records that failed every retry are waiting in the dead-letter queue',
    );
    this.notifierDeadLetterQueue = notifierDeadLetters;
    if (notifierDeadLetters !== undefined)
      alarm(
        'NotifierDeadLetters',
        notifierDeadLetters.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(5),
          statistic: 'Maximum',
        }),
        'grantplane notifier: notifications that failed every retry are waiting in its dead-letter queue',
      );
    alarm(
      'DriftedTargets',
      grantplaneMetric('DriftedTargets', 'Maximum', Duration.minutes(15)),
      'grantplane drift check: IAM differs from the desired state (drifted, missing or orphaned targets)',
    );
    // What the functions count themselves (functions/shared/metrics.ts), one alarm each.
    const counted: [string, string][] = [
      ['EngineErrors', 'the plan engine failed (a bug, or its IAM action catalogue unusable): nothing was planned'],
      ['FailedApplies', 'the applier could not apply a target (it retries; see the target and its audit)'],
      ['FailedGrants', 'a grant moved to failed: IAM refused it or it no longer fits its role'],
      [
        'RolesWaitingPastGrace',
        'a role waits past roleDeletionGraceMinutes for its uctl update: run and acknowledge it',
      ],
      ['HeldRemovals', 'a change that would remove access from most of a plane is held for an admin'],
    ];
    for (const [metricName, what] of counted) {
      alarm(metricName, grantplaneMetric(metricName, 'Sum', Duration.minutes(5)), `grantplane: ${what}`);
    }
    alarm(
      'ApiServerErrors',
      this.api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }),
      'grantplane API: answers with status 5xx',
    );
    alarm(
      'ApplierStreamLag',
      applier.function.metric('IteratorAge', { period: Duration.minutes(5), statistic: 'Maximum' }),
      'grantplane applier: table stream records wait more than 5 minutes to be applied',
      { threshold: Duration.minutes(5).toMilliseconds() },
    );
    for (const metricName of ['TargetErrorCount', 'InvocationDroppedCount']) {
      alarm(
        `Scheduler${metricName}`,
        new Metric({
          namespace: 'AWS/Scheduler',
          metricName,
          dimensionsMap: { ScheduleGroup: 'default' },
          statistic: 'Sum',
          period: Duration.minutes(15),
        }),
        `grantplane schedules (drift check, applier sweep): ${metricName}`,
      );
    }
    // No DriftRuns data point for an hour means the schedule stopped: missing data breaches.
    alarm(
      'DriftNotRunning',
      grantplaneMetric('DriftRuns', 'Sum', Duration.hours(1)),
      'grantplane drift check has not completed a run for an hour',
      { below: true, missing: TreatMissingData.BREACHING },
    );

    // Findings that are the shape of a grant, not a wildcard grant: acknowledged by exact id.
    const notifierFunction = this.functions.get('notifier');
    for (const fn of [drift, applier, ...(notifierFunction === undefined ? [] : [notifierFunction])]) {
      const id = this.getLogicalId(fn.function.node.defaultChild as CfnElement);
      Validations.of(this).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${id}.Arn>:*]`,
        reason: `lambda:InvokeFunction on the ${fn.node.id} function and its versions/aliases only (its schedule${fn === drift ? ', and POST /v1/drift-checks' : ''}).`,
      });
    }

    new CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn });
    new CfnOutput(this, 'ApplierRoleArn', { value: applier.role.roleArn });
    new CfnOutput(this, 'DriftRoleArn', { value: drift.role.roleArn });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.deadLetterQueue.queueUrl });
  }
}
