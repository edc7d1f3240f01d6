// The console's files as its handler serves them (docs/console.md): small, from this origin only,
// nothing else served.
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONSOLE_FILES, consoleSignIn, handler } from '../../functions/http/console.js';
import { apiEvent } from './events.js';

const FOLDER = fileURLToPath(new URL('../../functions/http/console/', import.meta.url));

const get = async (path: string) => {
  const result = await handler(apiEvent({ method: 'GET', path }));
  return result as { statusCode: number; headers: Record<string, string>; body: string };
};

describe('GET /console (functions/http/console.ts)', () => {
  it('is well under 200 KB all told (issue: "a small, fast page set")', () => {
    const bytes = CONSOLE_FILES.reduce((sum, file) => sum + statSync(`${FOLDER}${file}`).size, 0);
    expect(bytes).toBeLessThan(200 * 1024);
  });

  it('serves its page at /console and /console/index.html, its script and style with their types', async () => {
    const page = await get('/console');
    expect(page.statusCode).toBe(200);
    expect((await get('/console/index.html')).body).toBe(page.body);
    expect((await get('/console/app.js')).headers['Content-Type']).toBe('text/javascript; charset=utf-8');
    expect((await get('/console/style.css')).headers['Content-Type']).toBe('text/css; charset=utf-8');
  });

  it('talks to no other host: a self-only Content-Security-Policy, and no URL of another host in its files', async () => {
    for (const file of CONSOLE_FILES) {
      const answer = await get(`/console/${file}`);
      expect(answer.headers['Content-Security-Policy']).toMatch(
        /default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'/,
      );
      expect(answer.body).not.toMatch(/https?:\/\//);
    }
  });

  it('config.json says how to sign in: a pasted token locally, the issuer with PKCE when deployed (whose origin the CSP then allows)', async () => {
    expect(JSON.parse((await get('/console/config.json')).body)).toEqual({ signIn: 'token' });
    const env = {
      GRANTPLANE_CONSOLE_ISSUER: 'https://login.example.com/oauth2/default/',
      GRANTPLANE_CONSOLE_CLIENT_ID: 'console',
    };
    expect(consoleSignIn(env)).toEqual({
      signIn: 'oidc',
      issuer: 'https://login.example.com/oauth2/default',
      clientId: 'console',
      scope: 'openid',
    });
    Object.assign(process.env, env);
    try {
      const answer = await get('/console/config.json');
      expect(JSON.parse(answer.body)).toMatchObject({ signIn: 'oidc', clientId: 'console' });
      expect(answer.headers['Content-Security-Policy']).toContain("connect-src 'self' https://login.example.com;");
    } finally {
      delete process.env.GRANTPLANE_CONSOLE_ISSUER;
      delete process.env.GRANTPLANE_CONSOLE_CLIENT_ID;
    }
  });

  it('serves nothing else: another name is a 404 that lists what it serves', async () => {
    const answer = await get('/console/..%2Fconsole.ts');
    expect(answer.statusCode).toBe(404);
    expect(answer.body).toContain('index.html, app.js, style.css');
  });
});
