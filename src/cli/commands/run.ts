import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { addSyncRequest } from '../../scheduler/index.js';
import { withStore } from '../../sync/command-support.js';
import { UsageError } from '../../util/usage-error.js';
import { printJson } from '../output.js';
import { configOrUsageError } from './collect.js';
import { configOption, dbOption, jsonOption } from '../options.js';

interface RunFlags {
  config?: string;
  db?: string;
  json?: boolean;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .argument('<instance>', 'the configured instance to sync')
    .description(
      'Ask the running `serve` to sync an instance now (also instances whose pollingInterval is DISABLED). Returns once queued.',
    )
    .addOption(configOption('instance configuration file (default ./defender-graph.yaml)'))
    .addOption(dbOption())
    .addOption(jsonOption('print {"queued": true, "instance": …} as JSON'))
    .addHelpText(
      'after',
      '\n`serve` picks the request up within its --poll interval; `status` shows it. Exit codes: 0 queued, 1 store unreachable, 2 unknown instance or bad flag.',
    )
    .action(async (name: string, flags: RunFlags) => {
      const config = configOrUsageError(() => loadConfig({ file: flags.config }));
      if (!config.instances.some((i) => i.name === name))
        throw new UsageError(
          `no instance named "${name}" in the config (have: ${config.instances.map((i) => i.name).join(', ')})`,
        );
      await withStore(flags.db, async (store) =>
        addSyncRequest(await store.state(), name, 'cli', Date.now()),
      );
      if (flags.json) printJson({ queued: true, instance: name });
      else
        process.stdout.write(
          `sync of ${name} requested; serve starts it within its poll interval\n`,
        );
    });
}
