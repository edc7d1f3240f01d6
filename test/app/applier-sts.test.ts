// Planes in other accounts (docs/webhooks.md `applierRoleArn`): the live IAM source assumes the plane's
// role with STS and acts with those credentials. STS here is a loopback endpoint speaking STS's
// query protocol (the real @aws-sdk/client-sts talks to it through AWS_ENDPOINT_URL_STS); the IAM
// emulator picks its account from the access key id, so the account a call lands in proves which
// credentials signed it.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAssumedRoleGateways } from '../../lib/adapters/iam/assume-role.js';
import { parseConfig, type AwsDataPlaneConfig } from '../../lib/domain/config.js';
import { liveIamSource } from '../../lib/wiring/applier.js';
import { startIamTest, type IamTestContext } from '../helpers/iam.js';

const HOME = '123456789012';
const OTHER = '210987654321';
const ROLE_ARN = `arn:aws:iam::${OTHER}:role/grantplane-applier-access`;
const OIDC = 'oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE0A1B2C3D4E5F60718293A4B5C';

let iam: IamTestContext;
let sts: Server;
let stsEndpoint: string;
const assumed: Record<string, string>[] = [];
let lifetimeMs = 60 * 60_000;

const config = parseConfig({
  dataPlanes: [
    {
      name: 'home',
      cloud: 'aws',
      accountId: HOME,
      region: 'us-east-1',
      orgPrefix: 'acme',
      oidcProvider: OIDC,
      domains: ['development'],
      projects: '*',
    },
    {
      name: 'other',
      cloud: 'aws',
      accountId: OTHER,
      region: 'us-east-1',
      orgPrefix: 'acme',
      oidcProvider: OIDC,
      domains: ['development'],
      projects: '*',
      applierRoleArn: ROLE_ARN,
    },
  ],
});
const [home, other] = config.dataPlanes as [AwsDataPlaneConfig, AwsDataPlaneConfig];

beforeAll(async () => {
  iam = await startIamTest({ accountId: HOME });
  iam.emulator.seedDataPlane({ accountId: HOME, orgPrefix: 'acme', oidcProvider: OIDC });
  iam.emulator.seedDataPlane({ accountId: OTHER, orgPrefix: 'acme', oidcProvider: OIDC });
  sts = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const params = Object.fromEntries(new URLSearchParams(body));
      assumed.push(params);
      const expiration = new Date(Date.now() + lifetimeMs).toISOString();
      // The emulator reads the account from a 12-digit access key id: the assumed role's account.
      const accountId = /::(\d{12}):/.exec(params.RoleArn ?? '')?.[1] ?? '000000000000';
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(
        `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>` +
          `<AccessKeyId>${accountId}</AccessKeyId><SecretAccessKey>secret</SecretAccessKey><SessionToken>token</SessionToken>` +
          `<Expiration>${expiration}</Expiration></Credentials><AssumedRoleUser><Arn>${params.RoleArn}/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser>` +
          `</AssumeRoleResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></AssumeRoleResponse>`,
      );
    });
  });
  await new Promise<void>((resolve) => sts.listen(0, '127.0.0.1', resolve));
  stsEndpoint = `http://127.0.0.1:${(sts.address() as AddressInfo).port}`;
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_STS: stsEndpoint,
    AWS_ENDPOINT_URL_IAM: iam.emulator.endpoint,
    AWS_ACCESS_KEY_ID: 'AKIDHOMEACCOUNT',
    AWS_SECRET_ACCESS_KEY: 'home-secret',
    AWS_REGION: 'us-east-1',
  });
});

afterAll(async () => {
  await iam.stop();
  await new Promise((resolve) => sts.close(resolve));
});

describe('liveIamSource', () => {
  it('a plane with applierRoleArn acts with the assumed role, one AssumeRole for many calls; a plane without uses the own credentials', async () => {
    assumed.length = 0;
    const source = liveIamSource();

    const otherRole = await (await source(other)).getRole('acme-userflyterole');
    const again = await (await source(other)).getRole('acme-userflyterole');
    const homeRole = await (await source(home)).getRole('acme-userflyterole');

    expect(otherRole?.arn).toBe(`arn:aws:iam::${OTHER}:role/acme-userflyterole`);
    expect(again?.arn).toBe(otherRole?.arn);
    expect(homeRole?.arn).toBe(`arn:aws:iam::${HOME}:role/acme-userflyterole`);
    expect(assumed).toEqual([
      expect.objectContaining({ Action: 'AssumeRole', RoleArn: ROLE_ARN, RoleSessionName: 'grantplane-applier' }),
    ]);
  });

  it("the drift check's source assumes the plane's read-only twin <applierRoleArn>-drift, never the applier's role", async () => {
    assumed.length = 0;
    const source = liveIamSource('drift');

    const role = await (await source(other)).getRole('acme-userflyterole');

    expect(role?.arn).toBe(`arn:aws:iam::${OTHER}:role/acme-userflyterole`);
    expect(assumed).toEqual([
      expect.objectContaining({
        Action: 'AssumeRole',
        RoleArn: `${ROLE_ARN}-drift`,
        RoleSessionName: 'grantplane-drift',
      }),
    ]);
  });

  it('assumes the role again five minutes before the credentials expire', async () => {
    assumed.length = 0;
    lifetimeMs = 10 * 60_000;
    let now = Date.now();
    const gateways = makeAssumedRoleGateways(new STSClient({ endpoint: stsEndpoint, region: 'us-east-1' }), {
      now: () => now,
      client: { endpoint: iam.emulator.endpoint, region: 'us-east-1' },
    });

    await gateways(ROLE_ARN);
    now += 4 * 60_000;
    await gateways(ROLE_ARN);
    expect(assumed).toHaveLength(1);
    now += 2 * 60_000; // 6 minutes in: within 5 minutes of the 10-minute expiry
    const renewed = await gateways(ROLE_ARN);

    expect(assumed).toHaveLength(2);
    expect((await renewed.getRole('acme-userflyterole'))?.arn).toBe(`arn:aws:iam::${OTHER}:role/acme-userflyterole`);
    lifetimeMs = 60 * 60_000;
  });
});
