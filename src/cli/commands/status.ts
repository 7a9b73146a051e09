import type { Command } from 'commander';
import { listAlerts } from '../../alerts/index.js';
import { loadConfig } from '../../config/load.js';
import { instanceStatuses } from '../../scheduler/index.js';
import { withExistingStore } from '../../sync/command-support.js';
import { printJson, printTable } from '../output.js';
import { NoStoreError, type GraphStore } from '../../store/index.js';
import { configOrUsageError } from './collect.js';
import { configOption, dbOption, jsonOption } from '../options.js';

interface StatusFlags {
  config?: string;
  db?: string;
  json?: boolean;
}

const time = (ms: number | undefined) => (ms === undefined ? '' : new Date(ms).toISOString());

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('Instances with their schedule, last and next sync, running syncs; open alerts.')
    .addOption(configOption('instance configuration file (default ./defender-graph.yaml)'))
    .addOption(dbOption())
    .addOption(jsonOption('print the status as JSON (times in epoch ms)'))
    .addHelpText('after', '\nExit codes: 0 printed, 1 store unreachable, 2 bad flag or config.')
    .action(async (flags: StatusFlags) => {
      const config = configOrUsageError(() => loadConfig({ file: flags.config }));
      const read = async (store: GraphStore | undefined) => ({
        instances: await instanceStatuses(store, config.instances, Date.now()),
        openAlerts: (store ? await listAlerts(store, { open: true }) : []).map((a) => ({
          id: a.id,
          rule: a.ruleName,
          level: a.level,
          status: a.status,
        })),
      });
      // Before the first sync there is no store: the configured instances, none synced yet.
      const status = await withExistingStore(flags.db, read).catch((err: unknown) => {
        if (err instanceof NoStoreError) return read(undefined);
        throw err;
      });
      if (flags.json) return printJson(status);
      printTable(
        ['instance', 'interval', 'last sync', 'status', 'next sync', 'running'],
        status.instances.map((i) => [
          i.name,
          i.pollingInterval,
          time(i.lastSync?.startedOn),
          i.lastSync?.status,
          i.requested ? 'requested' : time(i.nextSyncAt) || 'on demand',
          i.running ? 'yes' : '',
        ]),
      );
      process.stdout.write(`${status.openAlerts.length} open alert(s)\n`);
    });
}
