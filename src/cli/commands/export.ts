import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { printJson } from '../output.js';
import { UsageError } from '../../util/usage-error.js';
import { instanceIdOf, withExistingStore } from '../../sync/command-support.js';
import { exportCsv, exportJsonl, type ExportCounts, type ExportScope } from '../../store/export.js';
import type { GraphStore } from '../../store/index.js';
import {
  MemoryGraphObjectStore,
  STEP_DECLARATIONS,
  declaredTypes,
  writeJ1Layout,
} from '../../integration/index.js';
import type { Entity, GraphRelationship } from '../../graph/types.js';
import { instanceOption, dbOption, jsonOption, outputIsStdout, outputOption } from '../options.js';

interface ExportFlags {
  format: 'jsonl' | 'csv' | 'j1';
  output: string;
  includeDeleted?: boolean;
  instance?: string;
  db?: string;
  json?: boolean;
}

/** Objects the mapper created belong to no step; they go under this step folder. */
const MAPPER_STEP = 'mapper';

/**
 * The J1 SDK on-disk layout through the collector's own writer: objects are regrouped under the
 * step that declares their type, and summary.json carries the instance's latest sync results.
 * The writer takes the graph in memory, unlike jsonl and csv which stream.
 */
async function exportJ1(
  store: GraphStore,
  root: string,
  scope: ExportScope & { instanceId: string },
) {
  const stepOfType = new Map(
    STEP_DECLARATIONS.flatMap((s) => declaredTypes(s).map((t) => [t, s.id])),
  );
  const memory = new MemoryGraphObjectStore();
  const counts: ExportCounts = { entities: 0, relationships: 0 };
  await store.iterate({ kind: 'entity', ...scope, includeRawData: true }, async (object) => {
    await memory.addEntities(stepOfType.get(object._type) ?? MAPPER_STEP, [object as Entity]);
    counts.entities++;
  });
  await store.iterate({ kind: 'relationship', ...scope, includeRawData: true }, async (object) => {
    await memory.addRelationships(stepOfType.get(object._type) ?? MAPPER_STEP, [
      object as GraphRelationship,
    ]);
    counts.relationships++;
  });
  const [latest] = await store.listSyncs({ instanceId: scope.instanceId, limit: 1 });
  await writeJ1Layout(root, memory, {
    instanceName: latest?.instanceName ?? '',
    startedAt: latest?.startedOn ?? 0,
    finishedAt: latest?.endedOn ?? 0,
    stepResults: latest?.stepResults ?? [],
    partialDatasets: { types: latest?.partialTypes.map((p) => p.type) ?? [] },
    disabledTypes:
      latest?.stepResults.filter((s) => s.status === 'disabled').flatMap((s) => s.declaredTypes) ??
      [],
    apiCalls: latest?.apiCalls ?? {},
  });
  return counts;
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description(
      'Write the committed graph to files: JSON lines, CSV, or the JupiterOne SDK on-disk layout.',
    )
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['jsonl', 'csv', 'j1'])
        .makeOptionMandatory(),
    )
    .addOption(outputOption('file to write (jsonl, csv) or folder (j1)'))
    .option('--include-deleted', 'also export objects marked deleted')
    .addOption(instanceOption('only this instance (required for j1 when the store holds several)'))
    .addOption(dbOption())
    .addOption(jsonOption('print what was written as JSON'))
    .addHelpText(
      'after',
      '\nExports hold graph data only: never the instance configuration or its secrets.\nExit codes: 0 written, 1 store or file error, 2 bad flag.',
    )
    .action(async (flags: ExportFlags) => {
      const toStdout = outputIsStdout(flags.output, {
        json: flags.json,
        folder: flags.format === 'j1' ? '--format j1' : undefined,
      });
      const output = toStdout ? process.stdout : resolve(flags.output);
      const counts = await withExistingStore(flags.db, async (store) => {
        const scope: ExportScope = {
          instanceId: await instanceIdOf(store, flags.instance),
          includeDeleted: flags.includeDeleted === true,
        };
        if (flags.format === 'jsonl') return exportJsonl(store, output, scope);
        if (flags.format === 'csv') return exportCsv(store, output, scope);
        const instances = await store.instances();
        const instanceId =
          scope.instanceId ?? (instances.length === 1 ? instances[0]!.id : undefined);
        if (!instanceId)
          throw new UsageError(
            `--instance is required for --format j1 (the store holds ${instances.length === 0 ? 'no instance yet' : instances.map((i) => i.name).join(', ')})`,
          );
        return exportJ1(store, resolve(flags.output), { ...scope, instanceId });
      });
      const where = toStdout ? 'stdout' : resolve(flags.output);
      if (flags.json) printJson({ format: flags.format, output: where, ...counts });
      else
        // With the data on stdout, what was written is said on stderr.
        (toStdout ? process.stderr : process.stdout).write(
          `wrote ${counts.entities} entities and ${counts.relationships} relationships to ${where} (${flags.format})\n`,
        );
    });
}
