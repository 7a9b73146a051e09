import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFENDER_RULES_FOLDER,
  importRules,
  listRules,
  loadRuleFolder,
} from '../../src/alerts/index.js';
import { openGraphStore, type GraphStore } from '../../src/store/index.js';
import { createTestDatabase } from '../support/postgres.js';

// Several `serve` processes start at once on one PostgreSQL database (the job queue's setting)
// and each imports the rule files. (SQLite write transactions already queue: BEGIN IMMEDIATE.)
describe('rule imports racing on postgres', () => {
  let db: { url: string; drop: () => Promise<void> };
  let stores: GraphStore[];

  beforeAll(async () => {
    db = await createTestDatabase('import-race');
    stores = [];
    for (let i = 0; i < 4; i++) stores.push(await openGraphStore(db.url));
  });

  afterAll(async () => {
    for (const store of stores ?? []) await store.close();
    await db?.drop();
  });

  it('four stores importing the same rules at once: all succeed, each rule is stored once, one import added them', async () => {
    const loaded = loadRuleFolder(DEFENDER_RULES_FOLDER);
    const names = loaded.rules.map((r) => r.name).sort();
    const summaries = await Promise.all(stores.map((s) => importRules(s, loaded, Date.now())));

    expect(summaries.map((s) => s.added.length).sort((a, b) => a - b)).toEqual([
      0,
      0,
      0,
      names.length,
    ]);
    expect(summaries.filter((s) => s.added.length === 0).map((s) => s.unchanged.sort())).toEqual([
      names,
      names,
      names,
    ]);
    expect((await listRules(stores[0]!)).map((r) => r.name).sort()).toEqual(names);
  });
});
