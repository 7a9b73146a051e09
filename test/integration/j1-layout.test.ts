import { mkdtempSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { IntegrationRunResult } from '../../src/graph/types.js';
import { writeJ1Layout } from '../../src/integration/stores/j1-layout.js';
import { MemoryGraphObjectStore } from '../../src/integration/stores/memory-store.js';

describe('J1 SDK on-disk layout', () => {
  it('writes one _type per file in 1,000-object chunks, index symlinks and summary.json', async () => {
    const store = new MemoryGraphObjectStore();
    const users = Array.from({ length: 2_500 }, (_, i) => ({
      _key: `user-key-${i}`,
      _type: 'acme_user',
      _class: ['User'],
    }));
    await store.addEntities('fetch-users', users);
    await store.addRelationships('fetch-users', [
      {
        _key: 'a|has|b',
        _type: 'acme_account_has_user',
        _class: 'HAS',
        _fromEntityKey: 'a',
        _toEntityKey: 'b',
      },
    ]);
    const result: IntegrationRunResult = {
      instanceName: 'x',
      startedAt: 1,
      finishedAt: 2,
      stepResults: [],
      partialDatasets: { types: ['acme_user'] },
      disabledTypes: [],
      apiCalls: {},
    };
    const root = mkdtempSync(join(tmpdir(), 'dg-j1-'));
    const { files } = await writeJ1Layout(root, store, result);
    expect(files).toBe(4);

    const graphFiles = readdirSync(join(root, 'graph/fetch-users/entities'));
    const counts = graphFiles
      .map(
        (f) =>
          (
            JSON.parse(readFileSync(join(root, 'graph/fetch-users/entities', f), 'utf8')) as {
              entities: unknown[];
            }
          ).entities.length,
      )
      .sort((a, b) => a - b);
    expect(counts).toEqual([500, 1_000, 1_000]);

    const indexDir = join(root, 'index/entities/acme_user');
    const indexed = readdirSync(indexDir)
      .map((f) => realpathSync(join(indexDir, f)))
      .sort();
    expect(indexed).toEqual(
      graphFiles.map((f) => realpathSync(join(root, 'graph/fetch-users/entities', f))).sort(),
    );
    const [relationshipFile] = readdirSync(join(root, 'index/relationships/acme_account_has_user'));
    expect(
      JSON.parse(
        readFileSync(
          join(root, 'index/relationships/acme_account_has_user', relationshipFile!),
          'utf8',
        ),
      ),
    ).toEqual({ relationships: [expect.objectContaining({ _key: 'a|has|b' })] });

    const summary = JSON.parse(readFileSync(join(root, 'summary.json'), 'utf8')) as {
      metadata: { partialDatasets: { types: string[] } };
    };
    expect(summary.metadata.partialDatasets.types).toEqual(['acme_user']);

    // A second write replaces the graph instead of mixing two runs.
    await writeJ1Layout(root, new MemoryGraphObjectStore(), result);
    expect(readdirSync(root).sort()).toEqual(['summary.json']);
  });
});
