import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HuntingCpuQuota } from '../../src/emulator/quotas.js';
import type { TestEmulator } from '../support/emulator.js';
import { call, claimsOf, DEFENDER_SCOPE, startWithToken } from './http-client.js';

type Item = Record<string, unknown>;

const RUN = '/defender/api/advancedqueries/run';

const SUMMARY = [
  'DeviceLogonEvents',
  '| where Timestamp > ago(30d) and ActionType == "LogonSuccess"',
  '| summarize FirstSeen = min(Timestamp), LastSeen = max(Timestamp), LogonTypes = make_set(LogonType), AccountSid = max(AccountSid), IsLocalAdmin = max(toint(IsLocalAdmin)) by DeviceId, AccountDomain, AccountName',
  '| order by DeviceId asc, AccountDomain asc, AccountName asc',
].join('\n');

function hunt(t: TestEmulator, token: string, query: string) {
  return call<Item>(t, RUN, {
    method: 'POST',
    token,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ Query: query }),
  });
}

describe('Advanced Hunting in the emulator (§4.12)', () => {
  let t: TestEmulator;
  let token: string;
  beforeAll(async () => {
    ({ t, token } = await startWithToken(
      { machines: 12, logonUsersPerMachine: 3, advancedHunting: true },
      DEFENDER_SCOPE,
    ));
  });
  afterAll(() => t.close());

  it('the app granted Advanced Hunting gets AdvancedQuery.Read.All in its Defender token', () => {
    expect(claimsOf(token).roles).toContain('AdvancedQuery.Read.All');
  });

  it('the logon summary equals, row for row, what /machines/{id}/logonusers serves', async () => {
    const res = await hunt(t, token, SUMMARY);
    expect(res.status).toBe(200);
    expect(res.body.Schema).toEqual([
      { Name: 'DeviceId', Type: 'String' },
      { Name: 'AccountDomain', Type: 'String' },
      { Name: 'AccountName', Type: 'String' },
      { Name: 'FirstSeen', Type: 'DateTime' },
      { Name: 'LastSeen', Type: 'DateTime' },
      { Name: 'LogonTypes', Type: 'Dynamic' },
      { Name: 'AccountSid', Type: 'String' },
      { Name: 'IsLocalAdmin', Type: 'Int32' },
    ]);
    const expected: Item[] = [];
    const machines = await call<{ value: Item[] }>(t, '/defender/api/machines', { token });
    for (const m of machines.body.value) {
      const users = await call<{ value: Item[] }>(
        t,
        `/defender/api/machines/${String(m.id)}/logonusers`,
        { token },
      );
      for (const u of users.body.value)
        expected.push({
          DeviceId: m.id,
          AccountDomain: u.accountDomain,
          AccountName: u.accountName,
          FirstSeen: String(u.firstSeen).replace('Z', '.0000000Z'),
          LastSeen: String(u.lastSeen).replace('Z', '.0000000Z'),
          LogonTypes: String(u.logonTypes).split(', '),
          AccountSid: u.accountSid ?? '',
          IsLocalAdmin: u.isDomainAdmin ? 1 : 0,
        });
    }
    const key = (r: Item) =>
      `${String(r.DeviceId)}|${String(r.AccountDomain)}|${String(r.AccountName)}`;
    const ordinal = (a: Item, b: Item) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
    expect(expected.length).toBe((await t.truth({ lists: false })).counts.machineLogonUserPairs);
    expect(res.body.Results).toEqual(expected.sort(ordinal));
  });

  it('device ranges and take select rows by DeviceId, in order', async () => {
    const all = ((await hunt(t, token, SUMMARY)).body.Results as Item[]).map((r) =>
      String(r.DeviceId),
    );
    const ids = [...new Set(all)];
    const ranged = await hunt(
      t,
      token,
      SUMMARY.replace(
        'ActionType == "LogonSuccess"',
        `ActionType == "LogonSuccess"\n| where DeviceId > "${ids[2]}" and DeviceId <= "${ids[5]}"`,
      ) + '\n| take 5',
    );
    expect((ranged.body.Results as Item[]).map((r) => r.DeviceId)).toEqual(
      all.filter((id) => id > ids[2]! && id <= ids[5]!).slice(0, 5),
    );
  });

  it('answers a malformed body or query with 400 and Defender’s error envelope', async () => {
    const lower = await call<Item>(t, RUN, {
      method: 'POST',
      token,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: SUMMARY }),
    });
    expect(lower.status).toBe(400);
    expect(lower.body).toEqual({
      error: {
        code: 'InvalidRequestBody',
        message: 'The request body must be {"Query": "<KQL>"}; the key is case-sensitive.',
        target: expect.any(String),
      },
    });
    const cases: [string, string][] = [
      [
        'DeviceEvents | take 1',
        "Query could not be run: 'DeviceEvents' could not be resolved to a table (the emulator serves DeviceLogonEvents)",
      ],
      [
        'DeviceLogonEvents | join (DeviceInfo) on DeviceId',
        "Query could not be run: expected an operator the emulator supports (where, summarize, order by, take), found 'join' at position 20",
      ],
      [
        'DeviceLogonEvents | where Colour == "red"',
        "Query could not be run: Failed to resolve scalar expression named 'Colour'",
      ],
      [
        'DeviceLogonEvents | where Timestamp > ago(90d)',
        'Query could not be run: Advanced Hunting keeps 30 days of data: ago() may reach back 30d at most',
      ],
      [
        'DeviceLogonEvents | summarize n = avg(IsLocalAdmin) by DeviceId',
        "Query could not be run: expected an aggregation the emulator supports (min, max, make_set, count), found 'avg' at position 34",
      ],
      [
        'DeviceLogonEvents | where DeviceId == "abc',
        'Query could not be run: unterminated string starting at position 38',
      ],
    ];
    for (const [query, message] of cases) {
      const res = await hunt(t, token, query);
      expect([res.status, (res.body.error as Item).code, (res.body.error as Item).message]).toEqual(
        [400, 'BadRequest', message],
      );
    }
  });

  it('cuts an answer at the emulator’s row cap', async () => {
    const capped = await startWithToken(
      { machines: 12, logonUsersPerMachine: 3, advancedHunting: true, huntingRowCap: 7 },
      DEFENDER_SCOPE,
    );
    try {
      const res = await hunt(capped.t, capped.token, SUMMARY);
      expect((res.body.Results as Item[]).length).toBe(7);
    } finally {
      await capped.t.close();
    }
  });

  it('a used-up CPU quota is a 429 whose body says CPU, with Retry-After', async () => {
    const hungry = await startWithToken(
      {
        machines: 4,
        logonUsersPerMachine: 2,
        advancedHunting: true,
        quotaScale: 1,
        huntingCpuMsPerRow: 60_000,
      },
      DEFENDER_SCOPE,
    );
    try {
      expect((await hunt(hungry.t, hungry.token, SUMMARY)).status).toBe(200);
      const refused = await hunt(hungry.t, hungry.token, SUMMARY);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(3500);
      expect((refused.body.error as Item).message).toMatch(
        /^Query CPU quota exceeded! Maximum allowed 00:10:00 of CPU per 01:00:00 for the key Destination\+TenantID\+AppID\. You can send requests again in \d+ seconds\.$/,
      );
    } finally {
      await hungry.t.close();
    }
  });

  it('45 calls a minute at quota scale 1: the 46th gets the call-quota 429', async () => {
    const paced = await startWithToken(
      { machines: 2, logonUsersPerMachine: 1, advancedHunting: true, quotaScale: 1 },
      DEFENDER_SCOPE,
    );
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 46; i++)
        statuses.push((await hunt(paced.t, paced.token, 'DeviceLogonEvents | take 1')).status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(45);
      expect(statuses[45]).toBe(429);
    } finally {
      await paced.t.close();
    }
  });
});

describe('Advanced Hunting withheld (the default app registration)', () => {
  it('no AdvancedQuery.Read.All in the token, and 403 naming it', async () => {
    const { t, token } = await startWithToken({ machines: 2 }, DEFENDER_SCOPE);
    try {
      expect(claimsOf(token).roles).not.toContain('AdvancedQuery.Read.All');
      const res = await hunt(t, token, SUMMARY);
      expect(res.status).toBe(403);
      expect((res.body.error as Item).message).toBe(
        'Missing application roles. API required roles: AdvancedQuery.Read.All',
      );
    } finally {
      await t.close();
    }
  });
});

describe('CPU quota accounting', () => {
  it('10 min of CPU per hour: refused until the spending leaves the hour', () => {
    let now = 1_000_000;
    const quota = new HuntingCpuQuota(1, () => now);
    quota.charge('k', 400_000);
    now += 1_000;
    quota.charge('k', 200_000);
    expect(quota.check('k')).toEqual({ retryAfterSeconds: 3599, limit: 600, window: '01:00:00' });
    expect(quota.check('other')).toBeUndefined();
    now += 3_599_000;
    expect(quota.check('k')).toBeUndefined();
  });

  it('3 h of CPU per day, and both windows scale with quotaScale', () => {
    let now = 0;
    const quota = new HuntingCpuQuota(2, () => now);
    for (let hour = 0; hour < 18; hour++) {
      expect(quota.check('k')).toBeUndefined();
      quota.charge('k', 1_200_000);
      now += 3_600_000;
    }
    expect(quota.check('k')).toEqual({
      retryAfterSeconds: 6 * 3600,
      limit: 21_600,
      window: '1.00:00:00',
    });
  });
});
