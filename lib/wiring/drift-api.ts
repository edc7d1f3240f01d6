// Composition root of the drift API (POST /v1/drift-checks): behind API Gateway a run goes to the
// drift Lambda by an asynchronous Invoke (GRANTPLANE_DRIFT_FUNCTION_NAME, set by infra), so the answer
// does not wait for IAM; without it (`npm start`, a single-function deployment) it runs in-process.
import * as z from '../domain/zod.js';
import { makeLambdaInvoker, type AsyncInvoker } from '../adapters/lambda/invoke.js';
import { runDriftCheck, type DriftApiDeps, type DriftRunDeps } from '../app/drift-run.js';
import { liveDeps, WiringError } from './http.js';

/** The live invoker: the SDK's Lambda client (region, credentials, AWS_ENDPOINT_URL_LAMBDA) from its standard configuration. */
export const liveInvoker = (): AsyncInvoker => makeLambdaInvoker();

const envSchema = z.object({
  GRANTPLANE_DRIFT_FUNCTION_NAME: z.optional(z.string().check(z.minLength(1))),
});

let live: DriftApiDeps | undefined;

/** The drift API's live deps; `inProcess` gives the drift run's deps when no function is named. */
export function liveDriftApiDeps(inProcess: () => DriftRunDeps): DriftApiDeps {
  if (live !== undefined) return live;
  const env = envSchema.safeParse(process.env);
  if (!env.success) throw new WiringError(`${env.error.issues[0]?.path.join('.')}: ${env.error.issues[0]?.message}`);
  const functionName = env.data.GRANTPLANE_DRIFT_FUNCTION_NAME;
  if (functionName === undefined) {
    const drift = inProcess();
    live = {
      driftReports: drift.driftReports,
      start: async (input) => ({ status: 'completed', report: await runDriftCheck(drift, input) }),
    };
    return live;
  }
  const invoke = liveInvoker();
  live = {
    driftReports: liveDeps().app.driftReports,
    start: async (input) => {
      await invoke(functionName, input);
      return { status: 'started' };
    },
  };
  return live;
}
