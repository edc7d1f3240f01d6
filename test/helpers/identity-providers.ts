// The identity services a deployed function federates through, on loopback, speaking each one's
// wire format for the calls the SDKs make (docs/gcp-azure.md "Credentials"):
// - AWS STS GetWebIdentityToken ("Understanding token claims", AWS IAM User Guide): the query
//   protocol, a SigV4-signed request in, an RS256 JWT out (`sub` the caller's role ARN);
// - Google's Security Token Service token exchange and IAM Credentials generateAccessToken
//   ("Configure workload identity federation with AWS or Azure"): the subject token is a signed
//   GetCallerIdentity request, serialized as google-auth-library's AWS client does;
// - Microsoft Entra ID's v2.0 token endpoint for client credentials with a client assertion
//   ("Workload identity federation"), over HTTPS with the stand-ins' certificate (MSAL refuses a
//   plain-HTTP authority), and the tenant's OpenID configuration MSAL reads first.
// Each checks what the real service checks and refuses the rest with that service's error shape;
// the access tokens it issues are what the GCP and ARM stand-ins are told to accept.
import { createHash, generateKeyPairSync, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { STAND_IN_CA as STAND_IN_CERT, STAND_IN_KEY } from '../../lib/local/cloud/arm-authorization-server.js';
import { bearerToken, closeServer, readBody } from '../../lib/local/cloud/wire.js';

export interface IdentityProvidersOptions {
  /** The ARN STS puts in `sub`: the role the calling function runs as. */
  roleArn: string;
  /** The access key id the function signs with (its SigV4 `Credential=`). */
  accessKeyId: string;
  /** The Google workload identity provider's audience (`//iam.googleapis.com/projects/…/providers/…`). */
  googleAudience: string;
  /** The service account the federated principal may impersonate. */
  googleServiceAccount: string;
  /** The Entra tenant and the application whose federated credential trusts `roleArn`. */
  entraTenantId: string;
  entraClientId: string;
}

export interface IdentityProviders {
  /** For AWS_ENDPOINT_URL_STS. */
  stsEndpoint: string;
  /** The `iss` of the tokens STS signs (the account's issuer URL). */
  stsIssuer: string;
  /** The credential configuration's token_url and service_account_impersonation_url. */
  googleTokenUrl: string;
  googleImpersonationUrl: string;
  /** For AZURE_AUTHORITY_HOST. */
  entraAuthorityHost: string;
  /** Whether a bearer token is one the provider issued and that has not expired. */
  googleIssued(token: string): boolean;
  entraIssued(token: string): boolean;
  /** Every exchange, in order: which service, and whether it issued. */
  log: { service: 'sts' | 'google-sts' | 'google-iamcredentials' | 'entra'; issued: boolean; why?: string }[];
  close(): Promise<void>;
}

const base64url = (value: Buffer | string) => Buffer.from(value).toString('base64url');

function signJwt(key: KeyObject, kid: string, claims: Record<string, unknown>): string {
  const head = `${base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid }))}.${base64url(JSON.stringify(claims))}`;
  return `${head}.${sign('sha256', Buffer.from(head), key).toString('base64url')}`;
}

/** The claims of an RS256 JWT signed by `key`, or why it is not one. */
function verifiedClaims(token: string, key: KeyObject): Record<string, unknown> | string {
  const [head, body, signature] = token.split('.');
  if (head === undefined || body === undefined || signature === undefined) return 'not a JWT';
  const header = JSON.parse(Buffer.from(head, 'base64url').toString('utf8')) as { alg?: string };
  if (header.alg !== 'RS256') return `alg ${String(header.alg)}`;
  if (!verify('sha256', Buffer.from(`${head}.${body}`), key, Buffer.from(signature, 'base64url')))
    return 'signature does not verify';
  return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
}

const sendJson = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

const SIGV4 = (accessKeyId: string, service: string) =>
  new RegExp(
    `^AWS4-HMAC-SHA256 Credential=${accessKeyId}/\\d{8}/[a-z0-9-]+/${service}/aws4_request, SignedHeaders=\\S+, Signature=[0-9a-f]{64}$`,
  );

export async function startIdentityProviders(options: IdentityProvidersOptions): Promise<IdentityProviders> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);
  const log: IdentityProviders['log'] = [];
  const issued = {
    google: new Map<string, number>(),
    googleFederated: new Map<string, number>(),
    entra: new Map<string, number>(),
  };
  let stsIssuer = '';
  let entraHost = '';

  const refuse = (service: IdentityProviders['log'][number]['service'], why: string) => {
    log.push({ service, issued: false, why });
    return why;
  };

  // ── AWS STS and Google (plain HTTP: their clients take any endpoint) ──
  const http = createHttpServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method === 'POST' && url.pathname === '/') return awsSts(req, res, new URLSearchParams(body));
      if (req.method === 'POST' && url.pathname === '/v1/token') return googleSts(res, new URLSearchParams(body));
      const impersonate = /^\/v1\/projects\/-\/serviceAccounts\/([^/:]+):generateAccessToken$/.exec(url.pathname);
      if (req.method === 'POST' && impersonate) return googleImpersonate(req, res, decodeURIComponent(impersonate[1]!));
      sendJson(res, 404, { error: { code: 404, message: `no route ${req.method} ${url.pathname}` } });
    })().catch((error: unknown) => sendJson(res, 500, { error: { message: String(error) } }));
  });

  const awsSts = (req: IncomingMessage, res: ServerResponse, params: URLSearchParams) => {
    const fault = (code: string, message: string, status = 400) => {
      refuse('sts', `${code}: ${message}`);
      res.writeHead(status, { 'content-type': 'text/xml' });
      res.end(
        `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
      );
    };
    if (!SIGV4(options.accessKeyId, 'sts').test(String(req.headers.authorization ?? '')))
      return fault('InvalidClientTokenId', 'The security token included in the request is invalid.', 403);
    if (params.get('Action') !== 'GetWebIdentityToken')
      return fault('InvalidAction', `Could not find operation ${params.get('Action')}`);
    const audiences = [...params.keys()].filter((k) => /^Audience\.member\.\d+$/.test(k)).map((k) => params.get(k)!);
    if (audiences.length === 0)
      return fault('ValidationError', "1 validation error detected: Value null at 'audience'");
    const algorithm = params.get('SigningAlgorithm');
    if (algorithm !== 'RS256' && algorithm !== 'ES384')
      return fault('ValidationError', `SigningAlgorithm ${String(algorithm)} is not RS256 or ES384`);
    const duration = Number(params.get('DurationSeconds') ?? 300);
    if (!(duration >= 60 && duration <= 3600)) return fault('ValidationError', 'DurationSeconds must be 60 to 3600');
    const iat = Math.floor(Date.now() / 1000);
    const token = signJwt(privateKey, kid, {
      iss: stsIssuer,
      aud: audiences.length === 1 ? audiences[0] : audiences,
      sub: options.roleArn,
      iat,
      nbf: iat,
      exp: iat + duration,
      jti: randomUUID(),
      'https://sts.amazonaws.com/': {
        aws_account: /::(\d{12}):/.exec(options.roleArn)?.[1],
        principal_id: options.roleArn,
      },
    });
    log.push({ service: 'sts', issued: true });
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end(
      `<GetWebIdentityTokenResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetWebIdentityTokenResult>` +
        `<WebIdentityToken>${token}</WebIdentityToken><Expiration>${new Date((iat + duration) * 1000).toISOString()}</Expiration>` +
        `</GetWebIdentityTokenResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></GetWebIdentityTokenResponse>`,
    );
  };

  // Google STS (RFC 8693 token exchange): the subject token is the AWS GetCallerIdentity request.
  const googleSts = (res: ServerResponse, params: URLSearchParams) => {
    const invalid = (description: string) =>
      sendJson(res, 400, { error: 'invalid_request', error_description: refuse('google-sts', description) });
    if (params.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:token-exchange')
      return invalid(`grant_type ${params.get('grant_type')}`);
    if (params.get('audience') !== options.googleAudience) return invalid(`audience ${params.get('audience')}`);
    if (params.get('subject_token_type') !== 'urn:ietf:params:aws:token-type:aws4_request')
      return invalid(`subject_token_type ${params.get('subject_token_type')}`);
    let request: { url?: string; method?: string; headers?: { key: string; value: string }[] };
    try {
      request = JSON.parse(decodeURIComponent(params.get('subject_token') ?? '')) as typeof request;
    } catch {
      return invalid('subject_token is not a serialized AWS request');
    }
    const header = (name: string) => request.headers?.find((h) => h.key.toLowerCase() === name)?.value ?? '';
    if (
      request.method !== 'POST' ||
      !/^https:\/\/sts\.[a-z0-9-]+\.amazonaws\.com\?Action=GetCallerIdentity&Version=2011-06-15$/.test(
        request.url ?? '',
      )
    )
      return invalid(`subject_token is ${request.method} ${request.url}, not GetCallerIdentity`);
    if (header('x-goog-cloud-target-resource') !== options.googleAudience)
      return invalid('subject_token is not bound to this provider (x-goog-cloud-target-resource)');
    if (!SIGV4(options.accessKeyId, 'sts').test(header('authorization')))
      return invalid('subject_token is not signed by the trusted AWS principal');
    const token = `ya29.federated-${randomUUID()}`;
    issued.googleFederated.set(token, Date.now() + 3600_000);
    log.push({ service: 'google-sts', issued: true });
    sendJson(res, 200, {
      access_token: token,
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      token_type: 'Bearer',
      expires_in: 3600,
    });
  };

  const googleImpersonate = async (req: IncomingMessage, res: ServerResponse, account: string) => {
    const bearer = bearerToken(req) ?? '';
    if ((issued.googleFederated.get(bearer) ?? 0) < Date.now())
      return sendJson(res, 401, {
        error: { code: 401, status: 'UNAUTHENTICATED', message: refuse('google-iamcredentials', 'no federated token') },
      });
    if (account !== options.googleServiceAccount)
      return sendJson(res, 403, {
        error: {
          code: 403,
          status: 'PERMISSION_DENIED',
          message: refuse(
            'google-iamcredentials',
            `Permission 'iam.serviceAccounts.getAccessToken' denied on ${account}`,
          ),
        },
      });
    const token = `ya29.impersonated-${randomUUID()}`;
    issued.google.set(token, Date.now() + 3600_000);
    log.push({ service: 'google-iamcredentials', issued: true });
    sendJson(res, 200, { accessToken: token, expireTime: new Date(Date.now() + 3600_000).toISOString() });
  };

  // ── Microsoft Entra ID (HTTPS) ──
  const https = createHttpsServer({ cert: STAND_IN_CERT, key: STAND_IN_KEY }, (req, res) => {
    void (async () => {
      const body = await readBody(req);
      const url = new URL(req.url ?? '/', 'https://localhost');
      const tenant = options.entraTenantId;
      if (req.method === 'GET' && url.pathname === `/${tenant}/v2.0/.well-known/openid-configuration`)
        return sendJson(res, 200, {
          issuer: `${entraHost}/${tenant}/v2.0`,
          authorization_endpoint: `${entraHost}/${tenant}/oauth2/v2.0/authorize`,
          token_endpoint: `${entraHost}/${tenant}/oauth2/v2.0/token`,
          end_session_endpoint: `${entraHost}/${tenant}/oauth2/v2.0/logout`,
          jwks_uri: `${entraHost}/${tenant}/discovery/v2.0/keys`,
          response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        });
      if (req.method === 'POST' && url.pathname === `/${tenant}/oauth2/v2.0/token`)
        return entraToken(res, new URLSearchParams(body));
      sendJson(res, 404, { error: 'not_found', error_description: `no route ${req.method} ${url.pathname}` });
    })().catch((error: unknown) => sendJson(res, 500, { error: 'server_error', error_description: String(error) }));
  });

  const entraToken = (res: ServerResponse, params: URLSearchParams) => {
    // AADSTS error shapes: invalid_client for the assertion, unauthorized_client for the app.
    const fail = (error: string, description: string) =>
      sendJson(res, 400, { error, error_description: refuse('entra', description), error_codes: [700213] });
    if (params.get('grant_type') !== 'client_credentials')
      return fail('unsupported_grant_type', String(params.get('grant_type')));
    if (params.get('client_id') !== options.entraClientId)
      return fail('unauthorized_client', `AADSTS700016: Application ${params.get('client_id')} was not found`);
    if (params.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
      return fail('invalid_request', 'AADSTS7000218: client_assertion or client_secret required');
    const claims = verifiedClaims(params.get('client_assertion') ?? '', publicKey);
    if (typeof claims === 'string') return fail('invalid_client', `AADSTS700211: assertion ${claims}`);
    const audiences = ([] as unknown[]).concat(claims['aud']);
    if (claims['iss'] !== stsIssuer)
      return fail(
        'invalid_client',
        `AADSTS700211: No matching federated identity record for issuer ${String(claims['iss'])}`,
      );
    if (!audiences.includes('api://AzureADTokenExchange'))
      return fail(
        'invalid_client',
        `AADSTS700212: No matching federated identity record for audience ${audiences.join(',')}`,
      );
    if (claims['sub'] !== options.roleArn)
      return fail(
        'invalid_client',
        `AADSTS700213: No matching federated identity record found for presented assertion subject '${String(claims['sub'])}'`,
      );
    if (Number(claims['exp']) * 1000 < Date.now())
      return fail('invalid_client', 'AADSTS700024: Client assertion is not within its valid time range');
    const token = `eyJ.entra-${randomUUID()}`;
    issued.entra.set(token, Date.now() + 3600_000);
    log.push({ service: 'entra', issued: true });
    sendJson(res, 200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token });
  };

  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
  const httpBase = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  entraHost = `https://127.0.0.1:${(https.address() as AddressInfo).port}`;
  stsIssuer = `${httpBase}/issuer`;
  const valid = (map: Map<string, number>) => (token: string) => (map.get(token) ?? 0) > Date.now();
  return {
    stsEndpoint: httpBase,
    stsIssuer,
    googleTokenUrl: `${httpBase}/v1/token`,
    googleImpersonationUrl: `${httpBase}/v1/projects/-/serviceAccounts/${options.googleServiceAccount}:generateAccessToken`,
    entraAuthorityHost: entraHost,
    googleIssued: valid(issued.google),
    entraIssued: valid(issued.entra),
    log,
    close: async () => {
      await Promise.all([closeServer(http)(), closeServer(https)()]);
    },
  };
}
