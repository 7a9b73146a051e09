import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../config/load.js';
import { instanceIdOf, parseDuration, withExistingStore } from '../../sync/command-support.js';
import type { InstancePruneCounts } from '../../store/retention.js';
import { UsageError } from '../../util/usage-error.js';
import { printJson, printTable } from '../output.js';
import { configOption, dbOption, instanceOption, jsonOption } from '../options.js';
import { configOrUsageError } from './collect.js';

interface PruneFlags {
  keep?: string;
  config?: string;
  instance?: string;
  db?: string;
  dryRun?: boolean;
  json?: boolean;
}

/** `--keep`, else `retention.keep` of the config file (given, or ./defender-graph.yaml if present). */
function keepOf(flags: PruneFlags): string {
  if (flags.keep !== undefined) return flags.keep;
  const file = flags.config ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  const keep = file ? configOrUsageError(() => loadConfig({ file })).retention?.keep : undefined;
  if (keep === undefined)
    throw new UsageError(
      '--keep is required (or retention.keep in the config file), e.g. --keep 90d',
    );
  return keep;
}

function total(counts: InstancePruneCounts[]) {
  const sum = (pick: (c: InstancePruneCounts) => number) => counts.reduce((n, c) => n + pick(c), 0);
  return {
    entities: {
      deleted: sum((c) => c.entities.deleted),
      versions: sum((c) => c.entities.versions),
    },
    relationships: {
      deleted: sum((c) => c.relationships.deleted),
      versions: sum((c) => c.relationships.versions),
    },
  };
}

export function registerPrune(program: Command): void {
  program
    .command('prune')
    .description(
      'Remove history older than a window: versions superseded before it, and objects deleted before it with all their versions. Current objects and sync records stay.',
    )
    .option(
      '--keep <duration>',
      'the window to keep, e.g. 90d, 12w, 720h (default: retention.keep of the config)',
    )
    .addOption(configOption('configuration file whose retention.keep is the default window'))
    .addOption(instanceOption('only this instance'))
    .addOption(dbOption())
    .option('--dry-run', 'count what would be removed, remove nothing')
    .addOption(jsonOption('print the window and the counts per instance as JSON'))
    .addHelpText(
      'after',
      '\nExit codes: 0 pruned (or counted); 1 store unreachable or an instance is being synced; 2 bad flag or config, or no window given.',
    )
    .action(async (flags: PruneFlags) => {
      const keep = keepOf(flags);
      const before = Date.now() - parseDuration('keep', keep);
      const dryRun = flags.dryRun === true;
      const instances = await withExistingStore(flags.db, async (store) =>
        store.prune({ before, dryRun, instanceId: await instanceIdOf(store, flags.instance) }),
      );
      if (flags.json)
        return printJson({
          keep,
          before: new Date(before).toISOString(),
          dryRun,
          instances,
          total: total(instances),
        });
      process.stdout.write(
        `${dryRun ? 'would remove' : 'removed'} history from before ${new Date(before).toISOString()} (keep ${keep}):\n`,
      );
      printTable(
        [
          'instance',
          'deleted entities',
          'deleted relationships',
          'entity versions',
          'relationship versions',
        ],
        instances.map((c) => [
          c.instance,
          c.entities.deleted,
          c.relationships.deleted,
          c.entities.versions,
          c.relationships.versions,
        ]),
      );
    });
}
