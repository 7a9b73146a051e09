import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ClientCertificateCredential, ClientSecretCredential } from '@azure/identity';
import { importJWK, jwtVerify, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ROLES } from '../../src/emulator/applications.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import {
  call,
  claimsOf,
  DEFENDER_SCOPE,
  GRAPH_SCOPE,
  tokenFor,
  tokenRequest,
} from './http-client.js';

let t: TestEmulator;

beforeAll(async () => {
  t = await startTestEmulator();
});
afterAll(async () => {
  await t.close();
});

const secretForm = (overrides: Record<string, string> = {}) => ({
  grant_type: 'client_credentials',
  client_id: t.emulator.clientId,
  client_secret: t.emulator.clientSecret,
  scope: GRAPH_SCOPE,
  ...overrides,
});

describe('token endpoint: success', () => {
  it('issues a signed v1.0 JWT to @azure/identity ClientSecretCredential with the app roles', async () => {
    const token = await tokenFor(t, GRAPH_SCOPE);
    const claims = claimsOf(token);
    expect(claims).toMatchObject({
      aud: 'https://graph.microsoft.com',
      iss: `https://sts.windows.net/${t.emulator.tenantId}/`,
      tid: t.emulator.tenantId,
      appid: t.emulator.clientId,
      appidacr: '1',
      ver: '1.0',
    });
    expect(claims.roles).toEqual(DEFAULT_ROLES.graph);
    expect((claims.exp as number) - (claims.iat as number)).toBe(3599);
    expect(claims.nbf).toBe(claims.iat);
  });

  it('issues Defender tokens with the Defender roles', async () => {
    const claims = claimsOf(await tokenFor(t, DEFENDER_SCOPE));
    expect(claims.aud).toBe('https://api.securitycenter.microsoft.com');
    expect(claims.roles).toEqual(DEFAULT_ROLES.defender);
  });

  it('accepts a certificate credential (ClientCertificateCredential with the registered certificate)', async () => {
    const credential = new ClientCertificateCredential(
      t.emulator.tenantId,
      t.emulator.clientId,
      { certificatePath: t.emulator.clientCertificateFile },
      { authorityHost: t.emulator.url, disableInstanceDiscovery: true, tlsOptions: { ca: t.ca } },
    );
    const claims = claimsOf((await credential.getToken(DEFENDER_SCOPE)).token);
    expect(claims.appid).toBe(t.emulator.clientId);
    expect(claims.appidacr).toBe('2');
  });

  it('answers the v2 body with numbers and the v1 body with strings', async () => {
    const v2 = await tokenRequest(t, secretForm());
    expect(v2.status).toBe(200);
    expect(Object.keys(v2.body).sort()).toEqual([
      'access_token',
      'expires_in',
      'ext_expires_in',
      'token_type',
    ]);
    expect(v2.body.expires_in).toBe(3599);
    expect(v2.headers['x-ms-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(v2.headers['cache-control']).toBe('no-store, no-cache');

    const v1Form: Record<string, string> = secretForm({
      resource: 'https://api.securitycenter.microsoft.com',
    });
    delete v1Form.scope;
    const v1 = await tokenRequest(t, v1Form, { v1: true });
    expect(v1.status).toBe(200);
    expect(v1.body.expires_in).toBe('3599');
    expect(v1.body.resource).toBe('https://api.securitycenter.microsoft.com');
    expect(Number(v1.body.expires_on) - Number(v1.body.not_before)).toBe(3599);
    expect(claimsOf(v1.body.access_token as string).aud).toBe(
      'https://api.securitycenter.microsoft.com',
    );
  });

  it('accepts client_secret_basic (id and secret in Authorization: Basic)', async () => {
    const basic = Buffer.from(
      `${encodeURIComponent(t.emulator.clientId)}:${encodeURIComponent(t.emulator.clientSecret)}`,
    ).toString('base64');
    const res = await tokenRequest(
      t,
      { grant_type: 'client_credentials', scope: GRAPH_SCOPE },
      { headers: { authorization: `Basic ${basic}` } },
    );
    expect(res.status).toBe(200);
    expect(claimsOf(res.body.access_token as string).appid).toBe(t.emulator.clientId);
  });

  it('refuses a body over 1 MiB with 413', async () => {
    const res = await tokenRequest(t, secretForm({ padding: 'x'.repeat(1_100_000) }));
    expect(res.status).toBe(413);
  });

  it('accepts the tenant by its verified domain and routes on the path only', async () => {
    const org = (
      await call(t, '/graph/v1.0/organization', { token: await tokenFor(t, GRAPH_SCOPE) })
    ).body.value as { verifiedDomains: { name: string }[] }[];
    const domain = org[0]!.verifiedDomains[0]!.name;
    const res = await call(t, `/${domain}/oauth2/v2.0/token?client-request-id=abc`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(secretForm()).toString(),
    });
    expect(res.status).toBe(200);
  });

  it('tokens verify against the served JWKS, and discovery points at the emulator', async () => {
    const oidc = await call(t, `/${t.emulator.tenantId}/v2.0/.well-known/openid-configuration`);
    expect(oidc.status).toBe(200);
    expect(oidc.body.token_endpoint).toBe(
      `${t.emulator.url}/${t.emulator.tenantId}/oauth2/v2.0/token`,
    );
    expect(oidc.body.issuer).toBe(`${t.emulator.url}/${t.emulator.tenantId}/v2.0`);
    const jwks = await call<{ keys: JWK[] }>(t, new URL(oidc.body.jwks_uri as string).pathname);
    const key = await importJWK(jwks.body.keys[0]!, 'RS256');
    const { payload, protectedHeader } = await jwtVerify(await tokenFor(t, GRAPH_SCOPE), key);
    expect(protectedHeader.kid).toBe(jwks.body.keys[0]!.kid);
    expect(payload.tid).toBe(t.emulator.tenantId);

    const instance = await call(
      t,
      `/common/discovery/instance?api-version=1.1&authorization_endpoint=${t.emulator.url}/${t.emulator.tenantId}/oauth2/v2.0/authorize`,
    );
    expect(instance.body.tenant_discovery_endpoint).toBe(
      `${t.emulator.url}/${t.emulator.tenantId}/v2.0/.well-known/openid-configuration`,
    );
    expect(instance.body['api-version']).toBe('1.1');
  });
});

describe('token endpoint: errors carry the real status, error and AADSTS code', () => {
  const cases: [
    string,
    () => Promise<Awaited<ReturnType<typeof tokenRequest>>>,
    number,
    string,
    number,
  ][] = [
    [
      'malformed tenant',
      () => tokenRequest(t, secretForm(), { tenant: 'abc123testing' }),
      400,
      'invalid_request',
      900023,
    ],
    [
      'unknown tenant',
      () => tokenRequest(t, secretForm(), { tenant: '11111111-2222-3333-4444-555555555555' }),
      400,
      'invalid_request',
      90002,
    ],
    [
      'wrong secret',
      () => tokenRequest(t, secretForm({ client_secret: 'not-the-secret' })),
      401,
      'invalid_client',
      7000215,
    ],
    [
      'expired secret',
      () =>
        tokenRequest(
          t,
          secretForm({
            client_id: t.emulator.expiredSecretApp.clientId,
            client_secret: t.emulator.expiredSecretApp.clientSecret,
          }),
        ),
      401,
      'invalid_client',
      7000222,
    ],
    [
      'unknown application',
      () => tokenRequest(t, secretForm({ client_id: '99999999-8888-7777-6666-555555555555' })),
      400,
      'unauthorized_client',
      700016,
    ],
    [
      'no secret and no assertion',
      () => {
        const form: Record<string, string> = secretForm();
        delete form.client_secret;
        return tokenRequest(t, form);
      },
      401,
      'invalid_client',
      7000218,
    ],
    [
      'scope without /.default',
      () => tokenRequest(t, secretForm({ scope: 'User.Read.All' })),
      400,
      'invalid_scope',
      1002012,
    ],
    [
      'missing scope',
      () => {
        const form: Record<string, string> = secretForm();
        delete form.scope;
        return tokenRequest(t, form);
      },
      400,
      'invalid_request',
      900144,
    ],
    [
      'unsupported grant type',
      () => tokenRequest(t, secretForm({ grant_type: 'password' })),
      400,
      'unsupported_grant_type',
      70003,
    ],
    [
      'unknown resource',
      () => tokenRequest(t, secretForm({ scope: 'https://example.invalid/.default' })),
      400,
      'invalid_resource',
      500011,
    ],
  ];

  it.each(cases)('%s', async (_name, send, status, error, code) => {
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.body.error).toBe(error);
    expect(res.body.error_codes).toEqual([code]);
    expect(res.body.error_description).toMatch(
      new RegExp(`^AADSTS${code}: .+ Trace ID: \\S+ Correlation ID: \\S+ Timestamp: `),
    );
    expect(res.body.timestamp).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z$/);
    expect(res.body.trace_id).toBe(res.headers['x-ms-request-id']);
    expect(res.headers['x-ms-clitelem']).toBe(`1,${code},0,,`);
    expect(res.text).not.toContain(t.emulator.clientSecret);
  });

  it('copies x-ms-client-request-id into correlation_id', async () => {
    const res = await tokenRequest(t, secretForm({ client_secret: 'wrong' }), {
      headers: { 'x-ms-client-request-id': 'c0ffee00-0000-4000-8000-000000000001' },
    });
    expect(res.body.correlation_id).toBe('c0ffee00-0000-4000-8000-000000000001');
  });

  it('surfaces through @azure/identity with the AADSTS code', async () => {
    const credential = new ClientSecretCredential(
      t.emulator.tenantId,
      t.emulator.clientId,
      'wrong-secret',
      {
        authorityHost: t.emulator.url,
        disableInstanceDiscovery: true,
        tlsOptions: { ca: t.ca },
      },
    );
    await expect(credential.getToken(GRAPH_SCOPE)).rejects.toThrow(/7000215/);
  });

  it('refuses a client assertion signed by another key (700027) or outside its time range (700024)', async () => {
    const endpoint = `${t.emulator.url}/${t.emulator.tenantId}/oauth2/v2.0/token`;
    const assertion = async (key: ReturnType<typeof createPrivateKey>, exp: number) =>
      new SignJWT({ aud: endpoint, iss: t.emulator.clientId, sub: t.emulator.clientId, jti: 'x' })
        .setProtectedHeader({ alg: 'RS256' })
        .setIssuedAt()
        .setNotBefore(exp - 600)
        .setExpirationTime(exp)
        .sign(key);
    const form = (jwt: string) => ({
      grant_type: 'client_credentials',
      client_id: t.emulator.clientId,
      scope: GRAPH_SCOPE,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: jwt,
    });
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const future = Math.floor(Date.now() / 1000) + 600;
    const wrongKey = await tokenRequest(t, form(await assertion(other, future)));
    expect([wrongKey.status, wrongKey.body.error_codes]).toEqual([401, [700027]]);

    const registered = createPrivateKey(readFileSync(t.emulator.clientCertificateFile, 'utf8'));
    const expired = await tokenRequest(
      t,
      // Expired beyond Entra's five minutes of tolerated clock skew.
      form(await assertion(registered, Math.floor(Date.now() / 1000) - 600)),
    );
    expect([expired.status, expired.body.error_codes]).toEqual([401, [700024]]);

    const good = await tokenRequest(t, form(await assertion(registered, future)));
    expect(good.status).toBe(200);
    // The registered certificate in the file is the one the emulator checks against.
    expect(new X509Certificate(readFileSync(t.emulator.clientCertificateFile)).subject).toContain(
      'emulated app',
    );
  });
});
