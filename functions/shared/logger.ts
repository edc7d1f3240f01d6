// The one Powertools logger: structured keys, never whole events or secrets. Every function imports
// it first, so its stack traces are source-mapped (lazily) before anything can throw.
import './stack-traces.js';
import { Logger } from '@aws-lambda-powertools/logger';
import type { ApplierLog } from '../../lib/app/applier.js';

export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'grantplane' });

/** The Powertools logger as the use cases' structured log (applier and drift runs). */
export const powertoolsLog: ApplierLog = {
  debug: (message, attributes) => logger.debug(message, { ...attributes }),
  info: (message, attributes) => logger.info(message, { ...attributes }),
  warn: (message, attributes) => logger.warn(message, { ...attributes }),
  error: (message, attributes) => logger.error(message, { ...attributes }),
};
