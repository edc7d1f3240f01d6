// The one Powertools logger: structured keys, never whole events or secrets.
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'grantplane' });
