import type { AwsDataPlaneConfig } from '../config.js';
import type { RuleViolation } from '../model.js';
import { partitionOf, secretGroupOf } from '../compile/arns.js';
import { violation } from './codes.js';

// R5 secrets (seed 003, "Enabling AWS Secrets Manager"): "Secrets must be defined within the same
// region as your Union.ai data plane"; a secret ARN is
// `arn:aws:secretsmanager:<Region>:<AccountId>:secret:<SecretName>-<SixRandomCharacters>`, split
// into SECRET_GROUP (up to and including `:secret:`) and SECRET_KEY (the rest).

const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const FULL_SECRET = /^[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/;
const SECRET_PATTERN = /^[A-Za-z0-9/_+=.@?*-]*\*$/;

export interface CheckedSecret {
  /** The IAM resource the grant allows GetSecretValue on. */
  resource: string;
  /** Seed 003's SECRET_GROUP / SECRET_KEY, for a full ARN only. */
  secretGroup?: string;
  secretKey?: string;
}

/** R5: validates a secretsmanager resource and computes its IAM resource. */
export function checkSecret(
  plane: AwsDataPlaneConfig,
  resource: { secretArn?: string | undefined; secretName?: string | undefined },
): { secret: CheckedSecret } | { errors: RuleViolation[] } {
  const { secretArn, secretName } = resource;
  if ((secretArn === undefined) === (secretName === undefined)) {
    return {
      errors: [
        violation(
          'resource',
          'secret.one-of',
          'Give exactly one of secretArn (a full ARN or an ARN pattern ending in "*") and secretName.',
        ),
      ],
    };
  }
  if (secretName !== undefined) {
    if (!SECRET_NAME.test(secretName)) {
      return {
        errors: [
          violation(
            'resource.secretName',
            'secret.invalid-name',
            'A secret name has 1 to 512 letters, digits and /_+=.@- characters; use secretArn for patterns.',
          ),
        ],
      };
    }
    // `<name>-??????` matches exactly this secret's suffix; `<name>-*` would also match other secrets.
    return { secret: { resource: `${secretGroupOf(plane)}${secretName}-??????` } };
  }
  const arn = secretArn ?? '';
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') {
    return {
      errors: [
        violation(
          'resource.secretArn',
          'secret.invalid-arn',
          'Expected arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters> or a pattern ending in "*".',
        ),
      ],
    };
  }
  const [, partition, service, region, account, kind] = parts;
  const rest = parts.slice(6).join(':');
  const errors: RuleViolation[] = [];
  if (service !== 'secretsmanager') {
    errors.push(
      violation(
        'resource.secretArn',
        'secret.wrong-service',
        `The ARN's service is "${service}", not "secretsmanager": give a Secrets Manager secret ARN.`,
      ),
    );
    return { errors };
  }
  if (kind !== 'secret' || partition !== partitionOf(plane.region) || rest === '' || parts.length !== 7) {
    return {
      errors: [
        violation(
          'resource.secretArn',
          'secret.invalid-arn',
          `Expected ${secretGroupOf(plane)}<name>-<6 characters> or a pattern ending in "*".`,
        ),
      ],
    };
  }
  if (region !== plane.region) {
    errors.push(
      violation(
        'resource.secretArn',
        'secret.wrong-region',
        `Secrets must be defined within the same region as the data plane: the secret is in ${region}, plane "${plane.name}" in ${plane.region}.`,
      ),
    );
  }
  if (account !== plane.accountId) {
    errors.push(
      violation(
        'resource.secretArn',
        'secret.wrong-account',
        `The secret is in account ${account}, plane "${plane.name}" in ${plane.accountId}: create the secret in the plane's account.`,
      ),
    );
  }
  const isPattern = rest.endsWith('*');
  if (isPattern && /^[*?]/.test(rest)) {
    errors.push(
      violation(
        'resource.secretArn',
        'secret.too-broad',
        `"${rest}" reaches every secret of the account: a pattern names at least the start of the secret's name (…:secret:team-a/*).`,
      ),
    );
  } else if (isPattern ? !SECRET_PATTERN.test(rest) : !SECRET_NAME.test(rest)) {
    errors.push(
      violation(
        'resource.secretArn',
        'secret.invalid-arn',
        `"${rest}" is not a secret name or a name pattern ending in "*".`,
      ),
    );
  } else if (!isPattern && !FULL_SECRET.test(rest)) {
    errors.push(
      violation(
        'resource.secretArn',
        'secret.missing-suffix',
        `A full secret ARN ends with "-" and 6 characters (as the console shows it); or use secretName "${rest}" to match it as ${rest}-??????.`,
      ),
    );
  }
  if (errors.length > 0) return { errors };
  const group = `arn:${partition}:secretsmanager:${region}:${account}:secret:`;
  return { secret: isPattern ? { resource: arn } : { resource: arn, secretGroup: group, secretKey: rest } };
}
