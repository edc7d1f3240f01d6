// POST /v1/webhooks/{source} (docs/webhooks.md): ticket-system webhooks, authenticated by signature.
// Parse → one use case (receiveWebhook) → shape. A source's secrets come from the environment or
// Secrets Manager (lib/wiring/webhook.ts); a source without one answers every delivery 401.
import { receiveWebhook, webhookKindOf, type WebhookResult } from '../lib/app/webhooks.js';
import { errorOfRefusal } from '../lib/domain/errors.js';
import { liveDeps, resolveDeps, type DepsSource } from '../lib/wiring/http.js';
import { liveSecrets, type SecretsSource } from '../lib/wiring/webhook.js';
import { makeHttpHandler, type ChainOptions } from './shared/http.js';

export interface WebhookHandlerOptions extends ChainOptions {
  /** The secrets of a source (tests pass their own); default: the environment and Secrets Manager. */
  secrets?: SecretsSource;
}

/** The answer to a delivery: the grant (202 when it queued work), 200 ignored, or the refusal's problem. */
const answerOf = (result: WebhookResult) => {
  const replay = result.replay === true ? { replay: true } : {};
  if (result.kind === 'refused') throw errorOfRefusal(result.refusal);
  if (result.kind === 'ignored') return { status: 200, body: { ignored: true, reason: result.reason, ...replay } };
  // A replay answers 200 with the first grant, marked: its work was queued the first time.
  return { status: result.queued && result.replay !== true ? 202 : 200, body: { ...result.grant, ...replay } };
};

/** The webhook Lambda on any deps. */
export const makeHandler = (source: DepsSource, options: WebhookHandlerOptions = {}) =>
  makeHttpHandler(
    'webhook',
    {
      receiveWebhook: async (req) => {
        const kind = webhookKindOf(req.params.source);
        const secrets = await (options.secrets ?? liveSecrets)(kind);
        const delivery = { kind, headers: req.headers, rawBody: req.rawBody ?? '', secrets };
        return answerOf(await receiveWebhook(resolveDeps(source).app, delivery, req.body));
      },
    },
    options,
  );

export const handler = makeHandler(liveDeps);
