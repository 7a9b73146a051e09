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

export async function startService(options: ServiceOptions): Promise<Scheduler> {
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
  // Evaluations share the state connection, whose transactions must not interleave: one at a time.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work);
    queue = next.catch(() => undefined);
    return next;
  };
  return startScheduler({
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
        serial(async () => logEvaluations(await evaluateAfterSync(record, monitor))),
      onTick: () => serial(async () => logEvaluations(await evaluateDueRules(monitor))),
    },
  });
}
