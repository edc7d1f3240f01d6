// POST /v1/webhooks/{source} (docs/webhooks.md): ticket-system webhooks, authenticated by signature.
// Parse → one use case (receiveWebhook) → shape. Secrets per source (GENERIC, JIRA, SERVICENOW) come
// from GRANTPLANE_WEBHOOK_SECRET_<SOURCE> locally and Secrets Manager in AWS (envSecrets); a source
// without one answers every delivery 401.
import {
  DeliveryInProgressError,
  receiveWebhook,
  WEBHOOK_KINDS,
  WebhookSignatureError,
  type WebhookAnswer,
} from '../lib/app/webhooks.js';
import { liveSecretReader, type SecretReader } from '../lib/wiring/webhook.js';
import type { WebhookKind } from '../lib/domain/webhooks/index.js';
import { liveDeps, resolveDeps, type DepsSource } from '../lib/wiring/http.js';
import { makeHttpHandler, type ChainOptions } from './shared/http.js';
import { mapError, problem, ProblemError, PROBLEM_CONTENT_TYPE } from './shared/problem.js';

/** A source's signing secrets (several during rotation). */
export type SecretsSource = (kind: WebhookKind) => readonly string[] | Promise<readonly string[]>;

export interface WebhookHandlerOptions extends ChainOptions {
  /** The secrets of a source (tests pass their own); default: the environment, see envSecrets. */
  secrets?: SecretsSource;
}

const SECRETS_MANAGER_ARN = /^arn:aws[a-z-]*:secretsmanager:/;
/** Secrets read from Secrets Manager are kept this long, so a rotation is picked up without a deploy. */
export const SECRET_CACHE_MS = 5 * 60_000;

const splitList = (text: string | undefined): string[] =>
  (text ?? '')
    .split(',')
    .map((value) => value.trim())
    .filter((value) => value !== '');

/**
 * Secrets per source from the environment: GRANTPLANE_WEBHOOK_SECRET_<SOURCE> holds the secret (a
 * comma-separated list during rotation) or Secrets Manager ARNs; GRANTPLANE_WEBHOOK_SECRET_ARN_<SOURCE>
 * (set by the CDK stack) names the Secrets Manager secret, whose value may itself be such a list.
 * Values read from Secrets Manager are cached for SECRET_CACHE_MS; a failed read is a 500 (the sender retries).
 * `reader` replaces the Secrets Manager reader (tests pass one on their own client).
 */
export function envSecrets(
  env: Record<string, string | undefined>,
  reader?: () => SecretReader,
  now: () => number = Date.now,
): SecretsSource {
  const cache = new Map<WebhookKind, { secrets: readonly string[]; until: number }>();
  let built: SecretReader | undefined;
  // The SDK client takes region, credentials and AWS_ENDPOINT_URL_SECRETS_MANAGER from its standard configuration.
  const read = (): SecretReader => (built ??= reader?.() ?? liveSecretReader());
  return async (kind) => {
    const cached = cache.get(kind);
    if (cached !== undefined && cached.until > now()) return cached.secrets;
    const name = kind.toUpperCase();
    const entries = [
      ...splitList(env[`GRANTPLANE_WEBHOOK_SECRET_${name}`]),
      ...splitList(env[`GRANTPLANE_WEBHOOK_SECRET_ARN_${name}`]),
    ];
    const plain = entries.filter((entry) => !SECRETS_MANAGER_ARN.test(entry));
    const arns = entries.filter((entry) => SECRETS_MANAGER_ARN.test(entry));
    const fetched = await Promise.all(arns.map(async (arn) => splitList(await read()(arn))));
    const secrets = [...plain, ...fetched.flat()];
    // Plain values never change for the life of the process; read ones are re-read after the cache time.
    cache.set(kind, { secrets, until: arns.length === 0 ? Number.POSITIVE_INFINITY : now() + SECRET_CACHE_MS });
    return secrets;
  };
}

let liveSecrets: SecretsSource | undefined;
const fromProcessEnv: SecretsSource = (kind) => (liveSecrets ??= envSecrets(process.env))(kind);

/** 4xx refusals are remembered as the delivery's answer; 5xx are not (the sender's retry runs again). */
const answerFor = (error: unknown): WebhookAnswer | null => {
  const mapped = mapError(error);
  return mapped.clientError ? { status: mapped.problem.status, body: mapped.problem } : null;
};

const isKind = (value: string | undefined): value is WebhookKind => WEBHOOK_KINDS.some((kind) => kind === value);

/** The webhook Lambda on any deps. */
export const makeHandler = (source: DepsSource, options: WebhookHandlerOptions = {}) =>
  makeHttpHandler(
    'webhook',
    {
      receiveWebhook: async (req) => {
        const kind = req.params.source;
        if (!isKind(kind)) {
          throw new ProblemError(
            problem(
              404,
              'webhook.unknown-source',
              `No webhook source "${kind ?? ''}"; use one of ${WEBHOOK_KINDS.join(', ')}.`,
              undefined,
              'path.source',
            ),
          );
        }
        const secrets = await (options.secrets ?? fromProcessEnv)(kind);
        try {
          const answer = await receiveWebhook(
            resolveDeps(source).app,
            { kind, headers: req.headers, rawBody: req.rawBody ?? '', secrets },
            req.body,
            { answerFor },
          );
          return {
            status: answer.status,
            body: answer.body,
            ...(answer.status >= 400 ? { headers: { 'Content-Type': PROBLEM_CONTENT_TYPE } } : {}),
          };
        } catch (error: unknown) {
          if (error instanceof WebhookSignatureError)
            throw new ProblemError(problem(401, error.code, error.message, undefined, 'headers'));
          if (error instanceof DeliveryInProgressError) {
            throw new ProblemError(problem(409, 'webhook.delivery-in-progress', error.message), { 'Retry-After': '2' });
          }
          throw error;
        }
      },
    },
    options,
  );

export const handler = makeHandler(liveDeps);
