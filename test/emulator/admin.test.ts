import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { call, DEFENDER_SCOPE, GRAPH_SCOPE, listAll, tokenFor } from './http-client.js';

type Item = Record<string, unknown>;

async function snapshot(t: TestEmulator) {
  const graph = await tokenFor(t, GRAPH_SCOPE);
  const defender = await tokenFor(t, DEFENDER_SCOPE);
  return {
    users: (
      await listAll<Item>(t, '/graph/v1.0/users?$select=id,displayName,accountEnabled,mail', graph)
    ).items,
    machines: (await listAll<Item>(t, '/defender/api/machines', defender)).items,
    rows: (
      await listAll<Item>(t, '/defender/api/vulnerabilities/machinesVulnerabilities', defender)
    ).items,
  };
}

describe('determinism', () => {
  it('the same seed serves the same data; another seed serves different data', async () => {
    const a = await startTestEmulator({ seed: 11 });
    const b = await startTestEmulator({ seed: 11 });
    const c = await startTestEmulator({ seed: 12 });
    try {
      const [sa, sb, sc] = [await snapshot(a), await snapshot(b), await snapshot(c)];
      expect(sa.users.length).toBe(60);
      expect(sb).toEqual(sa);
      expect(sc.users.map((u) => u.id)).not.toEqual(sa.users.map((u) => u.id));
      expect(await b.truth()).toEqual(await a.truth());
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });
});

describe('admin API', () => {
  let t: TestEmulator;
  beforeAll(async () => {
    t = await startTestEmulator();
  });
  afterAll(async () => {
    await t.close();
  });

  it('truth counts match what the APIs list; ?lists=false leaves the lists out', async () => {
    const truth = await t.truth();
    const s = await snapshot(t);
    expect(truth.counts.users).toBe(s.users.length);
    expect(truth.users).toEqual(s.users.map((u) => u.id));
    expect(truth.counts.machines).toBe(s.machines.length);
    expect(truth.counts.machineCvePairs).toBe(
      new Set(s.rows.map((r) => `${r.machineId}|${r.cveId}`)).size,
    );
    const counts = await t.truth({ lists: false });
    expect(Object.keys(counts)).toEqual(['counts']);
    expect(counts.counts).toEqual(truth.counts);
  });

  it('/admin/advance reports exactly what a fresh listing then shows', async () => {
    const graph = await tokenFor(t, GRAPH_SCOPE);
    const defender = await tokenFor(t, DEFENDER_SCOPE);
    const before = await snapshot(t);
    const report = await t.advance();
    expect(report.round).toBe(1);
    const after = await snapshot(t);

    const beforeUsers = new Set(before.users.map((u) => u.id as string));
    const afterUsers = new Map(after.users.map((u) => [u.id as string, u]));
    expect(
      report.users.added.length + report.users.deleted.length + report.users.disabled.length,
    ).toBeGreaterThan(0);
    expect([...afterUsers.keys()].filter((id) => !beforeUsers.has(id)).sort()).toEqual(
      [...report.users.added].sort(),
    );
    expect([...beforeUsers].filter((id) => !afterUsers.has(id)).sort()).toEqual(
      [...report.users.deleted].sort(),
    );
    for (const id of report.users.disabled) expect(afterUsers.get(id)?.accountEnabled).toBe(false);
    for (const id of report.users.deleted)
      expect((await call(t, `/graph/v1.0/users/${id}`, { token: graph })).status).toBe(404);

    const beforeMachines = new Set(before.machines.map((m) => m.id as string));
    const afterMachines = new Set(after.machines.map((m) => m.id as string));
    expect([...afterMachines].filter((id) => !beforeMachines.has(id)).sort()).toEqual(
      [...report.machines.onboarded].sort(),
    );
    expect([...beforeMachines].filter((id) => !afterMachines.has(id)).sort()).toEqual(
      [...report.machines.offboarded].sort(),
    );
    for (const id of report.machines.offboarded)
      expect((await call(t, `/defender/api/machines/${id}`, { token: defender })).status).toBe(404);
    const beforeById = new Map(before.machines.map((m) => [m.id, m]));
    for (const { id, fields } of report.machines.updated) {
      const now = after.machines.find((m) => m.id === id)!;
      expect(
        fields.some((f) => JSON.stringify(now[f]) !== JSON.stringify(beforeById.get(id)![f])),
      ).toBe(true);
    }

    const pairs = (rows: Item[]) => new Set(rows.map((r) => `${r.machineId}|${r.cveId}`));
    const [p0, p1] = [pairs(before.rows), pairs(after.rows)];
    const found = report.vulnerabilities.found.map((p) => `${p.machineId}|${p.cveId}`);
    const remediated = report.vulnerabilities.remediated.map((p) => `${p.machineId}|${p.cveId}`);
    expect([...p1].filter((p) => !p0.has(p)).sort()).toEqual([...found].sort());
    expect([...p0].filter((p) => !p1.has(p)).sort()).toEqual([...remediated].sort());

    for (const { groupId, memberId } of report.groups.membersAdded) {
      const members = await listAll<Item>(t, `/graph/v1.0/groups/${groupId}/members`, graph);
      expect(members.items.map((m) => m.id)).toContain(memberId);
    }
    for (const { groupId, memberId } of report.groups.membersRemoved) {
      const res = await call(t, `/graph/v1.0/groups/${groupId}/members?$top=999`, { token: graph });
      if (res.status === 200)
        expect((res.body.value as Item[]).map((m) => m.id)).not.toContain(memberId);
    }
    for (const { machineId, domain, accountName } of report.logons.added) {
      const res = await call(t, `/defender/api/machines/${machineId}/logonusers`, {
        token: defender,
      });
      expect(
        (res.body.value as Item[]).map((u) => `${u.accountDomain}\\${u.accountName}`),
      ).toContain(`${domain}\\${accountName}`);
    }
  });

  it('stats count requests per normalised route and status', async () => {
    await t.resetStats();
    const defender = await tokenFor(t, DEFENDER_SCOPE);
    const machineId = (await t.truth()).machines![0]!;
    await call(t, `/defender/api/machines/${machineId}/logonusers`, { token: defender });
    await call(t, `/defender/api/machines/${machineId}/logonusers`, { token: defender });
    await call(t, '/defender/api/machines/nope/logonusers', { token: defender });
    await call(t, '/graph/v1.0/users');
    const stats = await t.stats();
    expect(stats.requests['GET /defender/api/machines/{id}/logonusers']).toEqual({
      '200': 2,
      '404': 1,
    });
    expect(stats.requests['GET /graph/v1.0/users']).toEqual({ '401': 1 });
    expect(stats.requests['POST /{tenant}/oauth2/v2.0/token']).toEqual({ '200': 1 });
    expect(Object.keys(stats.requests).filter((route) => route.includes('/admin'))).toEqual([]);
    const counted = Object.values(stats.requests).flatMap((statuses) => Object.values(statuses));
    expect(stats.total).toBe(counted.reduce((a, b) => a + b, 0));
  });

  it('answers unknown admin paths with 404 and wrong methods with 405', async () => {
    expect((await call(t, '/admin/nothing')).status).toBe(404);
    const wrong = await call(t, '/admin/advance');
    expect([wrong.status, wrong.headers.allow]).toEqual([405, 'POST']);
  });
});
