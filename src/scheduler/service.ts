/**
 * The long-running service `serve` starts: the scheduler with each sync run through the store,
 * crashed syncs recovered first.
 */
import type { LoadedConfig } from '../config/load.js';
import type { GraphStore } from '../store/index.js';
import { syncInstance } from '../sync/run-sync.js';
import type { Logger } from '../util/logger.js';
import type { Clock } from './clock.js';
import { startScheduler, type Scheduler } from './scheduler.js';

export interface ServiceOptions {
  store: GraphStore;
  config: LoadedConfig;
  clock?: Clock;
  logger?: Logger;
  pollMs?: number;
  maxDeleteShare?: number;
}

export async function startService(options: ServiceOptions): Promise<Scheduler> {
  // A sync a killed process left `running` is failed now, so its instance is due again.
  await options.store.recoverInterruptedSyncs();
  return startScheduler({
    store: options.store,
    instances: options.config.instances,
    clock: options.clock,
    logger: options.logger,
    pollMs: options.pollMs,
    runSync: (instance, signal) =>
      syncInstance({
        instance,
        store: options.store,
        maxDeleteShare: options.maxDeleteShare,
        logger: options.logger,
        signal,
      }),
  });
}
