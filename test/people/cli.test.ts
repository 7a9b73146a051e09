import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { PeopleTruth } from '../../src/emulator/tenant/roster.js';
import type { GraphUser } from '../../src/emulator/tenant/types.js';
import { openGraphStore } from '../../src/store/index.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { runCli, writeConfig } from '../sync/cli.js';

describe('people commands (built CLI)', () => {
  let emulator: TestEmulator;
  let dir: string;
  let config: string;
  let db: string;
  let truth: PeopleTruth;
  let users: GraphUser[];
  const cli = (...args: string[]) => runCli([...args, '--db', db]);
  const json = async (...args: string[]) => {
    const result = await cli(...args, '--json');
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  };
  const people = async () => {
    const store = await openGraphStore(db);
    try {
      return await store.read<{ key: string; properties: string }>(
        "SELECT key, properties FROM entities WHERE type = 'employee' AND deleted = FALSE",
        [],
      );
    } finally {
      await store.close();
    }
  };

  beforeAll(async () => {
    emulator = await startTestEmulator({ users: 100 });
    dir = mkdtempSync(join(tmpdir(), 'dg-people-cli-'));
    config = writeConfig(dir, emulator.config);
    db = `sqlite:${join(dir, 'graph.db')}`;
    truth = (await emulator.truth()).people!;
    users = [...emulator.emulator.tenant.users];
  });
  afterAll(async () => {
    await emulator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('derives people from member users when there is no roster, and says so', async () => {
    const sync = await cli('sync', '--config', config);
    expect(sync.code, sync.stderr).toBe(0);
    const derived = (await people()).map(
      (p) => JSON.parse(p.properties) as Record<string, unknown>,
    );
    const humans = users.filter(
      (u) =>
        u.userType === 'Member' &&
        u.employeeType !== 'Service' &&
        !u.userPrincipalName.startsWith('shared.'),
    );
    expect(derived.length).toBe(new Set(humans.map((u) => u.employeeId ?? u.id)).size);
    expect(
      new Set(derived.map((p) => `${String(p.peopleSource)}/${String(p.sourceName)}`)),
    ).toEqual(new Set(['directory/Entra member users']));
  });

  it('refuses a roster row it cannot read, storing nothing (exit 2)', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'employeeId,email\nE1,a@x.com\n,b@x.com\n');
    const result = await cli('people', 'import', bad, '--config', config);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`error: ${bad}:3:1: missing employeeId\n`);
    const sync = await cli('sync', '--config', config);
    expect(sync.code, sync.stderr).toBe(0);
    expect((await people()).length).toBeGreaterThan(0);
    const sources = (await people()).map((p) => JSON.parse(p.properties).peopleSource as string);
    expect(new Set(sources)).toEqual(new Set(['directory']));
  });

  it('imports the roster, and the next sync maps accounts to it exactly as the truth says', async () => {
    const res = await request(`${emulator.emulator.url}/admin/roster`, {
      dispatcher: emulator.dispatcher,
    });
    const file = join(dir, 'employees.csv');
    writeFileSync(file, await res.body.text());
    expect(await json('people', 'import', file, '--config', config)).toEqual({
      instance: emulator.config.name,
      name: 'employees.csv',
      rows: truth.rosterRows,
    });
    const sync = await cli('sync', '--config', config);
    expect(sync.code, sync.stderr).toBe(0);
    expect((await people()).length).toBe(truth.rosterRows);

    const report = (await json('people', 'report', '--config', config)) as {
      conflicts: { account: string; people: string[] }[];
      peopleWithoutAccount: { key: string }[];
    };
    expect(report.conflicts.map((c) => c.account).sort()).toEqual(
      truth.conflicts
        .map((c) => `microsoft_defender_user:${(c.account as { id: string }).id}`)
        .sort(),
    );
    expect(report.peopleWithoutAccount.map((p) => p.key)).toEqual(
      truth.withoutAccount.map((id) => `employee:${id}`).sort(),
    );
  });

  it('explains a plus-addressed match: every rule, the normalised value, why it linked', async () => {
    const link = truth.links.find((l) => {
      if (l.case !== 'plus-address' || l.account.type !== 'user') return false;
      const id = l.account.id;
      return users.find((u) => u.id === id)!.employeeId === null;
    })!;
    const userId = (link.account as { id: string }).id;
    const user = users.find((u) => u.id === userId)!;
    const address = (user.mail ?? user.userPrincipalName).toLowerCase();
    const rule = user.mail ? 'mail' : 'user-principal-name';
    const explanation = (await json(
      'people',
      'explain',
      `microsoft_defender_user:${userId}`,
      '--config',
      config,
    )) as {
      kind: string;
      committedLink: { person: string; matchedOn: string; matchedValue: string };
      outcome: { trials: { rule: string; outcome: string; found: { value: string }[] }[] };
    };
    expect(explanation.kind).toBe('account');
    expect(explanation.committedLink).toMatchObject({
      person: `employee:${link.employeeId}`,
      matchedOn: rule,
      matchedValue: address,
    });
    const trials = explanation.outcome.trials;
    expect(trials.map((t) => t.rule)).toEqual([
      'employee-id',
      'on-premises-sid',
      'mail',
      'mail-alias',
      'user-principal-name',
      'sam-account-name',
      'name',
    ]);
    const decided = trials.find((t) => t.outcome === 'linked')!;
    expect(decided.rule).toBe(rule);
    expect(decided.found.map((f) => f.value)).toEqual([address]);
    expect(trials.at(-1)!.outcome).toBe('disabled');

    const text = await cli(
      'people',
      'explain',
      `microsoft_defender_user:${userId}`,
      '--config',
      config,
    );
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`linked to employee:${link.employeeId}`);
  });

  it('explains a person with an admin second account: both accounts, each with its rule', async () => {
    const admin = truth.links.find((l) => l.case === 'admin-account')!;
    const expected = truth.links
      .filter((l) => l.employeeId === admin.employeeId)
      .map((l) => `microsoft_defender_user:${(l.account as { id: string }).id}`)
      .sort();
    expect(expected.length).toBe(2);
    const explanation = (await json(
      'people',
      'explain',
      `employee:${admin.employeeId}`,
      '--config',
      config,
    )) as { kind: string; accounts: { account: string; matchedOn: string }[] };
    expect(explanation.kind).toBe('person');
    expect(explanation.accounts.map((a) => a.account).sort()).toEqual(expected);
    const adminAccount = `microsoft_defender_user:${(admin.account as { id: string }).id}`;
    expect(explanation.accounts.find((a) => a.account === adminAccount)?.matchedOn).toBe(
      'employee-id',
    );
  });

  it('explains an on-premises logon account matched by SID and says unknown keys are not there (exit 1)', async () => {
    const link = truth.links.find((l) => l.case === 'on-premises-sid')!;
    const account = link.account as { domain: string; accountName: string };
    const key =
      `microsoft_defender_logon_user:${account.domain}\\${account.accountName}`.toLowerCase();
    const explanation = (await json('people', 'explain', key, '--config', config)) as {
      kind: string;
      outcome: { link: { personKey: string; matchedOn: string } };
    };
    expect(explanation.kind).toBe('account');
    expect(explanation.outcome.link).toMatchObject({
      personKey: `employee:${link.employeeId}`,
      matchedOn: 'on-premises-sid',
    });
    const missing = await cli('people', 'explain', 'nothing:here', '--config', config);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      'error: no directory user, logon user, person or machine with _key "nothing:here" in the store\n',
    );
  });
});
