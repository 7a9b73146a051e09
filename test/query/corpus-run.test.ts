import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTwoBackends, type TwoBackends } from './two-backends.js';

const CORPUS = join(import.meta.dirname, '../../../shared/reference/j1ql-corpus/queries.jsonl');
const queries = readFileSync(CORPUS, 'utf8')
  .trim()
  .split('\n')
  .map((line) => (JSON.parse(line) as { query: string }).query);

describe('the published corpus run on SQLite and PostgreSQL', () => {
  let backends: TwoBackends;
  beforeAll(async () => {
    backends = await openTwoBackends('query-corpus-run');
  });
  afterAll(async () => backends?.close());

  it('gives every query the same answer (or the same J1QL error) on both, never a driver error', async () => {
    const tally = new Map<string, number>();
    const differ: string[] = [];
    for (const query of queries) {
      const [sqlite, postgres] = await backends.outcomes(query);
      const label = sqlite!.ok ? 'answered' : sqlite!.kind;
      tally.set(label, (tally.get(label) ?? 0) + 1);
      if (JSON.stringify(sqlite) !== JSON.stringify(postgres))
        differ.push(
          `${query}\n  sqlite: ${JSON.stringify(sqlite).slice(0, 300)}\n  postgres: ${JSON.stringify(postgres).slice(0, 300)}`,
        );
    }
    console.log('corpus run:', Object.fromEntries(tally));
    expect(differ).toEqual([]);
    expect(tally.get('QueryExecutionError') ?? 0).toBe(0);
  }, 600_000);
});
