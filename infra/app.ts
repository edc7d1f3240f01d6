// The CDK app: `cd infra && npx cdk synth` (cdk.json runs this file with tsx).
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildApp } from './build-app.js';

const app = new App();
buildApp(app);
// cdk-nag 3: findings fail synth; every acknowledgement in the stacks carries its reason.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
