/**
 * The long-running service `serve` starts: rule files imported, crashed syncs recovered, then the
 * scheduler with each sync run through the store and the monitoring hooks (rules after each sync
 * and on their own interval).
 */
import {
  DEFENDER_RULES_FOLDER,
  evaluateAfterSync,
  evaluateDueRules,
  importRules,
  loadRuleFolder,
  mergeLoaded,
  type ImportSummary,
  type MonitorOptions,
} from '../alerts/index.js';
import type { LoadedConfig } from '../config/load.js';
import { Deliverer } from '../notify/deliver.js';
import type { GraphStore } from '../store/index.js';
import { syncInstance } from '../sync/run-sync.js';
import type { Logger } from '../util/logger.js';
import { systemClock, type Clock } from './clock.js';
import { startScheduler, type Scheduler } from './scheduler.js';

export interface ServiceOptions {
  store: GraphStore;
  config: LoadedConfig;
  clock?: Clock;
  logger?: Logger;
  pollMs?: number;
  maxDeleteShare?: number;
}

/** The rule files the config names (its folder and the Defender pack), imported into the store. */
export async function importConfiguredRules(
  store: GraphStore,
  config: LoadedConfig,
  now: number,
): Promise<ImportSummary> {
  const folders = [
    ...(config.monitoring.defenderRules ? [DEFENDER_RULES_FOLDER] : []),
    ...(config.monitoring.rulesFolder ? [config.monitoring.rulesFolder] : []),
  ];
  return importRules(store, mergeLoaded(folders.map(loadRuleFolder)), now);
}

export interface Service {
  /** The scheduler, which is also the HTTP API's `SyncControl`. */
  scheduler: Scheduler;
  /** Stops the scheduler (see `Scheduler.stop`), then finishes the monitoring work under way. */
  stop(graceMs: number): Promise<void>;
}

export async function startService(options: ServiceOptions): Promise<Service> {
  const clock = options.clock ?? systemClock;
  const imported = await importConfiguredRules(options.store, options.config, clock.now());
  options.logger?.info(
    {
      added: imported.added.length,
      updated: imported.updated.length,
      unchanged: imported.unchanged.length,
    },
    'rules imported',
  );
  // A sync a killed process left `running` is failed now, so its instance is due again.
  await options.store.recoverInterruptedSyncs();
  const monitor: MonitorOptions = {
    store: options.store,
    monitoring: options.config.monitoring,
    now: () => clock.now(),
  };
  const logEvaluations = (summaries: { ruleName: string; status: string; error?: string }[]) => {
    for (const s of summaries.filter((e) => e.status === 'failed'))
      options.logger?.warn({ rule: s.ruleName, err: s.error }, 'rule evaluation failed');
  };
  const deliverer = new Deliverer({
    db: await options.store.state(),
    monitoring: options.config.monitoring,
    worker: `${process.pid}`,
    now: () => clock.now(),
  });
  const deliver = async () => {
    const report = await deliverer.deliverDue();
    if (report.dead > 0) options.logger?.warn(report, 'notifications dead-lettered');
  };
  // Evaluations and deliveries share the state connection, whose transactions must not
  // interleave: one at a time.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work);
    queue = next.catch(() => undefined);
    return next;
  };
  const scheduler = startScheduler({
    store: options.store,
    instances: options.config.instances,
    clock,
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
    hooks: {
      afterSync: (record) =>
        serial(async () => {
          logEvaluations(await evaluateAfterSync(record, monitor));
          await deliver();
        }),
      onTick: () =>
        serial(async () => {
          logEvaluations(await evaluateDueRules(monitor));
          await deliver();
        }),
    },
  });
  return {
    scheduler,
    async stop(graceMs) {
      await scheduler.stop(graceMs);
      await queue;
      await deliverer.close();
    },
  };
}
