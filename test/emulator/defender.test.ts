import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import {
  call,
  DEFENDER_SCOPE,
  GRAPH_SCOPE,
  listAll,
  startWithToken,
  tokenFor,
  type Response,
} from './http-client.js';

type Item = Record<string, unknown>;

let t: TestEmulator;
let token: string;

beforeAll(async () => {
  ({ t, token } = await startWithToken({}, DEFENDER_SCOPE));
});
afterAll(() => t.close());

describe('Defender paging at the 10,000 limit (§3.3)', () => {
  let big: TestEmulator;
  let bigToken: string;
  beforeAll(async () => {
    big = await startTestEmulator({
      machines: 10_050,
      vulnerabilitiesPerMachine: 1,
      logonUsersPerMachine: 1,
    });
    bigToken = await tokenFor(big, DEFENDER_SCOPE);
  });
  afterAll(async () => {
    await big.close();
  });

  it('without $top: 10,000 machines and a nextLink with $skip=10000, then the rest and no nextLink', async () => {
    const first = await call(big, '/defender/api/machines', { token: bigToken });
    expect(first.status).toBe(200);
    expect((first.body.value as Item[]).length).toBe(10_000);
    expect(first.body['@odata.nextLink']).toBe(
      `${big.emulator.url}/defender/api/machines?$skip=10000`,
    );
    const second = await call(big, first.body['@odata.nextLink'] as string, { token: bigToken });
    expect((second.body.value as Item[]).length).toBe(50);
    expect(second.body['@odata.nextLink']).toBeUndefined();
    const ids = [...(first.body.value as Item[]), ...(second.body.value as Item[])].map(
      (m) => m.id,
    );
    expect(ids).toEqual((await big.truth()).machines);
  });

  it('keeps $filter in the nextLink without $top', async () => {
    const first = await call(big, '/defender/api/machines?$filter=rbacGroupId ge 0', {
      token: bigToken,
    });
    expect((first.body.value as Item[]).length).toBe(10_000);
    expect(first.body['@odata.nextLink']).toBe(
      `${big.emulator.url}/defender/api/machines?$filter=rbacGroupId%20ge%200&$skip=10000`,
    );
    const second = await call(big, first.body['@odata.nextLink'] as string, { token: bigToken });
    expect((second.body.value as Item[]).length).toBe(50);
  });

  it('with $top=10000: no nextLink ever; $top=10001 is refused; $skip past the end is an empty 200', async () => {
    const page = await call(big, '/defender/api/machines?$top=10000&$skip=0', { token: bigToken });
    expect((page.body.value as Item[]).length).toBe(10_000);
    expect(page.body['@odata.nextLink']).toBeUndefined();
    const rest = await call(big, '/defender/api/machines?$top=10000&$skip=10000', {
      token: bigToken,
    });
    expect((rest.body.value as Item[]).length).toBe(50);
    expect(rest.body['@odata.nextLink']).toBeUndefined();

    const tooBig = await call(big, '/defender/api/machines?$top=10001', { token: bigToken });
    expect(tooBig.status).toBe(400);
    expect((tooBig.body.error as Item).code).toBe('ODataError');

    const past = await call(big, '/defender/api/machines?$top=100&$skip=20000', {
      token: bigToken,
    });
    expect([past.status, past.body.value]).toEqual([200, []]);
  });

  it('pages machinesVulnerabilities by 10,000 rows with $skip nextLinks', async () => {
    const { items, pages, links } = await listAll<Item>(
      big,
      '/defender/api/vulnerabilities/machinesVulnerabilities',
      bigToken,
    );
    const truth = await big.truth();
    expect(pages).toBe(Math.ceil(items.length / 10_000));
    expect(links[0]).toBe(
      `${big.emulator.url}/defender/api/vulnerabilities/machinesVulnerabilities?$skip=10000`,
    );
    const pairs = new Set(items.map((r) => `${r.machineId}|${r.cveId}`));
    expect(pairs).toEqual(new Set(truth.machineCvePairs!.map((p) => `${p.machineId}|${p.cveId}`)));
  });
});

describe('Defender $filter', () => {
  let machines: Item[];
  beforeAll(async () => {
    machines = (await listAll<Item>(t, '/defender/api/machines', token)).items;
  });

  const ids = (res: Response) => (res.body.value as Item[]).map((m) => m.id);

  it('filters on healthStatus, onboardingStatus, riskScore, osPlatform (enum literals, case-insensitive)', async () => {
    for (const [property, value] of [
      ['healthStatus', 'Inactive'],
      ['onboardingStatus', 'onboarded'],
      ['riskScore', 'High'],
      ['osPlatform', 'Windows10'],
    ] as const) {
      const res = await call(t, `/defender/api/machines?$filter=${property} eq '${value}'`, {
        token,
      });
      const expected = machines
        .filter((m) => String(m[property]).toLowerCase() === value.toLowerCase())
        .map((m) => m.id);
      expect(expected.length, `${property} eq ${value} should match some machines`).toBeGreaterThan(
        0,
      );
      expect(ids(res)).toEqual(expected);
    }
  });

  it('filters lastSeen with gt/lt on an ISO date and combines with and/or', async () => {
    const sorted = machines.map((m) => Date.parse(String(m.lastSeen))).sort((a, b) => a - b);
    const cut = new Date(sorted[Math.floor(sorted.length / 2)]!).toISOString();
    const after = await call(t, `/defender/api/machines?$filter=lastSeen gt ${cut}`, { token });
    expect(ids(after)).toEqual(
      machines.filter((m) => Date.parse(String(m.lastSeen)) > Date.parse(cut)).map((m) => m.id),
    );
    const before = await call(
      t,
      `/defender/api/machines?$filter=lastSeen lt ${cut} and healthStatus eq 'Active'`,
      {
        token,
      },
    );
    expect(ids(before)).toEqual(
      machines
        .filter(
          (m) => Date.parse(String(m.lastSeen)) < Date.parse(cut) && m.healthStatus === 'Active',
        )
        .map((m) => m.id),
    );
    expect(ids(after).length + ids(before).length).toBeLessThan(machines.length + 1);
  });

  it('filters with startswith(computerDnsName) and machineTags/any, and keeps $filter in the nextLink', async () => {
    const named = machines.find((m) => typeof m.computerDnsName === 'string')!;
    const prefix = String(named.computerDnsName).slice(0, 4);
    const res = await call(
      t,
      `/defender/api/machines?$filter=startswith(computerDnsName,'${prefix}')`,
      { token },
    );
    expect(ids(res)).toContain(named.id);
    expect(
      (res.body.value as Item[]).every((m) =>
        String(m.computerDnsName).toLowerCase().startsWith(prefix.toLowerCase()),
      ),
    ).toBe(true);

    const tagged = machines.find((m) => (m.machineTags as string[]).length > 0);
    if (tagged) {
      const tag = (tagged.machineTags as string[])[0]!;
      const byTag = await call(
        t,
        `/defender/api/machines?$filter=machineTags/any(x: x eq '${tag}')`,
        { token },
      );
      expect(ids(byTag)).toContain(tagged.id);
    }
  });

  it('refuses a non-filterable property and a malformed filter with 400 ODataError', async () => {
    const res = await call(t, '/defender/api/machines?$filter=firstSeen gt 2020-01-01Z', { token });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'ODataError' });
    expect((res.body.error as Item).message).toContain("'firstSeen'");
    const bad = await call(t, "/defender/api/machines?$filter=riskScore eq 'High' and", { token });
    expect([bad.status, (bad.body.error as Item).code]).toEqual([400, 'ODataError']);
  });

  it('filters machinesVulnerabilities on cveId and vulnerabilities on severity', async () => {
    const rows = (
      await listAll<Item>(t, '/defender/api/vulnerabilities/machinesVulnerabilities', token)
    ).items;
    const cve = String(rows[0]!.cveId);
    const res = await call(
      t,
      `/defender/api/vulnerabilities/machinesVulnerabilities?$filter=cveId eq '${cve}'`,
      {
        token,
      },
    );
    expect((res.body.value as Item[]).map((r) => r.id)).toEqual(
      rows.filter((r) => r.cveId === cve).map((r) => r.id),
    );
    const all = (await listAll<Item>(t, '/defender/api/vulnerabilities', token)).items;
    const critical = await call(t, "/defender/api/vulnerabilities?$filter=severity eq 'Critical'", {
      token,
    });
    expect((critical.body.value as Item[]).map((v) => v.id)).toEqual(
      all.filter((v) => v.severity === 'Critical').map((v) => v.id),
    );
    expect((await call(t, '/defender/api/vulnerabilities?$top=8001', { token })).status).toBe(400);
  });
});

describe('Defender resources', () => {
  it('gets a machine by id and by computer name, with the $entity context, and 404s an unknown one', async () => {
    const machine = (
      (await call(t, '/defender/api/machines?$top=1', { token })).body.value as Item[]
    )[0]!;
    const byId = await call(t, `/defender/api/machines/${machine.id}`, { token });
    expect(byId.body['@odata.context']).toBe(
      `https://api.securitycenter.microsoft.com/api/$metadata#Machines/$entity`,
    );
    expect(byId.body.id).toBe(machine.id);
    expect(byId.headers['odata-version']).toBe('4.0');
    const named = (await listAll<Item>(t, '/defender/api/machines', token)).items.find(
      (m) => typeof m.computerDnsName === 'string',
    )!;
    const byName = await call(t, `/defender/api/machines/${named.computerDnsName}`, { token });
    expect(byName.body.id).toBe(named.id);

    const missing = await call(
      t,
      '/defender/api/machines/0000000000000000000000000000000000000000',
      { token },
    );
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({
      code: 'ResourceNotFound',
      message: 'Machine 0000000000000000000000000000000000000000 was not found',
    });
    expect((missing.body.error as Item).target).toMatch(/^[0-9a-f-]{36}$/);
    expect((await call(t, '/defender/api/machines/0000/logonusers', { token })).status).toBe(404);
  });

  it('gets a vulnerability by CVE id and 404s an unknown one', async () => {
    const first = (
      (await call(t, '/defender/api/vulnerabilities?$top=1', { token })).body.value as Item[]
    )[0]!;
    const one = await call(t, `/defender/api/vulnerabilities/${first.id}`, { token });
    expect(one.body['@odata.context']).toBe(
      `https://api.securitycenter.microsoft.com/api/$metadata#Vulnerabilities/$entity`,
    );
    expect(one.body.cvssV3).toBe(first.cvssV3);
    const missing = await call(t, '/defender/api/vulnerabilities/CVE-1999-0000', { token });
    expect([missing.status, (missing.body.error as Item).code]).toEqual([404, 'ResourceNotFound']);
  });

  it('lists logon users and vulnerabilities per machine as the truth says', async () => {
    const truth = await t.truth();
    const machineId = truth.machines![0]!;
    const logons = await call(t, `/defender/api/machines/${machineId}/logonusers`, { token });
    expect(logons.body['@odata.context']).toBe(
      `https://api.securitycenter.microsoft.com/api/$metadata#Users`,
    );
    const expectedLogons = truth.machineLogonUserPairs!.filter((p) => p.machineId === machineId);
    expect(
      (logons.body.value as Item[]).map((u) => `${u.accountDomain}\\${u.accountName}`).sort(),
    ).toEqual(expectedLogons.map((p) => `${p.domain}\\${p.accountName}`).sort());

    const vulns = await call(t, `/defender/api/machines/${machineId}/vulnerabilities`, { token });
    expect(Object.keys(vulns.body)).toEqual(['@odata.context', '@odata.count', 'value']);
    const items = vulns.body.value as Item[];
    expect(vulns.body['@odata.count']).toBe(items.length);
    expect(
      items.every(
        (v) => v['@odata.type'] === '#microsoft.windowsDefenderATP.api.PublicVulnerabilityDto',
      ),
    ).toBe(true);
    expect(items.map((v) => v.id).sort()).toEqual(
      truth
        .machineCvePairs!.filter((p) => p.machineId === machineId)
        .map((p) => p.cveId)
        .sort(),
    );
  });
});

describe('Defender authorization and quotas', () => {
  it('answers 401 Unauthorized without a token and 403 for a Graph-audience token', async () => {
    const missing = await call(t, '/defender/api/machines');
    expect([missing.status, (missing.body.error as Item).code]).toEqual([401, 'Unauthorized']);
    const graphToken = await tokenFor(t, GRAPH_SCOPE);
    const wrongAudience = await call(t, '/defender/api/machines', { token: graphToken });
    expect([wrongAudience.status, (wrongAudience.body.error as Item).code]).toEqual([
      403,
      'Forbidden',
    ]);
    // The "scope trap": a token for the Defender XDR resource is issued but refused by the MDE API.
    const xdrToken = await tokenFor(t, 'https://api.security.microsoft.com/.default');
    const xdr = await call(t, '/defender/api/machines', { token: xdrToken });
    expect([xdr.status, (xdr.body.error as Item).code]).toEqual([403, 'Forbidden']);
  });

  it('answers 403 "Missing application roles" when the role is revoked, for new and already-issued tokens', async () => {
    const issuedBefore = token;
    await t.setFaults({ revokePermissions: ['Vulnerability.Read.All'] });
    try {
      const res = await call(t, '/defender/api/vulnerabilities', { token: issuedBefore });
      expect(res.status).toBe(403);
      expect(res.body.error).toMatchObject({
        code: 'Forbidden',
        message: 'Missing application roles. API required roles: Vulnerability.Read.All',
      });
      const machines = await call(t, '/defender/api/machines?$top=1', { token: issuedBefore });
      expect(machines.status).toBe(200);
    } finally {
      await t.clearFaults();
    }
    expect((await call(t, '/defender/api/vulnerabilities', { token: issuedBefore })).status).toBe(
      200,
    );
  });

  it('enforces per-minute quotas per endpoint with 429, Retry-After and the real message', async () => {
    // Scale 0.05: /machines allows 5 calls a minute, per-machine vulnerabilities 2 (50 × 0.05 → 2.5 → 3).
    const low = await startTestEmulator({ quotaScale: 0.05 });
    try {
      const lowToken = await tokenFor(low, DEFENDER_SCOPE);
      const statuses: number[] = [];
      let refused: Response | undefined;
      for (let i = 0; i < 7; i++) {
        const res = await call(low, '/defender/api/machines?$top=1', { token: lowToken });
        statuses.push(res.status);
        refused ??= res.status === 429 ? res : undefined;
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
      expect(Number(refused!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(refused!.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(refused!.body.error).toMatchObject({ code: '429' });
      expect((refused!.body.error as Item).message).toMatch(
        /^API calls quota exceeded! Maximum allowed 5 per 00:01:00 for the key Destination\+TenantID\+AppID\. You can send requests again in \d+ seconds\.$/,
      );

      // Another endpoint has its own bucket; per-machine vulnerabilities has the tighter 50/min quota.
      const machineId = (await low.truth()).machines![0]!;
      const vulnStatuses: number[] = [];
      for (let i = 0; i < 4; i++)
        vulnStatuses.push(
          (
            await call(low, `/defender/api/machines/${machineId}/vulnerabilities`, {
              token: lowToken,
            })
          ).status,
        );
      expect(vulnStatuses).toEqual([200, 200, 200, 429]);
      const stats = await low.stats();
      expect(stats.requests['GET /defender/api/machines']).toEqual({ '200': 5, '429': 2 });
      expect(stats.requests['GET /defender/api/machines/{id}/vulnerabilities']).toEqual({
        '200': 3,
        '429': 1,
      });
    } finally {
      await low.close();
    }
  });
});
