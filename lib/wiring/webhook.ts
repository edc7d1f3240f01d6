// Composition root of the webhook Lambda: each source's signing secrets, from the environment or
// Secrets Manager (a module of its own, so no other bundle carries the Secrets Manager client).
import { makeSecretsManagerReader, type SecretReader } from '../adapters/secrets/secrets-manager.js';
import type { WebhookKind } from '../domain/webhooks/index.js';

export type { SecretReader } from '../adapters/secrets/secrets-manager.js';

/** The live secret reader: the SDK's Secrets Manager client from its standard configuration. */
export const liveSecretReader = (): SecretReader => makeSecretsManagerReader();

/** A source's signing secrets (several during rotation). */
export type SecretsSource = (kind: WebhookKind) => readonly string[] | Promise<readonly string[]>;

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

let live: SecretsSource | undefined;

/** The live secrets: this process's environment (and the Secrets Manager secrets it names). */
export const liveSecrets: SecretsSource = (kind) => (live ??= envSecrets(process.env))(kind);
