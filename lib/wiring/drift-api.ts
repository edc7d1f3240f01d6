// Composition root piece of the drift API: the asynchronous Invoke that hands a run to the drift
// Lambda (a module of its own, so no other bundle carries the Lambda client).
import { makeLambdaInvoker, type AsyncInvoker } from '../adapters/lambda/invoke.js';

/** The live invoker: the SDK's Lambda client (region, credentials, AWS_ENDPOINT_URL_LAMBDA) from its standard configuration. */
export const liveInvoker = (): AsyncInvoker => makeLambdaInvoker();
