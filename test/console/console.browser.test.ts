// The web console (docs/console.md) in a real browser: Debian's Chromium driven by playwright-core
// against `npm start`'s stack. Alice asks for access through the API; Bob signs in, sees her request
// with its effect in words, approves it with a comment, watches it become active, and finds the
// pair's uctl update on the targets page. Screenshots of each page go to test-artifacts/console/.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_JWT_SECRET } from '../../lib/local/dev-jwt-secret.js';
import { mintLocalToken } from '../../lib/local/jwt.js';
import { chromiumPath } from '../helpers/chromium.js';
import { startE2eStack, type E2eStack } from '../helpers/local-stack.js';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/console/', import.meta.url));
const alice = mintLocalToken({ sub: 'alice', roles: ['requester', 'approver'] }, DEV_JWT_SECRET);
const bob = mintLocalToken({ sub: 'bob', roles: ['approver'] }, DEV_JWT_SECRET);

let e2e: E2eStack;
let browser: Browser;

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

const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

async function signIn(page: Page, token: string): Promise<void> {
  await page.goto(`${e2e.stack.url}/console`);
  await page.getByLabel('Bearer token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).press('Enter');
}

describe('the console in Chromium (docs/console.md)', () => {
  it('Bob signs in, sees Alice’s request and its effect, approves it, watches it become active, and sees the uctl update', async () => {
    const submitted = await e2e.call('POST', '/v1/grants', alice, {
      dataPlane: 'prod',
      scope: { type: 'project-domain', project: 'flytesnacks', domain: 'staging' },
      resource: { type: 's3', bucket: 'acme-ml-data', prefix: 'team-a/', access: 'read' },
      justification: 'training jobs read features',
    });
    expect(submitted.status).toBe(201);
    const id = String(submitted.json.id);
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

    // The applier (stream → IAM emulator) makes it active; the page shows it on reload.
    await expect
      .poll(
        async () => {
          await page.reload();
          return page.locator('#status').textContent();
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe('active');
    const timeline = await page.locator('#timeline').textContent();
    expect(timeline).toContain('bob: grant.approved → approved (ok for the training jobs)');
    await shot(page, '4-active');

    // The pair's target: its role, its policy and the uctl update waiting to be run.
    await page.getByRole('link', { name: 'Targets' }).click();
    const target = page.locator('table.targets tr', { hasText: 'flytesnacks/staging' });
    await target.waitFor();
    expect(await target.textContent()).toContain('acme-flytesnacks-staging');
    expect(await target.textContent()).toContain('pending: uctl update cluster-resource-attribute');
    await shot(page, '5-targets');

    await page.getByRole('link', { name: 'Drift' }).click();
    await page.getByRole('heading', { name: 'Drift' }).waitFor();
    await page.getByRole('link', { name: 'Held removals' }).click();
    await page.getByText('Nothing is held.').waitFor();
    expect(failures).toEqual([]);
    await page.close();
  });

  it('Alice, an approver too, cannot decide on her own request: the buttons are disabled and say why (self-approval, as in the API)', async () => {
    const submitted = await e2e.call('POST', '/v1/grants', alice, {
      dataPlane: 'prod',
      scope: { type: 'project-domain', project: 'flytesnacks', domain: 'production' },
      resource: { type: 's3', bucket: 'acme-ml-data', prefix: 'team-b/', access: 'read' },
      justification: 'batch scoring',
    });
    expect(submitted.status, JSON.stringify(submitted.json)).toBe(201);
    const page = await browser.newPage();
    await signIn(page, alice);
    await page.goto(`${e2e.stack.url}/console/index.html#/grants/${String(submitted.json.id)}`);
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
