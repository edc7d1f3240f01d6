// Composition root piece of the webhook Lambda: its signing secrets from Secrets Manager (a module of
// its own, so no other bundle carries the Secrets Manager client).
import { makeSecretsManagerReader, type SecretReader } from '../adapters/secrets/secrets-manager.js';

export type { SecretReader } from '../adapters/secrets/secrets-manager.js';

/** The live secret reader: the SDK's Secrets Manager client from its standard configuration. */
export const liveSecretReader = (): SecretReader => makeSecretsManagerReader();
