import { afterEach, describe, expect, it } from 'vitest';
import { CallCounter } from '../../src/microsoft/call-counter.js';
import { DefenderClient } from '../../src/microsoft/defender-client.js';
import { ENDPOINTS } from '../../src/microsoft/endpoints.js';
import { MicrosoftApiError } from '../../src/microsoft/errors.js';
import { GraphClient } from '../../src/microsoft/graph-client.js';
import { ApiClient, createDispatcher, retryAfterMs } from '../../src/microsoft/http.js';
import { Pacer } from '../../src/microsoft/pacing.js';
import { sendJson, startHttpsServer, type TestServer } from './https-server.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Tokens `t1`, `t2`… : a new one after each invalidate (a 401). */
function tokenSource() {
  let n = 1;
  return { getToken: async () => `t${n}`, invalidate: () => void n++ };
}

function client(api: 'graph' | 'defender', ca: string, base: string, quotas = {}) {
  const delays: number[] = [];
  const counter = new CallCounter();
  const http = new ApiClient({
    api,
    base,
    tokens: tokenSource(),
    pacer: new Pacer(quotas),
    counter,
    dispatcher: createDispatcher(ca),
    retry: { maxRetries: 3, timeoutMs: 2_000 },
    sleep: async (ms) => void delays.push(ms),
  });
  return { http, delays, counter };
}

describe('HTTP policy over real TLS', () => {
  it('retries 429 honouring Retry-After seconds, and 503 with backoff', async () => {
    server = await startHttpsServer((_req, res, i) => {
      if (i === 0)
        return sendJson(
          res,
          429,
          { error: { code: '429', message: 'quota' } },
          { 'retry-after': '7' },
        );
      if (i === 1) return sendJson(res, 503, { error: { code: 'ServiceUnavailable' } });
      sendJson(res, 200, { value: [{ id: 'org' }] });
    });
    const { http, delays, counter } = client('graph', server.ca, server.url);
    const graph = new GraphClient(http, server.url);
    expect((await graph.organization()).id).toBe('org');
    expect(server.requests).toHaveLength(3);
    expect(delays[0]).toBe(7_000);
    // Second attempt: capped exponential step 2 s, half of it jittered.
    expect(delays[1]).toBeGreaterThanOrEqual(1_000);
    expect(delays[1]).toBeLessThanOrEqual(2_000);
    expect(counter.byLabel['graph GET /organization']).toBe(3);
    // Only the 429 counts as throttled (the metrics' 429s per endpoint), not the 503.
    expect(counter.throttledByLabel).toEqual({ 'graph GET /organization': 1 });
  });

  it('gives up after maxRetries with a typed THROTTLED error', async () => {
    server = await startHttpsServer((_req, res) =>
      sendJson(res, 429, {
        error: {
          code: '429',
          message: 'API calls quota exceeded! You can send requests again in 3 seconds.',
        },
      }),
    );
    const { http, delays } = client('defender', server.ca, server.url);
    const defender = new DefenderClient(http, server.url);
    const error = await defender.machineLogonUsers('m1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MicrosoftApiError);
    expect(error).toMatchObject({ code: 'THROTTLED', status: 429, api: 'defender' });
    expect(server.requests).toHaveLength(4);
    expect(delays).toEqual([3_000, 3_000, 3_000]);
  });

  it('renews the token once on 401', async () => {
    server = await startHttpsServer((req, res) =>
      req.headers.authorization === 'Bearer t2'
        ? sendJson(res, 200, { value: [] })
        : sendJson(res, 401, { error: { code: 'Unauthorized' } }),
    );
    const { http } = client('defender', server.ca, server.url);
    expect(await new DefenderClient(http, server.url).machineLogonUsers('m1')).toEqual([]);
    expect(server.requests.map((r) => r.authorization)).toEqual(['Bearer t1', 'Bearer t2']);
  });

  it('turns 403 into FORBIDDEN naming the permission to grant, without retrying', async () => {
    server = await startHttpsServer((_req, res) =>
      sendJson(res, 403, {
        error: {
          code: 'Forbidden',
          message: 'Missing application roles. API required roles: Vulnerability.Read.All',
        },
      }),
    );
    const { http } = client('defender', server.ca, server.url);
    const pages = new DefenderClient(http, server.url).machinesVulnerabilities();
    const error = (await pages.next().catch((e: unknown) => e)) as MicrosoftApiError;
    expect(error.code).toBe('FORBIDDEN');
    expect(error.permission).toBe('Vulnerability.Read.All');
    expect(error.endpoint).toBe('defender GET /api/vulnerabilities/machinesVulnerabilities');
    expect(error.message).toContain(
      'Grant the WindowsDefenderATP application permission Vulnerability.Read.All',
    );
    expect(server.requests).toHaveLength(1);
  });

  it('retries a network failure (connection reset) and then succeeds', async () => {
    server = await startHttpsServer((req, res, i) => {
      if (i === 0) return req.socket.destroy();
      sendJson(res, 200, { value: [] });
    });
    const { http, delays } = client('defender', server.ca, server.url);
    expect(await new DefenderClient(http, server.url).machineLogonUsers('m1')).toEqual([]);
    expect(server.requests).toHaveLength(2);
    expect(delays).toHaveLength(1);
  });

  it('refuses a server whose certificate is not signed by the configured CA', async () => {
    server = await startHttpsServer((_req, res) => sendJson(res, 200, { value: [] }));
    const other = await startHttpsServer(() => undefined);
    const { http } = client('defender', other.ca, server.url);
    await other.close();
    const error = (await new DefenderClient(http, server.url)
      .machineLogonUsers('m1')
      .catch((e: unknown) => e)) as MicrosoftApiError;
    expect(error.code).toBe('NETWORK');
    expect(server.requests).toHaveLength(0);
  });

  it('parses Retry-After as seconds, HTTP date, or the Defender text', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs('2', '', now)).toBe(2_000);
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:05 GMT', '', now)).toBe(5_000);
    expect(retryAfterMs(undefined, 'You can send requests again in 8 seconds.', now)).toBe(8_000);
    expect(retryAfterMs(undefined, 'nothing', now)).toBeUndefined();
  });
});

describe('paging over real TLS', () => {
  it('Defender: follows "more" signals with client-built $skip, never the nextLink text', async () => {
    const rows = Array.from({ length: 25 }, (_, i) => ({ id: `m${i}` }));
    server = await startHttpsServer((req, res) => {
      const skip = Number(/\$skip=(\d+)/.exec(req.url ?? '')?.[1] ?? 0);
      const page = rows.slice(skip, skip + 10);
      const more = skip + 10 < rows.length;
      // A mangled nextLink like the one in MicrosoftDocs #8316: must not be followed literally.
      sendJson(res, 200, {
        value: page,
        ...(more ? { '@odata.nextLink': `${server!.url}/api/machines?=x&=10000` } : {}),
      });
    });
    const { http, counter } = client('defender', server.ca, server.url);
    const seen: string[] = [];
    for await (const page of new DefenderClient(http, `${server.url}`).machines())
      seen.push(...page.map((m) => m.id));
    expect(seen).toEqual(rows.map((r) => r.id));
    expect(server.requests.map((r) => r.url)).toEqual([
      '/api/machines',
      // Each next page starts one row early, to see whether rows moved meanwhile.
      '/api/machines?$skip=9',
      '/api/machines?$skip=18',
    ]);
    expect(counter.byLabel[ENDPOINTS.machines.label]).toBe(3);
  });

  it('Graph: requests every nextLink unchanged and refuses one off the Graph origin', async () => {
    server = await startHttpsServer((req, res) => {
      const url = req.url ?? '';
      if (url.startsWith('/v1.0/users?$top=999')) {
        return sendJson(res, 200, {
          value: [{ id: 'u1' }],
          '@odata.nextLink': `${server!.url}/v1.0/users?$skiptoken=abc%27`,
        });
      }
      if (url === '/v1.0/users?$skiptoken=abc%27')
        return sendJson(res, 200, { value: [{ id: 'u2' }] });
      if (url.startsWith('/v1.0/groups?')) {
        return sendJson(res, 200, {
          value: [{ id: 'g1' }],
          '@odata.nextLink': 'https://attacker.example/v1.0/groups?$skiptoken=x',
        });
      }
      sendJson(res, 404, {});
    });
    const { http } = client('graph', server.ca, server.url);
    const graph = new GraphClient(http, server.url);
    const users: string[] = [];
    for await (const page of graph.users()) users.push(...page.map((u) => u.id));
    expect(users).toEqual(['u1', 'u2']);
    expect(server.requests[0]!.url).toContain('$select=id,displayName');
    expect(server.requests[0]!.url).toContain('accountEnabled');
    const groups = graph.groups();
    await groups.next();
    const error = (await groups.next().catch((e: unknown) => e)) as MicrosoftApiError;
    expect(error.code).toBe('OFF_ORIGIN');
    expect(error.message).toBe(
      `graph GET /groups: refused to send the token to https://attacker.example, outside the configured Microsoft Graph base ${server.url}`,
    );
    expect(server.requests.some((r) => r.url.includes('attacker'))).toBe(false);
  });
});
