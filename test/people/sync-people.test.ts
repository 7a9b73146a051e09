import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rosterCsv } from '../../src/emulator/roster-file.js';
import {
  ROSTER_CASES,
  type PeopleTruth,
  type RosterEntry,
  type TruthAccount,
} from '../../src/emulator/tenant/roster.js';
import { logonUserKey } from '../../src/integration/converters/logon-user.js';
import { reportPeople } from '../../src/people/index.js';
import { runQuery } from '../../src/query/engine.js';
import type { EntityResult } from '../../src/query/results.js';
import { openGraphStore, type GraphStore } from '../../src/store/index.js';
import type { SyncRecord } from '../../src/store/sync-record.js';
import { syncInstance } from '../../src/sync/run-sync.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { BACKENDS, type Backend } from '../store/backends.js';

const TENANT = { users: 120, machines: 40 };
const PEOPLE_TYPES = [
  'employee',
  'microsoft_defender_user_is_employee',
  'microsoft_defender_logon_user_is_employee',
  'employee_manages_employee',
  'employee_owns_user_endpoint',
];

const accountKey = (a: TruthAccount) =>
  a.type === 'user' ? `microsoft_defender_user:${a.id}` : logonUserKey(a.domain, a.accountName);
const personKey = (employeeId: string) => `employee:${employeeId}`;

/** A tenant, a store on one backend, and a roster file the instance config names. */
class PeopleFixture {
  emulator!: TestEmulator;
  store!: GraphStore;
  truth!: PeopleTruth;
  roster!: RosterEntry[];
  dir = mkdtempSync(join(tmpdir(), 'dg-people-'));
  private drop!: () => Promise<void>;

  async start(backend: Backend, seed: number): Promise<void> {
    this.emulator = await startTestEmulator({ seed, ...TENANT });
    const db = await backend.create('people');
    this.drop = db.drop;
    this.store = await openGraphStore(db.url);
    this.truth = (await this.emulator.truth()).people!;
    this.roster = this.emulator.emulator.tenant.roster();
    this.writeRoster(rosterCsv(this.roster));
  }

  writeRoster(text: string): void {
    writeFileSync(join(this.dir, 'employees.csv'), text);
  }

  sync(rules?: string): Promise<SyncRecord> {
    const people = { roster: join(this.dir, 'employees.csv'), rules };
    return syncInstance({ instance: { ...this.emulator.config, people }, store: this.store });
  }

  /** account key → person key of every live IS Person link, with its rule. */
  async links(): Promise<Map<string, { person: string; matchedOn: string; confidence: string }>> {
    const rows = await this.store.read<{ from_key: string; to_key: string; properties: unknown }>(
      `SELECT from_key, to_key, properties FROM relationships
       WHERE deleted = FALSE AND type IN ('microsoft_defender_user_is_employee', 'microsoft_defender_logon_user_is_employee')`,
      [],
    );
    return new Map(
      rows.map((r) => {
        const p = (typeof r.properties === 'string' ? JSON.parse(r.properties) : r.properties) as {
          matchedOn: string;
          confidence: string;
        };
        return [r.from_key, { person: r.to_key, matchedOn: p.matchedOn, confidence: p.confidence }];
      }),
    );
  }

  async liveCount(type: string): Promise<number> {
    const [row] = await this.store.read<{ n: number }>(
      `SELECT COUNT(*) AS n FROM entities WHERE deleted = FALSE AND type = '${type}'`,
      [],
    );
    return Number(row!.n);
  }

  async stop(): Promise<void> {
    await this.store?.close();
    await this.emulator?.close();
    await this.drop?.();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function expectTruthLinks(links: Map<string, { person: string }>, truth: PeopleTruth): void {
  const got = [...links].map(([account, l]) => `${account} -> ${l.person}`).sort();
  const want = truth.links
    .map((l) => `${accountKey(l.account)} -> ${personKey(l.employeeId)}`)
    .sort();
  expect(got).toEqual(want);
}

describe.each(BACKENDS)('people mapping inside a sync on $name', (backend) => {
  const f = new PeopleFixture();
  beforeAll(async () => {
    await f.start(backend, 7);
    const first = await f.sync();
    expect(first.status, first.error ?? '').toBe('success');
  });
  afterAll(() => f.stop());

  it('has every hard case in the emulator truth', () => {
    const cases = new Set(f.truth.links.map((l) => l.case));
    // Name-only people never link by default: they are in `nameOnly`, checked below.
    for (const c of ROSTER_CASES.filter((c) => c !== 'name-only')) expect(cases, c).toContain(c);
    expect(f.truth.conflicts.length).toBeGreaterThan(0);
    expect(f.truth.nameOnly.length).toBeGreaterThan(0);
  });

  it('links exactly the accounts the truth lists (precision and recall 100 %), none by name', async () => {
    const links = await f.links();
    expectTruthLinks(links, f.truth);
    expect([...links.values()].filter((l) => l.matchedOn === 'name')).toEqual([]);
    expect(await f.liveCount('employee')).toBe(f.truth.rosterRows);
  });

  it('links each person to the manager the roster names, by email or employeeId', async () => {
    const manages = await f.store.read<{ from_key: string; to_key: string }>(
      "SELECT from_key, to_key FROM relationships WHERE deleted = FALSE AND type = 'employee_manages_employee'",
      [],
    );
    expect(manages.map((m) => `${m.from_key} -> ${m.to_key}`).sort()).toEqual(
      f.truth.managers.map((m) => `${personKey(m.managerId)} -> ${personKey(m.employeeId)}`).sort(),
    );
    const [managed] = f.truth.managers;
    const [row] = await f.store.read<{ properties: unknown }>(
      `SELECT properties FROM entities WHERE key = '${personKey(managed!.employeeId)}'`,
      [],
    );
    const props = row!.properties;
    expect(
      ((typeof props === 'string' ? JSON.parse(props) : props) as { managerId: string }).managerId,
    ).toBe(managed!.managerId);
  });

  it("reports the truth's conflicts, people without account and departed people with enabled accounts", async () => {
    const [instance] = await f.store.instances();
    const report = await reportPeople(f.store, instance!.id, undefined);
    expect(report.conflicts.map((c) => [c.account, c.people])).toEqual(
      f.truth.conflicts
        .map((c) => [accountKey(c.account), c.employeeIds.map(personKey)])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
    expect(report.peopleWithoutAccount.map((p) => p.key)).toEqual(
      f.truth.withoutAccount.map(personKey).sort(),
    );
    expect(
      report.departedWithEnabledAccounts.map((d) => `${d.person} ${d.account}`).sort(),
    ).toEqual(
      f.truth.departedWithEnabledAccounts
        .map((d) => `${personKey(d.employeeId)} microsoft_defender_user:${d.userId}`)
        .sort(),
    );
    // The emulator's logons are all within the last days, after every end date (30 days ago).
    expect(report.logonsAfterEndDate.length).toBeGreaterThan(0);
    const departed = new Set(report.departedWithEnabledAccounts.map((d) => d.person));
    const ended = report.logonsAfterEndDate.filter((l) => !departed.has(l.person));
    expect(ended.every((l) => l.lastSeenOn > String(l.endDate))).toBe(true);
    // Shared mailboxes, service accounts, svc_* and local accounts are not "unmapped humans".
    expect(
      report.unmappedHumanAccounts.filter((a) =>
        /svc|shared|administrator|localadmin/i.test(a.key),
      ),
    ).toEqual([]);
  });

  it('gives each person who logs on interactively the device of their latest such logon', async () => {
    const rows = (type: string) =>
      f.store.read<{ from_key: string; to_key: string; properties: unknown }>(
        `SELECT from_key, to_key, properties FROM relationships WHERE deleted = FALSE AND type = '${type}'`,
        [],
      );
    const props = (p: unknown) =>
      (typeof p === 'string' ? JSON.parse(p) : p) as Record<string, unknown>;
    const personOf = new Map<string, string>();
    for (const r of await rows('microsoft_defender_user_is_employee'))
      personOf.set(r.from_key, r.to_key);
    for (const r of await rows('microsoft_defender_logon_user_is_employee'))
      personOf.set(r.from_key, r.to_key);
    for (const r of await rows('microsoft_defender_logon_user_is_user'))
      if (personOf.has(r.to_key)) personOf.set(r.from_key, personOf.get(r.to_key)!);
    const deviceOf = new Map(
      (await rows('microsoft_defender_machine_manages_user_endpoint')).map((r) => [
        r.from_key,
        r.to_key,
      ]),
    );
    // Latest interactive (not network-only) logon per person, by hand.
    const latest = new Map<string, { lastSeenOn: number; machines: Set<string> }>();
    for (const r of await rows('microsoft_defender_machine_has_logon_user')) {
      const p = props(r.properties);
      const person = personOf.get(r.to_key);
      if (!person || p.isOnlyNetworkUser === true || typeof p.lastSeenOn !== 'number') continue;
      const seen = latest.get(person) ?? { lastSeenOn: 0, machines: new Set<string>() };
      seen.machines.add(r.from_key);
      seen.lastSeenOn = Math.max(seen.lastSeenOn, p.lastSeenOn);
      latest.set(person, seen);
    }
    const owns = await rows('employee_owns_user_endpoint');
    expect(owns.map((o) => o.from_key).sort()).toEqual([...latest.keys()].sort());
    for (const o of owns) {
      const evidence = props(o.properties);
      const expected = latest.get(o.from_key)!;
      expect(evidence.ownershipRule).toBe('latest-interactive-logon');
      expect(evidence.lastLogonOn).toBe(expected.lastSeenOn);
      expect(evidence.candidateMachines).toBe(expected.machines.size);
      expect(o.to_key).toBe(deviceOf.get(String(evidence.evidenceMachine)));
      expect(personOf.get(String(evidence.evidenceAccount))).toBe(o.from_key);
    }
  });

  it("answers the issue's J1QL queries", async () => {
    const terminated = await runQuery(
      f.store,
      "FIND Person WITH employmentStatus = 'terminated' THAT IS User WITH active = true",
    );
    const keys = (r: typeof terminated) =>
      [...new Set((r.data as EntityResult[]).map((e) => e.entity._key))].sort();
    const expected = [
      ...new Set(
        f.truth.departedWithEnabledAccounts
          .filter((d) => d.status === 'terminated')
          .map((d) => personKey(d.employeeId)),
      ),
    ].sort();
    expect(expected.length).toBeGreaterThan(0);
    expect(keys(terminated)).toEqual(expected);

    const onMachines = await runQuery(
      f.store,
      'FIND Person THAT IS User THAT IS << microsoft_defender_logon_user THAT HAS << HostAgent',
    );
    // Hand-joined from the committed relationships, not by the query engine.
    const rel = (type: string) =>
      f.store.read<{ from_key: string; to_key: string }>(
        `SELECT from_key, to_key FROM relationships WHERE deleted = FALSE AND type = '${type}'`,
        [],
      );
    const onSomeMachine = new Set(
      (await rel('microsoft_defender_machine_has_logon_user')).map((r) => r.to_key),
    );
    const usersLoggedOn = new Set(
      (await rel('microsoft_defender_logon_user_is_user'))
        .filter((r) => onSomeMachine.has(r.from_key))
        .map((r) => r.to_key),
    );
    const people = [
      ...new Set(
        (await rel('microsoft_defender_user_is_employee'))
          .filter((r) => usersLoggedOn.has(r.from_key))
          .map((r) => r.to_key),
      ),
    ].sort();
    expect(people.length).toBeGreaterThan(0);
    expect(keys(onMachines)).toEqual(people);
  });

  it('links on names only with the opt-in rule, at low confidence, and only true name-only pairs', async () => {
    const rules = join(f.dir, 'mapping.yaml');
    writeFileSync(rules, 'rules:\n  - id: name\n    enabled: true\n');
    const withNames = await f.sync(rules);
    expect(withNames.status).toBe('success');
    const byName = [...(await f.links())].filter(([, l]) => l.matchedOn === 'name');
    const nameOnly = new Set(
      f.truth.nameOnly.map(
        (n) => `microsoft_defender_user:${n.userId} -> ${personKey(n.employeeId)}`,
      ),
    );
    expect(byName.length).toBeGreaterThan(0);
    for (const [account, link] of byName) {
      expect(nameOnly).toContain(`${account} -> ${link.person}`);
      expect(link.confidence).toBe('low');
    }
    const back = await f.sync();
    const deleted = (await f.store.changes([back.id])).deleted.map((d) => d.key);
    for (const [account, link] of byName) expect(deleted).toContain(`${account}|is|${link.person}`);
    expectTruthLinks(await f.links(), f.truth);
  });

  it('shows a termination and a new alias in changes after the next sync', async () => {
    const active = f.truth.links.find(
      (l) =>
        l.case === 'plain' &&
        l.account.type === 'user' &&
        f.roster.find((r) => r.employeeId === l.employeeId)?.employmentStatus === 'active',
    )!;
    const nameOnly = f.truth.nameOnly[0]!;
    const [user] = await f.store.read<{ properties: unknown }>(
      `SELECT properties FROM entities WHERE key = 'microsoft_defender_user:${nameOnly.userId}'`,
      [],
    );
    const props = user!.properties;
    const upn = (
      (typeof props === 'string' ? JSON.parse(props) : props) as { userPrincipalName: string }
    ).userPrincipalName;
    const edited = f.roster.map((r) =>
      r.employeeId === active.employeeId
        ? { ...r, employmentStatus: 'terminated' as const, endDate: '2026-11-20' }
        : r.employeeId === nameOnly.employeeId
          ? { ...r, email: [upn] }
          : r,
    );
    f.writeRoster(rosterCsv(edited));
    const next = await f.sync();
    expect(next.status).toBe('success');
    const changes = await f.store.changes([next.id]);
    const termination = changes.updated.find((u) => u.key === personKey(active.employeeId))!;
    expect(termination.changes).toContainEqual({
      property: 'employmentStatus',
      before: 'active',
      after: 'terminated',
    });
    const aliasLink = `microsoft_defender_user:${nameOnly.userId}|is|${personKey(nameOnly.employeeId)}`;
    expect(changes.created.map((c) => c.key)).toContain(aliasLink);

    f.writeRoster(rosterCsv(f.roster));
    const reverted = await f.sync();
    expect((await f.store.changes([reverted.id])).deleted.map((d) => d.key)).toContain(aliasLink);
  });

  it('keeps the previous people when the roster cannot be read, naming file, line and column', async () => {
    const before = await f.links();
    const people = await f.liveCount('employee');
    const lines = rosterCsv(f.roster).split('\n');
    lines[3] = lines[3]!.replace(',', ',"');
    f.writeRoster(lines.join('\n'));
    const bad = await f.sync();
    expect(bad.status).toBe('partial');
    const step = bad.stepResults.find((s) => s.id === 'map-people')!;
    expect(step.status).toBe('failure');
    expect(step.reason).toBe(
      `${join(f.dir, 'employees.csv')}:4:2: Quote Not Closed: a quoted field opened in this record is never closed`,
    );
    const changes = await f.store.changes([bad.id]);
    const touched = [...changes.created, ...changes.updated, ...changes.deleted].filter((c) =>
      PEOPLE_TYPES.includes(c.type),
    );
    expect(touched).toEqual([]);
    expect(await f.liveCount('employee')).toBe(people);
    expect(await f.links()).toEqual(before);
    f.writeRoster(rosterCsv(f.roster));
  });
});

describe('people mapping with the default rules on another seed', () => {
  const f = new PeopleFixture();
  beforeAll(() => f.start(BACKENDS[0]!, 11));
  afterAll(() => f.stop());

  it('links exactly the accounts the truth lists', async () => {
    expect((await f.sync()).status).toBe('success');
    expectTruthLinks(await f.links(), f.truth);
  });
});
