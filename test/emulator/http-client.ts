import { ClientSecretCredential } from '@azure/identity';
import { decodeJwt } from 'jose';
import { request } from 'undici';
import type { EmulatorOptions } from '../../src/emulator/server.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';

/** A real HTTPS client for the conformance tests: undici trusting the emulator's CA, nothing mocked. */

export interface Response<T = Record<string, unknown>> {
  status: number;
  headers: Record<string, string>;
  body: T;
  text: string;
}

export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';
export const DEFENDER_SCOPE = 'https://api.securitycenter.microsoft.com/.default';

export async function call<T = Record<string, unknown>>(
  t: TestEmulator,
  pathOrUrl: string,
  options: {
    token?: string;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
  } = {},
): Promise<Response<T>> {
  const url = pathOrUrl.startsWith('https://') ? pathOrUrl : `${t.emulator.url}${pathOrUrl}`;
  const res = await request(url, {
    method: (options.method ?? 'GET') as 'GET',
    dispatcher: t.dispatcher,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: options.body,
  });
  const text = await res.body.text();
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers))
    headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.statusCode, headers, body: body as T, text };
}

/** POSTs a form to the token endpoint, as MSAL does. */
export function tokenRequest(
  t: TestEmulator,
  form: Record<string, string>,
  options: { tenant?: string; v1?: boolean; headers?: Record<string, string> } = {},
) {
  const tenant = options.tenant ?? t.emulator.tenantId;
  return call(t, `/${tenant}/oauth2/${options.v1 ? 'token' : 'v2.0/token'}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...options.headers },
    body: new URLSearchParams(form).toString(),
  });
}

/** A token from the real @azure/identity client, configured as the collector will be. */
export async function tokenFor(t: TestEmulator, scope: string, secret?: string): Promise<string> {
  const credential = new ClientSecretCredential(
    t.emulator.tenantId,
    t.emulator.clientId,
    secret ?? t.emulator.clientSecret,
    { authorityHost: t.emulator.url, disableInstanceDiscovery: true, tlsOptions: { ca: t.ca } },
  );
  const token = await credential.getToken(scope);
  return token.token;
}

/** An emulator and a token for one API, as most conformance suites start. */
export async function startWithToken(
  overrides: Partial<EmulatorOptions>,
  scope: string,
): Promise<{ t: TestEmulator; token: string }> {
  const t = await startTestEmulator(overrides);
  return { t, token: await tokenFor(t, scope) };
}

export function claimsOf(token: string): Record<string, unknown> {
  return decodeJwt(token) as Record<string, unknown>;
}

/** Follows `@odata.nextLink` to the end, returning every item and the number of pages. */
export async function listAll<T = Record<string, unknown>>(
  t: TestEmulator,
  path: string,
  token: string,
  headers: Record<string, string> = {},
): Promise<{ items: T[]; pages: number; links: string[] }> {
  const items: T[] = [];
  const links: string[] = [];
  let next: string | undefined = path;
  let pages = 0;
  while (next !== undefined) {
    const res: Response = await call(t, next, { token, headers });
    if (res.status !== 200) throw new Error(`GET ${next}: ${res.status} ${res.text}`);
    items.push(...(res.body.value as T[]));
    pages++;
    next = res.body['@odata.nextLink'] as string | undefined;
    if (next !== undefined) links.push(next);
  }
  return { items, pages, links };
}
