/**
 * The long-running service `serve` starts: rule files imported, crashed syncs recovered, then the
 * scheduler with each sync run through the store and the monitoring hooks (rules after each sync
 * and on their own interval).
 */
import {
  DEFENDER_RULES_FOLDER,
  evaluateAfterSync,
  evaluateDueRules,
  syncEvaluated,
  importRules,
  loadRuleFolder,
  mergeLoaded,
  type ImportSummary,
  type MonitorOptions,
} from '../alerts/index.js';
import type { InstanceConfig } from '../config/instance-config.js';
import type { LoadedConfig } from '../config/load.js';
import type { SyncRecord } from '../store/sync-record.js';
import { createMicrosoftClients, type CallCounter } from '../microsoft/index.js';
import { Deliverer } from '../notify/deliver.js';
import type { GraphStore } from '../store/index.js';
import { syncInstance } from '../sync/run-sync.js';
import type { Logger } from '../util/logger.js';
import { systemClock, type Clock } from './clock.js';
import { JobQueue } from './job-queue.js';
import { DEFAULT_POLL_MS, startScheduler, type Scheduler } from './scheduler.js';

export interface ServiceOptions {
  store: GraphStore;
  config: LoadedConfig;
  clock?: Clock;
  logger?: Logger;
  pollMs?: number;
  maxDeleteShare?: number;
  /**
   * PostgreSQL only: share syncs and evaluations with other `serve` processes through the job
   * queue (store URL with the password, since pg-boss opens its own connections).
   */
  jobQueue?: { url: string; jobTimeoutSeconds: number; maintenanceSeconds: number };
  /** Each sync this process ran, with its API calls (the HTTP server's metrics). */
  onSyncFinished?(
    record: SyncRecord,
    calls: Pick<CallCounter, 'byLabel' | 'throttledByLabel'>,
  ): void;
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

/** Whether a sync of the instance started at or after `since` has committed. */
async function committedSince(
  store: GraphStore,
  instanceName: string,
  since: number,
): Promise<boolean> {
  const instance = await store.findInstance(instanceName);
  if (!instance) return false;
  const recent = await store.listSyncs({ instanceId: instance.id, since });
  return recent.some((s) => s.status === 'success' || s.status === 'partial');
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
  const abortSyncs = new AbortController();
  const runSync = async (instance: InstanceConfig, signal: AbortSignal) => {
    const clients = createMicrosoftClients(instance, { logger: options.logger });
    try {
      const record = await syncInstance({
        instance,
        store: options.store,
        clients,
        maxDeleteShare: options.maxDeleteShare,
        logger: options.logger,
        signal,
      });
      options.onSyncFinished?.(record, clients.counter);
      return record;
    } finally {
      await clients.close();
    }
  };
  const afterSync = (record: SyncRecord) =>
    serial(async () => {
      logEvaluations(await evaluateAfterSync(record, monitor));
      await deliver();
    });
  const dueRules = () =>
    serial(async () => {
      logEvaluations(await evaluateDueRules(monitor));
      await deliver();
    });
  const jobs =
    options.jobQueue &&
    (await JobQueue.start({
      ...options.jobQueue,
      instances: options.config.instances,
      logger: options.logger,
      runSync: async (instance, requestedOn) =>
        (await committedSince(options.store, instance.name, requestedOn))
          ? undefined
          : runSync(instance, abortSyncs.signal),
      evaluate: async (job) => {
        if (job.kind === 'due') return dueRules();
        const record = await options.store.getSync(job.syncId);
        if (record) await afterSync(record);
      },
    }));
  // A process killed between a sync's commit and its rule evaluation left that sync with no
  // evaluation: evaluate each instance's last committed sync now (rules done for it are skipped).
  // With the job queue, the evaluation job is retried instead.
  if (!jobs)
    for (const instance of await options.store.instances()) {
      const [last] = await options.store.listSyncs({ instanceId: instance.id, limit: 1 });
      if (last && !(await syncEvaluated(options.store, last.id))) await afterSync(last);
    }
  const pollSeconds = (options.pollMs ?? DEFAULT_POLL_MS) / 1000;
  const scheduler = startScheduler({
    store: options.store,
    instances: options.config.instances,
    clock,
    logger: options.logger,
    pollMs: options.pollMs,
    runSync,
    ...(jobs && { dispatch: (instance: InstanceConfig) => jobs.dispatchSync(instance) }),
    hooks: jobs
      ? {
          onTick: async () => {
            await jobs.dispatchDueRules(pollSeconds);
            await serial(deliver);
          },
        }
      : { afterSync, onTick: dueRules },
  });
  return {
    scheduler,
    async stop(graceMs) {
      const force = setTimeout(() => abortSyncs.abort(), graceMs);
      try {
        await scheduler.stop(graceMs);
        await jobs?.stop(graceMs + 1000);
        await queue;
      } finally {
        clearTimeout(force);
      }
      await deliverer.close();
    },
  };
}
