// Placeholder until its owner lands it (DESIGN §10): every route of this group answers 501
// problem+json through the one chain, so the router, CDK and openapi already see the group.
import { makeHttpHandler, type ChainOptions } from '../shared/http.js';

/** The http/sources Lambda (no route implemented yet). */
export const makeHandler = (options?: ChainOptions) => makeHttpHandler('http/sources', {}, options);

export const handler = makeHandler();
