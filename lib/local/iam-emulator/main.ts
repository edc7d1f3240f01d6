// `npx tsx lib/local/iam-emulator/main.ts`: the IAM emulator alone, on GRANTPLANE_IAM_PORT
// (default: a free loopback port). Prints the endpoint; point the AWS CLI or SDK at it with
// AWS_ENDPOINT_URL_IAM and any credentials. The local stack (docs/api.md) calls startIamEmulator itself.
import * as z from 'zod';
import { startIamEmulator } from './server.js';

const env = z
  .object({
    GRANTPLANE_IAM_PORT: z.coerce.number().int().min(0).max(65535).default(0),
    GRANTPLANE_IAM_ACCOUNT_ID: z
      .string()
      .regex(/^\d{12}$/, 'GRANTPLANE_IAM_ACCOUNT_ID must be a 12-digit AWS account id')
      .default('123456789012'),
  })
  .safeParse(process.env);
if (!env.success) {
  console.error(`iam emulator: ${z.prettifyError(env.error)}`);
  process.exit(2);
}

const emulator = await startIamEmulator({
  port: env.data.GRANTPLANE_IAM_PORT,
  accountId: env.data.GRANTPLANE_IAM_ACCOUNT_ID,
});
console.log(emulator.endpoint);
console.error(
  `iam emulator: account ${env.data.GRANTPLANE_IAM_ACCOUNT_ID} (a 12-digit access key id selects that account)`,
);
console.error(
  `try: AWS_ENDPOINT_URL_IAM=${emulator.endpoint} AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x aws iam list-roles`,
);

const shutdown = (): void => {
  emulator.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error('iam emulator: stop failed', error);
      process.exit(1);
    },
  );
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
