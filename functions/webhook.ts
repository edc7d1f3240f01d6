// POST /v1/webhooks/{source} (DESIGN §10): ticket-system webhooks, authenticated by signature.
// Parse → one use case (receiveWebhook) → shape. Secrets per source come from
// GRANTPLANE_WEBHOOK_SECRET_<SOURCE> (GENERIC, JIRA, SERVICENOW): one value, or a comma-separated
// list during rotation; a source without one answers every delivery 401.
import { DeliveryInProgressError, receiveWebhook, WEBHOOK_KINDS, WebhookSignatureError, type WebhookAnswer } from '../lib/app/webhooks.js';
import type { WebhookKind } from '../lib/domain/webhooks/index.js';
import { liveDeps, resolveDeps, type DepsSource } from '../lib/wiring.js';
import { makeHttpHandler, type ChainOptions } from './shared/http.js';
import { logger } from './shared/logger.js';
import { mapError, problem, ProblemError, PROBLEM_CONTENT_TYPE } from './shared/problem.js';

export interface WebhookHandlerOptions extends ChainOptions {
  /** The secrets of a source (tests pass their own); default: the environment. */
  secrets?: (kind: WebhookKind) => readonly string[];
}

const SECRETS_MANAGER_ARN = /^arn:aws[a-z-]*:secretsmanager:/;
const envSecrets = new Map<WebhookKind, readonly string[]>();

/**
 * A source's secrets from GRANTPLANE_WEBHOOK_SECRET_<SOURCE>, read once per cold start. A Secrets
 * Manager ARN there is not resolved by this build: it is ignored (logged), so the source answers 401.
 */
export function secretsFromEnv(kind: WebhookKind, env: Record<string, string | undefined> = process.env): readonly string[] {
  const cached = envSecrets.get(kind);
  if (cached !== undefined && env === process.env) return cached;
  const variable = `GRANTPLANE_WEBHOOK_SECRET_${kind.toUpperCase()}`;
  const values = (env[variable] ?? '').split(',').map((value) => value.trim()).filter((value) => value !== '');
  const secrets = values.filter((value) => !SECRETS_MANAGER_ARN.test(value));
  if (secrets.length < values.length) logger.error('webhook secret is a Secrets Manager ARN; put the secret value in the variable', { variable });
  if (env === process.env) envSecrets.set(kind, secrets);
  return secrets;
}

/** 4xx refusals are remembered as the delivery's answer; 5xx are not (the sender's retry runs again). */
const answerFor = (error: unknown): WebhookAnswer | null => {
  const mapped = mapError(error);
  return mapped.clientError ? { status: mapped.problem.status, body: mapped.problem } : null;
};

const isKind = (value: string | undefined): value is WebhookKind => WEBHOOK_KINDS.some((kind) => kind === value);

/** The webhook Lambda on any deps. */
export const makeHandler = (source: DepsSource, options: WebhookHandlerOptions = {}) =>
  makeHttpHandler('webhook', {
    receiveWebhook: async (req) => {
      const kind = req.params.source;
      if (!isKind(kind)) {
        throw new ProblemError(problem(404, 'webhook.unknown-source', `No webhook source "${kind ?? ''}"; use one of ${WEBHOOK_KINDS.join(', ')}.`, undefined, 'path.source'));
      }
      const secrets = (options.secrets ?? secretsFromEnv)(kind);
      try {
        const answer = await receiveWebhook(resolveDeps(source).app, { kind, headers: req.headers, rawBody: req.rawBody ?? '', secrets }, req.body, { answerFor });
        return { status: answer.status, body: answer.body, ...(answer.status >= 400 ? { headers: { 'Content-Type': PROBLEM_CONTENT_TYPE } } : {}) };
      } catch (error: unknown) {
        if (error instanceof WebhookSignatureError) throw new ProblemError(problem(401, error.code, error.message, undefined, 'headers'));
        if (error instanceof DeliveryInProgressError) {
          throw new ProblemError(problem(409, 'webhook.delivery-in-progress', error.message), { 'Retry-After': '2' });
        }
        throw error;
      }
    },
  }, options);

export const handler = makeHandler(liveDeps);
