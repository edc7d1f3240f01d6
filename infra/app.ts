// The CDK app: `cd infra && npx cdk synth` (cdk.json runs this file with tsx).
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildApp } from './build-app.js';
import { InfraConfigError } from './config.js';

const app = new App();
try {
  buildApp(app);
} catch (error: unknown) {
  // A refused setting is the operator's to fix: one line naming the key, no stack trace.
  if (!(error instanceof InfraConfigError)) throw error;
  console.error(`grantplane: synth refused: ${error.message}`);
  process.exit(1);
}
// cdk-nag 3: findings fail synth; every acknowledgement in the stacks carries its reason.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
