import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { call, DEFENDER_SCOPE, GRAPH_SCOPE, tokenFor, tokenRequest } from './http-client.js';

type Item = Record<string, unknown>;

let t: TestEmulator;
let graphToken: string;
let defenderToken: string;

beforeAll(async () => {
  t = await startTestEmulator({ users: 250 });
  graphToken = await tokenFor(t, GRAPH_SCOPE);
  defenderToken = await tokenFor(t, DEFENDER_SCOPE);
});
afterEach(async () => {
  await t.clearFaults();
});
afterAll(async () => {
  await t.close();
});

describe('injected faults', () => {
  it('rate429 answers 429 with Retry-After in each API’s own envelope', async () => {
    await t.setFaults({ rate429: 1, retryAfterSeconds: 3 });
    const graph = await call(t, '/graph/v1.0/users', { token: graphToken });
    expect([graph.status, graph.headers['retry-after'], (graph.body.error as Item).code]).toEqual([
      429,
      '3',
      'TooManyRequests',
    ]);
    const defender = await call(t, '/defender/api/machines', { token: defenderToken });
    expect([
      defender.status,
      defender.headers['retry-after'],
      (defender.body.error as Item).code,
    ]).toEqual([429, '3', '429']);
    const identity = await tokenRequest(t, {
      grant_type: 'client_credentials',
      client_id: t.emulator.clientId,
      client_secret: t.emulator.clientSecret,
      scope: GRAPH_SCOPE,
    });
    expect([identity.status, identity.headers['retry-after']]).toEqual([429, '3']);
    expect(identity.text).not.toContain(t.emulator.clientSecret);
  });

  it('rate5xx answers 503 on Graph and the token endpoint, 500 on Defender', async () => {
    await t.setFaults({ rate5xx: 1 });
    const graph = await call(t, '/graph/v1.0/users', { token: graphToken });
    expect([graph.status, (graph.body.error as Item).code]).toEqual([503, 'serviceNotAvailable']);
    const defender = await call(t, '/defender/api/machines', { token: defenderToken });
    expect([defender.status, (defender.body.error as Item).code]).toEqual([
      500,
      'InternalServerError',
    ]);
    const identity = await tokenRequest(t, {
      grant_type: 'client_credentials',
      client_id: t.emulator.clientId,
      client_secret: t.emulator.clientSecret,
      scope: GRAPH_SCOPE,
    });
    expect([identity.status, identity.body.error]).toEqual([503, 'temporarily_unavailable']);
  });

  it('latencyMs holds the answer back (a client with a shorter timeout gives up)', async () => {
    await t.setFaults({ latencyMs: 3000 });
    await expect(
      request(`${t.emulator.url}/graph/v1.0/organization`, {
        dispatcher: t.dispatcher,
        headers: { authorization: `Bearer ${graphToken}` },
        headersTimeout: 300,
      }),
    ).rejects.toThrow(/timeout/i);
    await t.clearFaults();
    const res = await request(`${t.emulator.url}/graph/v1.0/organization`, {
      dispatcher: t.dispatcher,
      headers: { authorization: `Bearer ${graphToken}` },
      headersTimeout: 300,
    });
    expect(res.statusCode).toBe(200);
    await res.body.text();
  });

  it('resetRate destroys the connection without an answer, and stats count it as "reset"', async () => {
    await t.resetStats();
    await t.setFaults({ resetRate: 1 });
    await expect(call(t, '/defender/api/machines', { token: defenderToken })).rejects.toThrow();
    await t.clearFaults();
    expect((await t.stats()).requests['GET /defender/api/machines']).toEqual({ reset: 1 });
  });

  it('expireGraphPageTokens makes a followed nextLink fail with Directory_ExpiredPageToken', async () => {
    const first = await call(t, '/graph/v1.0/users', { token: graphToken });
    const nextLink = first.body['@odata.nextLink'] as string;
    expect(nextLink).toContain('$skiptoken=');
    await t.setFaults({ expireGraphPageTokens: true });
    const expired = await call(t, nextLink, { token: graphToken });
    expect(expired.status).toBe(400);
    expect(expired.body.error).toMatchObject({
      code: 'Directory_ExpiredPageToken',
      message:
        'The specified page token value has expired and can no longer be included in your request.',
    });
    // A fresh listing (no token) still works.
    expect((await call(t, '/graph/v1.0/users', { token: graphToken })).status).toBe(200);
  });

  it('revokePermissions drops roles from new tokens and refuses issued ones on Graph', async () => {
    await t.setFaults({ revokePermissions: ['User.Read.All', 'Directory.Read.All'] });
    const denied = await call(t, '/graph/v1.0/users', { token: graphToken });
    expect(denied.status).toBe(403);
    expect(denied.body.error).toMatchObject({
      code: 'Authorization_RequestDenied',
      message: 'Insufficient privileges to complete the operation.',
    });
    expect((await call(t, '/graph/v1.0/groups', { token: graphToken })).status).toBe(200);
    const fresh = await tokenRequest(t, {
      grant_type: 'client_credentials',
      client_id: t.emulator.clientId,
      client_secret: t.emulator.clientSecret,
      scope: GRAPH_SCOPE,
    });
    const roles = JSON.parse(
      Buffer.from(String(fresh.body.access_token).split('.')[1]!, 'base64url').toString(),
    ).roles as string[];
    expect(roles).not.toContain('User.Read.All');
    expect(roles).not.toContain('Directory.Read.All');
    expect(roles).toContain('Group.Read.All');
  });

  it('revokes a role of one API only when prefixed with the API', async () => {
    await t.setFaults({ revokePermissions: ['defender:User.Read.All'] });
    const machineId = (await t.truth()).machines![0]!;
    const logons = await call(t, `/defender/api/machines/${machineId}/logonusers`, {
      token: defenderToken,
    });
    expect(logons.status).toBe(403);
    expect((logons.body.error as Item).message).toBe(
      'Missing application roles. API required roles: User.Read.All',
    );
    expect((await call(t, '/graph/v1.0/users', { token: graphToken })).status).toBe(200);
  });

  it('scopes faults to path prefixes', async () => {
    await t.setFaults({ rate5xx: 1, paths: ['/defender/api/machines'] });
    expect((await call(t, '/defender/api/machines', { token: defenderToken })).status).toBe(500);
    expect((await call(t, '/defender/api/vulnerabilities', { token: defenderToken })).status).toBe(
      200,
    );
    expect((await call(t, '/graph/v1.0/organization', { token: graphToken })).status).toBe(200);
  });

  it('is deterministic: the same settings replay the same sequence of outcomes', async () => {
    const run = async () => {
      await t.setFaults({ rate429: 0.3, rate5xx: 0.2 });
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++)
        statuses.push(
          (await call(t, '/defender/api/machines?$top=1', { token: defenderToken })).status,
        );
      return statuses;
    };
    const first = await run();
    expect(first).toEqual(await run());
    expect(new Set(first)).toEqual(new Set([200, 429, 500]));
  });

  it('refuses an invalid fault body naming the field, and never faults the admin API', async () => {
    const bad = await call(t, '/admin/faults', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rate429: 2 }),
    });
    expect(bad.status).toBe(400);
    expect((bad.body.error as Item).message).toContain("'rate429'");
    const unknown = await call(t, '/admin/faults', {
      method: 'POST',
      body: JSON.stringify({ rate4xx: 1 }),
    });
    expect(unknown.status).toBe(400);
    await t.setFaults({ rate5xx: 1 });
    expect((await t.truth({ lists: false })).counts.users).toBe(250);
    const current = await call(t, '/admin/faults');
    expect(current.body).toEqual({ faults: { rate5xx: 1 } });
  });

  it('refuses an invalid value of a new knob naming its nested field', async () => {
    const bad = await call(t, '/admin/faults', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ malformed: { kind: 'value-banana' } }),
    });
    expect(bad.status).toBe(400);
    expect((bad.body.error as Item).message).toMatch(/^Invalid fault field 'malformed\.kind': /);
  });

  it('the same seed and settings break the same pages (a malformed share replays identically)', async () => {
    const run = async () => {
      await t.setFaults({ malformed: { kind: 'value-null', rate: 0.5 } });
      const values: unknown[] = [];
      for (let i = 0; i < 12; i++)
        values.push(
          (await call(t, '/defender/api/machines?$top=1', { token: defenderToken })).body.value,
        );
      return values.map((v) => (v === null ? 'broken' : 'page'));
    };
    const first = await run();
    expect(first).toEqual(await run());
    expect(new Set(first)).toEqual(new Set(['broken', 'page']));
  });
});
