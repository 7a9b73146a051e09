import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGraphStore, type GraphStore } from '../../src/store/index.js';
import { syncInstance } from '../../src/sync/run-sync.js';
import { runQuery } from '../../src/query/engine.js';
import type { EntityResult, TableRow } from '../../src/query/results.js';
import type { GroundTruth } from '../../src/emulator/tenant/types.js';
import { logonUserKey } from '../../src/integration/converters/logon-user.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { BACKENDS } from '../store/backends.js';

const MACHINE = 'microsoft_defender_machine';
const USER = 'microsoft_defender_user';
const LOGON = 'microsoft_defender_logon_user';
const VULN = 'microsoft_defender_vulnerability';
const ALL = 100_000;

const machineKey = (id: string) => `${MACHINE}:${id}`;
const vulnKey = (cve: string) => `${VULN}:${cve.toUpperCase()}`;
const userKey = (id: string) => `${USER}:${id}`;

/** Each backend's answers, keyed by query: the last suite checks they agree. */
const answers = new Map<string, Map<string, unknown>>();

describe.each(BACKENDS)('J1QL over a graph synced from the emulator on $name', (backend) => {
  let emulator: TestEmulator;
  let store: GraphStore;
  let drop: () => Promise<void>;
  let truth: GroundTruth;
  const mine = new Map<string, unknown>();
  answers.set(backend.name, mine);

  beforeAll(async () => {
    emulator = await startTestEmulator();
    const db = await backend.create('query-emulator');
    drop = db.drop;
    store = await openGraphStore(db.url);
    const record = await syncInstance({ instance: emulator.config, store });
    expect(record.status).toBe('success');
    truth = await emulator.truth();
  });
  afterAll(async () => {
    await store?.close();
    await emulator?.close();
    await drop?.();
  });

  /** Runs a query and records its (sorted) answer for the cross-backend check. */
  async function rows(query: string, params: Record<string, string> = {}): Promise<TableRow[]> {
    const result = await runQuery(store, query, { params, defaultLimit: ALL });
    expect(result.type).toBe('table');
    const data = result.data as TableRow[];
    mine.set(`${query} ${JSON.stringify(params)}`, data.map((r) => JSON.stringify(r)).sort());
    return data;
  }
  async function listKeys(query: string): Promise<string[]> {
    const result = await runQuery(store, query, { defaultLimit: ALL });
    expect(result.type).toBe('list');
    const keys = (result.data as EntityResult[]).map((r) => String(r.entity._key)).sort();
    mine.set(query, keys);
    return keys;
  }

  it('counts what the tenant has', async () => {
    const [counts] = await rows(`FIND ${MACHINE} AS m RETURN count(m) AS machines`);
    expect(counts).toEqual({ machines: truth.counts.machines });
    expect(await rows(`FIND ${USER} AS u RETURN count(u) AS n`)).toEqual([
      { n: truth.counts.users },
    ]);
    expect(await rows(`FIND ${VULN} AS v RETURN count(v) AS n`)).toEqual([
      { n: truth.counts.cves },
    ]);
    expect(await rows(`FIND ${LOGON} AS l RETURN count(l) AS n`)).toEqual([
      { n: truth.counts.logonUsers },
    ]);
  });

  it('finds exactly the machines /admin/truth pairs with a CVE', async () => {
    const byCve = new Map<string, Set<string>>();
    for (const { machineId, cveId } of truth.machineCvePairs!)
      byCve.set(cveId, (byCve.get(cveId) ?? new Set()).add(machineKey(machineId)));
    const cves = [...byCve.entries()].sort((a, b) => b[1].size - a[1].size);
    expect(cves[0]![1].size).toBeGreaterThan(1);
    for (const [cve, machines] of [cves[0]!, cves[cves.length - 1]!]) {
      const found = await rows(
        `FIND ${MACHINE} AS m THAT IDENTIFIED >> ${VULN} WITH _key = \${param.cve} RETURN m._key AS k`,
        { cve: vulnKey(cve) },
      );
      expect(found.map((r) => r.k).sort()).toEqual([...machines].sort());
    }
    const pairs = await rows(
      `FIND HostAgent AS m THAT IDENTIFIED Finding AS v RETURN m._key AS m, v._key AS v`,
    );
    expect(new Set(pairs.map((p) => `${String(p.m)} ${String(p.v)}`))).toEqual(
      new Set(truth.machineCvePairs!.map((p) => `${machineKey(p.machineId)} ${vulnKey(p.cveId)}`)),
    );
  });

  it('finds the users in no group', async () => {
    const inGroup = new Set(
      truth.memberships!.filter((m) => m.memberType === 'user').map((m) => userKey(m.memberId)),
    );
    const expected = truth
      .users!.map(userKey)
      .filter((k) => !inGroup.has(k))
      .sort();
    expect(await listKeys(`FIND ${USER} THAT !HAS << UserGroup`)).toEqual(expected);
    // And users outside one given group: never empty.
    const group = truth.groups![0]!;
    const members = new Set(
      truth
        .memberships!.filter((m) => m.groupId === group && m.memberType === 'user')
        .map((m) => userKey(m.memberId)),
    );
    const outside = truth
      .users!.map(userKey)
      .filter((k) => !members.has(k))
      .sort();
    expect(outside.length).toBeGreaterThan(0);
    expect(members.size).toBeGreaterThan(0);
    expect(
      await listKeys(
        `FIND ${USER} THAT !HAS << UserGroup WITH _key = 'microsoft_defender_user_group:${group}'`,
      ),
    ).toEqual(outside);
  });

  /** Logon user → directory user, as the tenant generated them (not the collector's matcher). */
  function directoryMatches(): Map<string, string> {
    return new Map(
      truth.logonUserLinks!.map((l) => [logonUserKey(l.domain, l.accountName), userKey(l.userId)]),
    );
  }

  it('finds the logon users with no directory user', async () => {
    const matches = directoryMatches();
    const all = new Set(
      truth.machineLogonUserPairs!.map((p) => logonUserKey(p.domain, p.accountName)),
    );
    const expected = [...all].filter((k) => !matches.has(k)).sort();
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(all.size);
    expect(await listKeys(`FIND ${LOGON} THAT !IS ${USER}`)).toEqual(expected);
  });

  it('walks user → logon user → machine → CVE', async () => {
    const matches = directoryMatches();
    const cvesOf = new Map<string, string[]>();
    for (const p of truth.machineCvePairs!)
      cvesOf.set(p.machineId, [...(cvesOf.get(p.machineId) ?? []), vulnKey(p.cveId)]);
    const expected = new Set<string>();
    for (const p of truth.machineLogonUserPairs!) {
      const user = matches.get(logonUserKey(p.domain, p.accountName));
      if (user)
        for (const cve of cvesOf.get(p.machineId) ?? [])
          expected.add(`${user} ${machineKey(p.machineId)} ${cve}`);
    }
    expect(expected.size).toBeGreaterThan(0);
    const found = await rows(
      `FIND ${USER} AS u THAT IS << ${LOGON} THAT HAS << ${MACHINE} AS m THAT IDENTIFIED ${VULN} AS v RETURN u._key AS u, m._key AS m, v._key AS v`,
    );
    expect(new Set(found.map((r) => `${String(r.u)} ${String(r.m)} ${String(r.v)}`))).toEqual(
      expected,
    );
  });

  it('counts machines by OS platform', async () => {
    const expected = new Map<string, number>();
    for (const machine of emulator.emulator.tenant.machines) {
      const os = (machine as { osPlatform?: string | null }).osPlatform ?? null;
      if (os !== null) expected.set(os, (expected.get(os) ?? 0) + 1);
    }
    const found = await rows(
      `FIND ${MACHINE} WITH osPlatform != undefined AS m RETURN m.osPlatform AS os, COUNT(m) AS n`,
    );
    expect(new Map(found.map((r) => [r.os as string, r.n as number]))).toEqual(expected);
    expect(expected.size).toBeGreaterThan(1);
  });

  it('applies negation to missing properties and to arrays the way the reference says', async () => {
    const result = await runQuery(store, `FIND ${MACHINE}`, { defaultLimit: ALL });
    const machines = (result.data as EntityResult[]).sort((a, b) =>
      String(a.entity._key).localeCompare(String(b.entity._key)),
    );
    // Pick a real address of a machine with several, and a property some machines lack. The
    // seeded tenant (TEST_TENANT_SIZES) has both cases; the checks below say so.
    const multi = machines.filter(
      (m) =>
        Array.isArray(m.properties.ipAddress) && (m.properties.ipAddress as string[]).length > 1,
    );
    expect(multi.length).toBeGreaterThan(0);
    const address = (multi[0]!.properties.ipAddress as string[])[1]!;
    const has = (m: EntityResult) =>
      Array.isArray(m.properties.ipAddress) &&
      (m.properties.ipAddress as string[]).includes(address);
    const keysOf = (list: EntityResult[]) => list.map((m) => String(m.entity._key)).sort();
    expect(machines.filter(has).length).toBeLessThan(machines.length);
    expect(await listKeys(`FIND ${MACHINE} WITH ipAddress = '${address}'`)).toEqual(
      keysOf(machines.filter(has)),
    );
    expect(await listKeys(`FIND ${MACHINE} WITH ipAddress != '${address}'`)).toEqual(
      keysOf(machines.filter((m) => !has(m))),
    );
    const tags = machines.flatMap((m) =>
      ((m.properties.machineTags as string[] | undefined) ?? []).filter((t) => t !== ''),
    );
    expect(tags.length).toBeGreaterThan(0);
    const tag = tags[0]!;
    const hasTag = (m: EntityResult) =>
      ((m.properties.machineTags as string[] | undefined) ?? []).includes(tag);
    expect(machines.filter(hasTag).length).toBeLessThan(machines.length);
    expect(await listKeys(`FIND ${MACHINE} WITH machineTags != '${tag}'`)).toEqual(
      keysOf(machines.filter((m) => !hasTag(m))),
    );
    // aadDeviceId: only Entra-joined machines have one.
    const missing = (m: EntityResult) =>
      m.properties.aadDeviceId === undefined || m.properties.aadDeviceId === null;
    const without = machines.filter(missing);
    expect([without.length > 0, without.length < machines.length]).toEqual([true, true]);
    expect(await listKeys(`FIND ${MACHINE} WITH aadDeviceId = undefined`)).toEqual(keysOf(without));
    expect(await listKeys(`FIND ${MACHINE} WITH aadDeviceId != undefined`)).toEqual(
      keysOf(machines.filter((m) => !missing(m))),
    );
    // Logon users carry `email: null`: null is undefined, and != anything.
    const logons = await listKeys(`FIND ${LOGON} WITH email = undefined AND email != 'x'`);
    expect(logons).toEqual(await listKeys(`FIND ${LOGON}`));
    expect(logons).toHaveLength(truth.counts.logonUsers);
  });
});

describe('the same answers on both backends', () => {
  it('agrees query by query', () => {
    const [sqlite, postgres] = [answers.get('sqlite'), answers.get('postgres')];
    expect(sqlite?.size).toBeGreaterThan(10);
    expect([...postgres!.keys()].sort()).toEqual([...sqlite!.keys()].sort());
    for (const [query, answer] of sqlite!) expect(postgres!.get(query), query).toEqual(answer);
  });
});
