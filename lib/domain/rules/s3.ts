import type { AwsDataPlaneConfig } from '../config.js';
import type { RuleViolation } from '../model.js';
import { violation } from './codes.js';

// R4 S3 (seed 003, "Enabling AWS S3"): the bucket is your own — "These are not the S3 bucket we
// are talking about" for Union's internal buckets — and its name follows S3's naming rules.

/** S3 general purpose bucket naming rules; returns what is wrong, or null. */
export function bucketNameProblem(bucket: string): string | null {
  if (bucket.startsWith('arn:')) return 'give the bucket name, not its ARN';
  if (bucket.length < 3 || bucket.length > 63) return 'bucket names have 3 to 63 characters';
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(bucket)) {
    return 'bucket names use lowercase letters, digits, "." and "-", and start and end with a letter or digit';
  }
  if (bucket.includes('..')) return 'bucket names must not contain two adjacent periods';
  if (/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bucket)) return 'bucket names must not look like an IP address';
  for (const prefix of ['xn--', 'sthree-', 'amzn-s3-demo-']) {
    if (bucket.startsWith(prefix)) return `bucket names must not start with "${prefix}"`;
  }
  for (const suffix of ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3']) {
    if (bucket.endsWith(suffix)) return `bucket names must not end with "${suffix}"`;
  }
  return null;
}

const globCache = new Map<string, RegExp>();

/** Matches `*` (any run) and `?` (one character) glob patterns, as internalBucketPatterns are written. */
export function globMatches(pattern: string, value: string): boolean {
  let regex = globCache.get(pattern);
  if (regex === undefined) {
    const source = pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    regex = new RegExp(`^${source}$`, 's');
    globCache.set(pattern, regex);
  }
  return regex.test(value);
}

/** R4: bucket name, internal buckets, and a prefix that means exactly what it says. */
export function checkS3(
  plane: AwsDataPlaneConfig,
  resource: { bucket: string; prefix?: string | undefined },
): RuleViolation[] {
  const errors: RuleViolation[] = [];
  const problem = bucketNameProblem(resource.bucket);
  if (problem !== null) {
    errors.push(
      violation('resource.bucket', 's3.invalid-bucket', `"${resource.bucket}" is not a valid bucket name: ${problem}.`),
    );
  } else {
    const pattern = plane.internalBucketPatterns.find((candidate) => globMatches(candidate, resource.bucket));
    if (pattern !== undefined) {
      errors.push(
        violation(
          'resource.bucket',
          's3.internal-bucket',
          `"${resource.bucket}" matches "${pattern}", a Union.ai internal bucket (metadata / fast registration): grant access to your own bucket instead.`,
        ),
      );
    }
  }
  const prefix = resource.prefix;
  if (prefix !== undefined) {
    if (/[*?]/.test(prefix) || prefix.includes('${')) {
      errors.push(
        violation(
          'resource.prefix',
          's3.invalid-prefix',
          'The prefix must be literal: remove "*", "?" and "${" (grantplane adds the trailing wildcard itself).',
        ),
      );
    } else if (prefix.length > 1024) {
      errors.push(
        violation(
          'resource.prefix',
          's3.invalid-prefix',
          'The prefix is longer than an S3 key (1,024 characters): shorten it.',
        ),
      );
    }
  }
  return errors;
}
