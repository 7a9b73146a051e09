import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGraphStore, type GraphStore } from '../../src/store/index.js';
import { parseQuery } from '../../src/query/parser.js';
import { planQuery } from '../../src/query/plan.js';
import { compileQuery } from '../../src/query/sql/compile.js';
import { loadFixtureGraph, NOW } from './fixture-graph.js';

/** SQLite follows the compiled join order, so its plan for a hop is fixed: assert it reads no relationship rows. */
describe('J1QL traversal plans on SQLite', () => {
  let dir: string;
  let store: GraphStore;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dg-plan-'));
    store = await openGraphStore(`sqlite:${join(dir, 'graph.db')}`);
    await loadFixtureGraph(store);
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function relationshipAccess(query: string): Promise<string[]> {
    const compiled = compileQuery(planQuery(parseQuery(query)), {
      dialect: 'sqlite',
      values: { params: {}, now: NOW },
      includeDeleted: false,
      window: { skip: 0, rows: 250 },
      maxRows: 1000,
    });
    const plan = await store.read<{ detail: string }>(
      `EXPLAIN QUERY PLAN ${compiled.sql}`,
      compiled.params.map((p) => (typeof p === 'boolean' ? Number(p) : p)),
    );
    return plan.map((row) => row.detail).filter((detail) => /\br\d+\b/.test(detail));
  }

  const walk = (end: 'from' | 'to') =>
    new RegExp(
      `^SEARCH r\\d+ USING COVERING INDEX relationships_${end}_walk \\(instance_id=\\? AND ${end}_key=\\?\\)$`,
    );

  it("walks a directed hop from the bound end through that end's covering index", async () => {
    expect(
      await relationshipAccess(
        'FIND Finding AS f THAT IDENTIFIED << HostAgent AS m RETURN f.displayName, COUNT(m)',
      ),
    ).toEqual([expect.stringMatching(walk('to'))]);
    expect(
      await relationshipAccess(
        "FIND HostAgent WITH displayName = 'ws-001' THAT IDENTIFIED >> Finding",
      ),
    ).toEqual([expect.stringMatching(walk('from'))]);
  });

  it('starts at the alias a WHERE compares with a value, as at a WITH', async () => {
    // Anchored at the finding, the machine→finding hop is walked from its `to` end.
    expect(
      await relationshipAccess(
        "FIND HostAgent AS h THAT IDENTIFIED >> Finding AS f WHERE f.displayName = 'CVE-2024-0001' RETURN h.displayName",
      ),
    ).toEqual([expect.stringMatching(walk('to'))]);
    expect(
      await relationshipAccess(
        "FIND HostAgent AS h THAT IDENTIFIED >> Finding AS f WHERE h.displayName = 'ws-001' RETURN f.displayName",
      ),
    ).toEqual([expect.stringMatching(walk('from'))]);
  });

  it('walks a two-way hop and a negated hop through both covering indexes', async () => {
    for (const query of [
      'FIND HostAgent AS m THAT RELATES TO Device AS d RETURN m.displayName, d.displayName',
      'FIND HostAgent THAT !IDENTIFIED Finding',
    ])
      expect((await relationshipAccess(query)).sort()).toEqual([
        expect.stringMatching(walk('from')),
        expect.stringMatching(walk('to')),
      ]);
  });
});
