// The one Powertools logger (STYLE habit 9): structured keys, never whole events or secrets.
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'grantplane' });
