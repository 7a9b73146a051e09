import { randomUUID } from 'node:crypto';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../../util/private-files.js';
import { join, relative } from 'node:path';
import type { IntegrationRunResult } from '../../graph/types.js';
import type { MemoryGraphObjectStore } from './memory-store.js';

/** Objects per file, like the SDK's chunked flushes. */
const CHUNK = 1_000;

/**
 * Writes a run in the J1 SDK's on-disk layout (docs/cli.md, `collect`):
 * `graph/<stepId>/{entities,relationships}/<uuid>.json` (one `_type` per file),
 * `index/{entities,relationships}/<_type>/<uuid>.json` symlinks, and `summary.json`.
 * The output folder's `graph`, `index` and `summary.json` are replaced.
 */
export async function writeJ1Layout(
  root: string,
  store: MemoryGraphObjectStore,
  result: IntegrationRunResult,
): Promise<{ files: number }> {
  await mkdir(root, { recursive: true, mode: PRIVATE_DIR_MODE });
  await Promise.all(
    ['graph', 'index'].map((d) => rm(join(root, d), { recursive: true, force: true })),
  );
  let files = 0;
  for (const [stepId, objects] of store.steps) {
    for (const [kind, byType] of [
      ['entities', objects.entities],
      ['relationships', objects.relationships],
    ] as const) {
      for (const [type, list] of byType) {
        for (let start = 0; start < list.length; start += CHUNK) {
          const name = `${randomUUID()}.json`;
          const file = join(root, 'graph', stepId, kind, name);
          await mkdir(join(root, 'graph', stepId, kind), {
            recursive: true,
            mode: PRIVATE_DIR_MODE,
          });
          await writeFile(
            file,
            JSON.stringify({ [kind]: list.slice(start, start + CHUNK) }, null, 2),
            { mode: PRIVATE_FILE_MODE },
          );
          const indexDir = join(root, 'index', kind, type);
          await mkdir(indexDir, { recursive: true, mode: PRIVATE_DIR_MODE });
          await symlink(relative(indexDir, file), join(indexDir, name));
          files++;
        }
      }
    }
  }
  await writeFile(
    join(root, 'summary.json'),
    JSON.stringify(
      {
        integrationStepResults: result.stepResults,
        metadata: {
          partialDatasets: result.partialDatasets,
          disabledTypes: result.disabledTypes,
          apiCalls: result.apiCalls,
          instanceName: result.instanceName,
          startedAt: result.startedAt,
          finishedAt: result.finishedAt,
        },
      },
      null,
      2,
    ),
    { mode: PRIVATE_FILE_MODE },
  );
  return { files };
}
