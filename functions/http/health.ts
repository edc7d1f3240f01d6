// GET /healthz (docs/api.md): liveness, no token, no dependency touched — a dead table must not make
// API Gateway or a load balancer think the function itself is down.
import { makeHttpHandler, type ChainOptions } from '../shared/http.js';

/** The health Lambda. */
export const makeHandler = (options?: ChainOptions) =>
  makeHttpHandler('http/health', { health: async () => ({ status: 200, body: { status: 'ok' } }) }, options);

export const handler = makeHandler();
