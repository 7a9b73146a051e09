import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../store/backends.js';
import { emulatorAndStore } from './emulator-store.js';
import { runCli } from './cli.js';
import { keys } from './expected-changes.js';
import { expectedFromTruth, liveKeys, storedFacts } from './graph-truth.js';

/** Defect 4: a sync whose deletions were held back exits 3 and says so; 0 means nothing protected. */
describe.each(BACKENDS)('held-back deletions on $name', (backend) => {
  const t = emulatorAndStore(backend, 'heldback');

  const sync = (...extra: string[]) =>
    runCli(['sync', '--config', t.config, '--db', t.db.url, ...extra]);

  it('exits 3 with deletionsHeldBack in its JSON and deletes nothing; the next sync with room commits the truth', async () => {
    const first = await sync('--json');
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({
      status: 'success',
      exitCode: 0,
      deletionsHeldBack: false,
      heldBack: [],
    });
    const before = await liveKeys(t.store);
    const usersBefore = (await storedFacts(t.store)).users.length;

    const report = await t.emulator.advance();
    const deletedUsers = report.users.deleted.map(keys.user);
    expect(deletedUsers.length).toBeGreaterThan(0);
    const held = await sync('--json', '--max-delete-share', '0');
    expect(held.code, held.stderr).toBe(3);
    const record = JSON.parse(held.stdout);
    expect(record).toMatchObject({ status: 'success', exitCode: 3, deletionsHeldBack: true });
    expect(record.heldBack).toContainEqual({
      kind: 'entity',
      type: 'microsoft_defender_user',
      count: deletedUsers.length,
      reason: `would delete ${deletedUsers.length} of ${usersBefore} (${Math.round((100 * deletedUsers.length) / usersBefore)}%), more than the maximum delete share 0`,
    });
    const after = new Set(await liveKeys(t.store));
    expect(before.filter((key) => !after.has(key))).toEqual([]);

    const human = await sync('--max-delete-share', '0');
    expect(human.code).toBe(3);
    expect(human.stdout).toContain(
      'deletions held back: some unseen objects were kept (exit code 3)',
    );
    expect(human.stdout).toContain(
      `entity microsoft_defender_user: kept ${deletedUsers.length} unseen`,
    );

    const clean = await sync('--json');
    expect(clean.code, clean.stderr).toBe(0);
    expect(JSON.parse(clean.stdout)).toMatchObject({ exitCode: 0, deletionsHeldBack: false });
    expect(await storedFacts(t.store)).toEqual(expectedFromTruth(await t.emulator.truth()));
  }, 120_000);
});
