// The web console (docs/console.md) in a real browser: Debian's Chromium driven by playwright-core
// against `npm start`'s stack. Alice asks for access through the API; Bob signs in, sees her request
// with its effect in words, approves it with a comment, watches it become active, and finds the
// pair's uctl update on the targets page. Screenshots of each page go to test-artifacts/console/.
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeDocumentClient } from '../../lib/adapters/dynamodb/client.js';
import { makeDynamoStores } from '../../lib/adapters/dynamodb/stores.js';
import { DEV_JWT_SECRET } from '../../lib/local/dev-jwt-secret.js';
import { mintLocalToken } from '../../lib/local/jwt.js';
import { chromiumPath } from '../helpers/chromium.js';
import { startE2eStack, type E2eStack } from '../helpers/local-stack.js';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/console/', import.meta.url));
const alice = mintLocalToken({ sub: 'alice', roles: ['requester', 'approver'] }, DEV_JWT_SECRET);
const bob = mintLocalToken({ sub: 'bob', roles: ['approver'] }, DEV_JWT_SECRET);

let e2e: E2eStack;
let browser: Browser;

// A browser drives each page: on a loaded 2-core CI machine a walk through several pages takes
// longer than the suite's 30 s default.
vi.setConfig({ testTimeout: 90_000 });

beforeAll(async () => {
  const executablePath = chromiumPath();
  [e2e, browser] = await Promise.all([
    startE2eStack(),
    // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
    chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-dev-shm-usage'] }),
  ]);
  mkdirSync(ARTIFACTS, { recursive: true });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await e2e?.stop();
});

/** Keeps a screenshot of the page, after checking it shows no unfilled value. */
async function shot(page: Page, name: string): Promise<void> {
  expect(await page.locator('main').innerText(), name).not.toMatch(/\b(null|undefined|NaN)\b|\[object Object\]/);
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Alice asks through the API for read access to a prefix of acme-ml-data from one flytesnacks domain. */
async function aliceRequests(domain: string, prefix: string, justification: string): Promise<string> {
  const submitted = await e2e.call('POST', '/v1/grants', alice, {
    dataPlane: 'prod',
    scope: { type: 'project-domain', project: 'flytesnacks', domain },
    resource: { type: 's3', bucket: 'acme-ml-data', prefix, access: 'read' },
    justification,
  });
  expect(submitted.status, JSON.stringify(submitted.json)).toBe(201);
  return String(submitted.json.id);
}

async function signIn(page: Page, token: string): Promise<void> {
  await page.goto(`${e2e.stack.url}/console`);
  await page.getByLabel('Bearer token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).press('Enter');
}

describe('the console in Chromium (docs/console.md)', () => {
  it('Bob signs in, sees Alice’s request and its effect, approves it, watches it become active, and sees the uctl update', async () => {
    const id = await aliceRequests('staging', 'team-a/', 'training jobs read features');
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const failures: string[] = [];
    page.on('pageerror', (error) => failures.push(String(error)));
    page.on('requestfailed', (request) => failures.push(`${request.url()} ${request.failure()?.errorText ?? ''}`));

    await page.goto(`${e2e.stack.url}/console`);
    await shot(page, '1-sign-in');
    await signIn(page, bob);

    // The request waiting for Bob: requester, justification, and a link to it.
    const row = page.locator('#pending tbody tr', { hasText: id });
    await row.waitFor();
    expect(await row.textContent()).toContain('alice');
    expect(await row.textContent()).toContain('training jobs read features');
    await shot(page, '2-waiting');

    // Its page: the compiled effect in words, then the decision.
    await row.getByRole('link', { name: id }).click();
    const effect = page.locator('#effect-access');
    await effect.waitFor();
    expect(await effect.textContent()).toContain('allows s3:GetObject on arn:aws:s3:::acme-ml-data/team-a/*');
    expect(await page.locator('#effect').textContent()).toMatch(/A new target: role acme-flytesnacks-staging/);
    expect(await page.locator('#quota').textContent()).toMatch(
      /^Quota: 1 policy of the role's own, \d+ of 6,144 policy characters\.$/,
    );
    await shot(page, '3-request');
    await page.getByLabel('Comment (kept in the audit trail)').fill('ok for the training jobs');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.locator('#status', { hasText: /^(approved|active)$/ }).waitFor();

    // The applier (stream → IAM emulator) makes it active; the page follows it there by itself.
    await page.locator('#status', { hasText: /^active$/ }).waitFor({ timeout: 30_000 });
    expect(await page.locator('#following').count()).toBe(0);
    const timeline = await page.locator('#timeline').textContent();
    expect(timeline).toContain('bob: grant.approved → approved (ok for the training jobs)');
    await shot(page, '4-active');

    // A pull from another account's repository (infrastructure access: global) needs that repository's policy too: approved
    // through the API, it shows beside the targets as an infrastructure update.
    const pull = await e2e.call('POST', '/v1/grants', alice, {
      dataPlane: 'prod',
      scope: { type: 'global' },
      resource: { type: 'ecr', repositoryArn: 'arn:aws:ecr:us-west-2:210987654321:repository/shared-models' },
      justification: 'pull the shared model images',
    });
    expect(pull.status, JSON.stringify(pull.json)).toBe(201);
    expect((await e2e.call('POST', `/v1/grants/${String(pull.json.id)}/approve`, bob, {})).status).toBe(200);

    // The pair's target: its role, its policy and the uctl update waiting to be run.
    await page.getByRole('link', { name: 'Targets' }).click();
    const target = page.locator('table.targets tr', { hasText: 'flytesnacks/staging' });
    await target.waitFor();
    expect(await target.textContent()).toContain('acme-flytesnacks-staging');
    expect(await target.textContent()).toContain('pending: uctl update cluster-resource-attribute');
    const repository = page.locator('table.infrastructure tr', { hasText: 'repository/shared-models' });
    await repository.waitFor();
    expect(await repository.textContent()).toMatch(/210987654321.*set the repository policy.*pending/);
    await shot(page, '5-targets');

    await page.getByRole('link', { name: 'Drift' }).click();
    await page.getByText('No drift check has run yet').waitFor();
    await shot(page, '6-drift');
    await page.getByRole('link', { name: 'Held removals' }).click();
    await page.getByText('Nothing is held.').waitFor();
    expect(failures).toEqual([]);
    await page.close();
  });

  it('works from the keyboard alone: Tab to the token and Sign in, to the request, to the comment and Approve', async () => {
    const id = await aliceRequests('staging', 'team-k/', 'keyboard only');
    const page = await browser.newPage();
    /** Presses Tab until the focused element matches, as a keyboard user would (at most 40 times). */
    const tabTo = async (matches: (element: { id: string; text: string; tag: string }) => boolean, what: string) => {
      for (let presses = 0; presses < 40; presses += 1) {
        await page.keyboard.press('Tab');
        // A string: this file is compiled without the DOM library; the expression runs in the page.
        const focused = (await page.evaluate(
          "({ id: document.activeElement?.id ?? '', text: document.activeElement?.textContent?.trim() ?? '', tag: document.activeElement?.tagName ?? '' })",
        )) as { id: string; text: string; tag: string };
        if (matches(focused)) return;
      }
      throw new Error(`Tab never reached ${what}`);
    };
    await page.goto(`${e2e.stack.url}/console`);
    await tabTo((f) => f.id === 'token', 'the token field');
    await page.keyboard.insertText(bob); // pasted, as people enter a token
    await tabTo((f) => f.tag === 'BUTTON' && f.text === 'Sign in', 'Sign in');
    await page.keyboard.press('Enter');
    await page.locator('#pending tbody tr', { hasText: id }).waitFor();
    await tabTo((f) => f.tag === 'A' && f.text === id, `the link to ${id}`);
    await page.keyboard.press('Enter');
    await page.locator('#effect-access').waitFor();
    await tabTo((f) => f.id === 'comment', 'the comment');
    await page.keyboard.type('approved from the keyboard');
    await tabTo((f) => f.id === 'approve', 'Approve');
    await page.keyboard.press('Enter');
    await page.locator('#status', { hasText: /^(approved|active)$/ }).waitFor();
    await page.close();
  });

  it('shows a held change with what each target would lose, and the release button to admins only (A6)', async () => {
    // A hold as the blast-radius guard writes it, through the stack's own store.
    const client = new DynamoDBClient({
      endpoint: e2e.stack.dynamoEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const holds = makeDynamoStores(makeDocumentClient(client), e2e.stack.tableName).holds;
    const scope = (project: string) => ({ type: 'project-domain' as const, project, domain: 'staging' });
    await holds.putHold({
      dataPlane: 'prod',
      heldAt: '2026-12-04T10:00:00.000Z',
      updatedAt: '2026-12-04T10:00:00.000Z',
      planeVersion: 1_000_000,
      targetsWithAccess: 4,
      targets: ['alpha', 'beta', 'gamma'].map((project) => ({
        targetKey: `prod#${project}#staging`,
        scope: scope(project),
        removedCount: 1,
        removed: [`s3:GetObject on arn:aws:s3:::acme-${project}-data/*`],
        proposedHash: 'h',
      })),
    });
    try {
      const admin = mintLocalToken({ sub: 'carol', roles: ['admin'] }, DEV_JWT_SECRET);
      const page = await browser.newPage();
      // The list of pending requests answers late: leaving that page first, its answer must not
      // paint over the page the admin went to.
      await page.route('**/v1/grants?status=pending-approval*', async (route) => {
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        await route.continue();
      });
      const late = page.waitForResponse('**/v1/grants?status=pending-approval*');
      await signIn(page, admin);
      await page.getByRole('link', { name: 'Held removals' }).click();
      const held = page.locator('#held');
      await held.waitFor();
      await late;
      await page.waitForTimeout(200); // the late answer's page would have rendered by now
      expect(await held.isVisible()).toBe(true);
      await page.unroute('**/v1/grants?status=pending-approval*');
      expect(await held.textContent()).toContain('would take access from 3 of the 4 targets that have access');
      expect(await held.textContent()).toContain(
        'beta/staging loses 1 access: s3:GetObject on arn:aws:s3:::acme-beta-data/*',
      );
      await page.getByRole('button', { name: 'Release the change on prod' }).waitFor();
      await shot(page, '7-held');
      await page.getByRole('button', { name: 'Sign out' }).click();
      await signIn(page, bob);
      await page.getByRole('link', { name: 'Held removals' }).click();
      await page.getByText('An admin releases it.', { exact: true }).waitFor();
      expect(await page.getByRole('button', { name: /^Release/ }).count()).toBe(0);
      await page.close();
    } finally {
      await holds.deleteHold('prod');
      client.destroy();
    }
  });

  it('Alice, an approver too, cannot decide on her own request: the buttons are disabled and say why (self-approval, as in the API)', async () => {
    const id = await aliceRequests('production', 'team-b/', 'batch scoring');
    const page = await browser.newPage();
    await signIn(page, alice);
    await page.goto(`${e2e.stack.url}/console/index.html#/grants/${id}`);
    await page
      .getByRole('button', { name: 'Approve' })
      .waitFor({ timeout: 10_000 })
      .catch(async (error: unknown) => {
        throw new Error(`${String(error)}\n${await page.locator('main').innerText()}`);
      });
    expect(await page.getByRole('button', { name: 'Approve' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Reject' }).isDisabled()).toBe(true);
    await page.getByText('This is your own request: another approver decides on it.').waitFor();
    await page.close();
  });
});

/**
 * A stand-in OIDC issuer for the authorization code + PKCE flow: discovery, an authorization page
 * with one "Sign in as bob" button, and a token endpoint that checks the code, the redirect URI
 * and the verifier against the S256 challenge before it answers a token the local stack accepts.
 */
async function standInIssuer() {
  const codes = new Map<string, { challenge: string; clientId: string; redirectUri: string }>();
  const exchanges: { verified: boolean; clientId: string }[] = [];
  let origin = '';
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', origin);
    const cors = { 'Access-Control-Allow-Origin': '*' };
    if (url.pathname === '/.well-known/openid-configuration') {
      response.writeHead(200, { 'Content-Type': 'application/json', ...cors });
      response.end(
        JSON.stringify({
          issuer: origin,
          authorization_endpoint: `${origin}/authorize`,
          token_endpoint: `${origin}/token`,
        }),
      );
      return;
    }
    if (url.pathname === '/authorize') {
      const code = randomUUID();
      codes.set(code, {
        challenge: url.searchParams.get('code_challenge') ?? '',
        clientId: url.searchParams.get('client_id') ?? '',
        redirectUri: url.searchParams.get('redirect_uri') ?? '',
      });
      const back = new URL(url.searchParams.get('redirect_uri') ?? '');
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      response.writeHead(200, { 'Content-Type': 'text/html' });
      response.end(
        `<!doctype html><title>Stand-in IdP</title><a href="${back.href.replace(/&/g, '&amp;')}">Sign in as bob</a>`,
      );
      return;
    }
    if (url.pathname === '/token' && request.method === 'POST') {
      let text = '';
      request.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      request.on('end', () => {
        const form = new URLSearchParams(text);
        const issued = codes.get(form.get('code') ?? '');
        codes.delete(form.get('code') ?? '');
        const challenge = createHash('sha256')
          .update(form.get('code_verifier') ?? '')
          .digest('base64url');
        const verified =
          issued !== undefined &&
          form.get('grant_type') === 'authorization_code' &&
          issued.challenge === challenge &&
          issued.redirectUri === form.get('redirect_uri') &&
          issued.clientId === form.get('client_id');
        exchanges.push({ verified, clientId: form.get('client_id') ?? '' });
        response.writeHead(verified ? 200 : 400, { 'Content-Type': 'application/json', ...cors });
        response.end(
          JSON.stringify(
            verified
              ? { access_token: bob, token_type: 'Bearer', expires_in: 3600 }
              : { error: 'invalid_grant', error_description: 'code, redirect_uri or code_verifier does not match' },
          ),
        );
      });
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, exchanges, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe("signing in with the deployment's issuer: authorization code + PKCE (docs/console.md)", () => {
  it('the console sends Bob to the issuer, trades the code and its verifier for a token, and shows his pages', async () => {
    const issuer = await standInIssuer();
    process.env.GRANTPLANE_CONSOLE_ISSUER = issuer.origin;
    process.env.GRANTPLANE_CONSOLE_CLIENT_ID = 'grantplane-console';
    try {
      const page = await browser.newPage();
      await page.goto(`${e2e.stack.url}/console`);
      await page.getByRole('button', { name: `Sign in with ${new URL(issuer.origin).host}` }).click();
      await page.getByRole('link', { name: 'Sign in as bob' }).click();
      await page.getByText('Signed in as bob (approver)').waitFor();
      await page.getByRole('heading', { name: 'Waiting for approval' }).waitFor();
      expect(issuer.exchanges).toEqual([{ verified: true, clientId: 'grantplane-console' }]);
      // The code is gone from the address bar, and the token is the page's, not the URL's.
      expect(page.url()).toBe(`${e2e.stack.url}/console/index.html`);
      await shot(page, '0-signed-in-with-issuer');
      await page.close();
    } finally {
      delete process.env.GRANTPLANE_CONSOLE_ISSUER;
      delete process.env.GRANTPLANE_CONSOLE_CLIENT_ID;
      await issuer.close();
    }
  });
});
