// Builds grantplane's stacks into an App; shared by infra/app.ts and the infra tests.
import type { App } from 'aws-cdk-lib';
import { loadInfraSettings, type InfraSettings } from './config.js';
import { PlaneAccessStack } from './stacks/plane-access-stack.js';
import { StatefulStack } from './stacks/stateful-stack.js';
import { StatelessStack, serviceRoleNames } from './stacks/stateless-stack.js';

export interface GrantplaneStacks {
  settings: InfraSettings;
  stateful: StatefulStack;
  stateless: StatelessStack;
  planeAccess: PlaneAccessStack[];
}

/**
 * Adds the stateful and stateless stacks (home account) and one plane access stack per plane
 * with an `applierRoleArn` (its own account). Context: see infra/config.ts.
 */
export const buildApp = (app: App, options: { functionsDir?: string } = {}): GrantplaneStacks => {
  // The CDK CLI passes the credentials' account as CDK_DEFAULT_ACCOUNT; -c homeAccount wins.
  const settings = loadInfraSettings((key) =>
    key === 'CDK_DEFAULT_ACCOUNT' ? process.env.CDK_DEFAULT_ACCOUNT : app.node.tryGetContext(key),
  );
  // The home stacks stay environment-agnostic: nothing of the synthesizing machine (its region
  // above all) is baked into schedules, ARNs or assets; `cdk deploy` supplies account and region.
  const stateful = new StatefulStack(app, 'GrantplaneStateful', {
    description: 'grantplane: desired state, audit and idempotency table (retained)',
  });
  const stateless = new StatelessStack(app, 'GrantplaneStateless', {
    description: 'grantplane: HTTP API, applier, drift schedule and alarms',
    settings,
    table: stateful.table,
    ...(options.functionsDir ? { functionsDir: options.functionsDir } : {}),
  });
  // The stateless stack depends on the stateful one through the table's exports (deploy order).

  const crossAccount = settings.planes.filter((plane) => plane.applierRoleArn);
  const homeAccount = settings.homeAccount;
  const names = serviceRoleNames(settings.serviceName);
  const planeAccess = crossAccount.map(
    (plane) =>
      new PlaneAccessStack(app, `GrantplanePlaneAccess-${plane.name}`, {
        description: `grantplane: applier and drift access roles in the account of data plane ${plane.name}`,
        env: { account: plane.accountId, region: plane.region },
        plane,
        applierPrincipalArn: `arn:aws:iam::${homeAccount}:role/${names.applier}`,
        driftPrincipalArn: `arn:aws:iam::${homeAccount}:role/${names.drift}`,
      }),
  );
  return { settings, stateful, stateless, planeAccess };
};
