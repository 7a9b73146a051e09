import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { startService } from '../../scheduler/index.js';
import { resolveStoreUrl } from '../../store/index.js';
import { DB_OPTION_HELP, parseShare, withStore } from '../../sync/command-support.js';
import { createLogger } from '../../util/logger.js';
import { UsageError } from '../../util/usage-error.js';
import { configOrUsageError } from './collect.js';

interface ServeFlags {
  config?: string;
  db?: string;
  maxDeleteShare: string;
  shutdownGrace: string;
  poll: string;
  jobQueue: boolean;
  jobTimeout: string;
  maintenance: string;
}

function positiveSeconds(flag: string, value: string): number {
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds <= 0)
    throw new UsageError(`--${flag} must be a positive number of seconds, got '${value}'`);
  return seconds * 1000;
}

/** Resolves on the first SIGINT or SIGTERM. */
function shutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const)
      process.once(signal, () => resolve(signal));
  });
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'Run the service until SIGINT/SIGTERM: sync every instance on its pollingInterval (or when `run` asks), evaluate the alert rules after each sync and on their own interval, deliver notifications.',
    )
    .option('--config <file>', 'instance configuration file (default ./defender-graph.yaml)')
    .option('--db <url>', DB_OPTION_HELP)
    .option('--max-delete-share <n>', 'largest share (0..1) of a type one sync may delete', '0.5')
    .option(
      '--shutdown-grace <seconds>',
      'on SIGINT/SIGTERM, how long a running sync may take to finish before it is marked failed',
      '60',
    )
    .option('--poll <seconds>', 'how often requests from `run` and due work are checked', '5')
    .option(
      '--no-job-queue',
      'on PostgreSQL, run the single-process scheduler instead of sharing work through the job queue',
    )
    .option(
      '--job-timeout <seconds>',
      'job queue: a sync or evaluation running longer is taken as dead and retried by another process (set above your longest sync)',
      '14400',
    )
    .option('--maintenance <seconds>', 'job queue: how often expired jobs are looked for', '60')
    .addHelpText(
      'after',
      '\nLogs go to stderr (DEFENDER_GRAPH_LOG_LEVEL, default info). Exit codes: 0 stopped by a signal, 1 failed, 2 bad flag or config.',
    )
    .action(async (flags: ServeFlags) => {
      const maxDeleteShare = parseShare(flags.maxDeleteShare);
      const graceMs = positiveSeconds('shutdown-grace', flags.shutdownGrace);
      const pollMs = positiveSeconds('poll', flags.poll);
      const jobTimeoutSeconds = positiveSeconds('job-timeout', flags.jobTimeout) / 1000;
      const maintenanceSeconds = positiveSeconds('maintenance', flags.maintenance) / 1000;
      const config = configOrUsageError(() => loadConfig({ file: flags.config }));
      const url = resolveStoreUrl(flags.db);
      const logger = createLogger({ level: process.env.DEFENDER_GRAPH_LOG_LEVEL ?? 'info' });
      await withStore(url, async (store) => {
        const stopped = shutdownSignal();
        const jobQueue =
          store.dialect === 'postgres' && flags.jobQueue
            ? { url, jobTimeoutSeconds, maintenanceSeconds }
            : undefined;
        const service = await startService({
          store,
          config,
          logger,
          pollMs,
          maxDeleteShare,
          jobQueue,
        });
        logger.info(
          {
            instances: config.instances.map((i) => i.name),
            store: store.url,
            jobQueue: !!jobQueue,
          },
          'serving',
        );
        const signal = await stopped;
        logger.info({ signal }, 'stopping: waiting for running syncs');
        await service.stop(graceMs);
        logger.info('stopped');
      });
    });
}
