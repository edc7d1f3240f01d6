// GET /console, /console/{file} (docs/console.md): the approver's web console, static files served
// by the API itself — no third-party host, no framework. The files lie beside this module
// (functions/http/console/); the bundle carries them in its folder. No token: the pages hold none
// of the data, which they fetch from the API with the signed-in user's token.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

// Node's own modules through process.getBuiltinModule, not `import`: an ESM import of a builtin
// builds its module namespace at load, which measured 1.5 ms of this 2 KiB function's 5.4 ms cold
// import (npm run bench -- cold-import); the modules themselves are loaded already.
const { readFileSync } = process.getBuiltinModule('node:fs');
const { dirname, join } = process.getBuiltinModule('node:path');
const { fileURLToPath } = process.getBuiltinModule('node:url');

const FOLDER = join(dirname(fileURLToPath(import.meta.url)), 'console');

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

/** The files the console is made of; nothing else is served (config.json is made per request). */
export const CONSOLE_FILES = ['index.html', 'app.js', 'style.css'] as const;

/** How the console signs people in: the deployment's OIDC issuer, or (locally) a pasted token. */
export type ConsoleSignIn = { signIn: 'oidc'; issuer: string; clientId: string; scope: string } | { signIn: 'token' };

/** From GRANTPLANE_CONSOLE_ISSUER / _CLIENT_ID / _SCOPE (the stack sets them from jwtIssuer). */
export function consoleSignIn(env: NodeJS.ProcessEnv = process.env): ConsoleSignIn {
  const issuer = env.GRANTPLANE_CONSOLE_ISSUER ?? '';
  const clientId = env.GRANTPLANE_CONSOLE_CLIENT_ID ?? '';
  if (issuer === '' || clientId === '') return { signIn: 'token' };
  return {
    signIn: 'oidc',
    issuer: issuer.replace(/\/+$/, ''),
    clientId,
    scope: env.GRANTPLANE_CONSOLE_SCOPE || 'openid',
  };
}

/**
 * The pages talk to this API only (and, to sign in, to the issuer's origin); scripts and styles
 * come from this folder only.
 */
const securityHeaders = (signIn: ConsoleSignIn) => ({
  'Content-Security-Policy': `default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'${signIn.signIn === 'oidc' ? ` ${new URL(signIn.issuer).origin}` : ''}; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
});

const cache = new Map<string, string>();

const read = (file: string): string => {
  let text = cache.get(file);
  if (text === undefined) cache.set(file, (text = readFileSync(join(FOLDER, file), 'utf8')));
  return text;
};

/** A 404 in the API's error shape (problem+json, `route.not-found`), naming what the console serves. */
const notFound = (what: string, signIn: ConsoleSignIn): APIGatewayProxyStructuredResultV2 => {
  const detail = `${what} is not part of the console: it serves ${[...CONSOLE_FILES, 'config.json'].join(', ')}`;
  return {
    statusCode: 404,
    headers: { 'Content-Type': 'application/problem+json', ...securityHeaders(signIn) },
    body: JSON.stringify({
      type: 'urn:grantplane:problem:route.not-found',
      title: 'Not Found',
      status: 404,
      detail,
      errors: [{ path: 'file', code: 'route.not-found', message: detail }],
    }),
  };
};

/** The console's Lambda: /console and /console/index.html serve its page, /console/<file> its other files. */
export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  const signIn = consoleSignIn();
  if (event.requestContext.http.method !== 'GET') return notFound(event.rawPath, signIn);
  const file = event.pathParameters?.['file'] ?? 'index.html';
  const headers = { 'Cache-Control': 'no-cache', ...securityHeaders(signIn) };
  if (file === 'config.json')
    return {
      statusCode: 200,
      headers: { 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify(signIn),
    };
  if (!(CONSOLE_FILES as readonly string[]).includes(file)) return notFound(`/console/${file}`, signIn);
  const type = TYPES[file.slice(file.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
  return { statusCode: 200, headers: { 'Content-Type': type, ...headers }, body: read(file) };
};
