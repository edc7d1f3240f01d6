// Azure from AWS without a secret (docs/gcp-azure.md "Credentials"): the client assertion is a web
// identity token from AWS STS ("Getting started with outbound identity federation"), minted with
// the real @aws-sdk/client-sts against the STS stand-in, reused until shortly before it expires.
import { STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stsWebIdentityAssertion } from '../../lib/adapters/azure/aws-federation.js';
import { azureCredential, CloudClientsError } from '../../lib/wiring/cloud-clients.js';
import { startIdentityProviders, type IdentityProviders } from '../helpers/identity-providers.js';

const ROLE = 'arn:aws:iam::123456789012:role/grantplane-applier';
let identity: IdentityProviders;
let sts: STSClient;

beforeAll(async () => {
  identity = await startIdentityProviders({
    roleArn: ROLE,
    accessKeyId: 'AKIDFEDERATION',
    googleAudience: '//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/aws',
    googleServiceAccount: 'grantplane@acme-admin.iam.gserviceaccount.com',
    entraTenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
    entraClientId: '3c7d9a2e-1f4b-4e8a-9b6c-5d0e2f1a7b84',
  });
  sts = new STSClient({
    endpoint: identity.stsEndpoint,
    region: 'us-west-2',
    credentials: { accessKeyId: 'AKIDFEDERATION', secretAccessKey: 'secret' },
  });
});

afterAll(async () => {
  sts.destroy();
  await identity.close();
});

const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

describe('the STS-signed client assertion', () => {
  it("is for Entra ID's token exchange audience and names the function's role; one token serves until a minute before it expires", async () => {
    let now = Date.now();
    const assertion = stsWebIdentityAssertion(sts, { now: () => now });
    const first = await assertion();
    expect(claimsOf(first)).toMatchObject({ aud: 'api://AzureADTokenExchange', sub: ROLE, iss: identity.stsIssuer });
    expect(Number(claimsOf(first)['exp']) - Number(claimsOf(first)['iat'])).toBe(300);
    expect(await assertion()).toBe(first);
    const minted = () => identity.log.filter((entry) => entry.service === 'sts' && entry.issued).length;
    expect(minted()).toBe(1);
    now += 241_000; // 59 s left of 300: renewed
    expect(await assertion()).not.toBe(first);
    expect(minted()).toBe(2);
  });

  it('a refusal by STS (outbound federation not enabled, wrong credentials) is the SDK error, not a token', async () => {
    const stranger = new STSClient({
      endpoint: identity.stsEndpoint,
      region: 'us-west-2',
      credentials: { accessKeyId: 'AKIDSTRANGER', secretAccessKey: 'secret' },
    });
    await expect(stsWebIdentityAssertion(stranger)()).rejects.toMatchObject({ name: 'InvalidClientTokenId' });
    stranger.destroy();
  });
});

describe('choosing the Azure credential from the environment', () => {
  it('GRANTPLANE_AZURE_FEDERATION=aws needs the tenant and client ids, and names what is missing', () => {
    expect(() => azureCredential({ GRANTPLANE_AZURE_FEDERATION: 'aws', AZURE_CLIENT_ID: 'c' })).toThrow(
      new CloudClientsError(
        "GRANTPLANE_AZURE_FEDERATION=aws needs AZURE_TENANT_ID: the Microsoft Entra tenant and the application (client) id whose federated credential trusts this function's role",
      ),
    );
    expect(() => azureCredential({ GRANTPLANE_AZURE_FEDERATION: 'gcp' })).toThrow(
      /^GRANTPLANE_AZURE_FEDERATION=gcp is not known; set it to "aws"/,
    );
    expect(
      azureCredential({ GRANTPLANE_AZURE_FEDERATION: 'aws', AZURE_TENANT_ID: 't', AZURE_CLIENT_ID: 'c' }).constructor
        .name,
    ).toBe('ClientAssertionCredential');
    expect(azureCredential({}).constructor.name).toBe('DefaultAzureCredential');
  });
});
