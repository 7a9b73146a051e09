/**
 * Several `serve` processes on PostgreSQL share the work through pg-boss: each sync is a job on
 * its instance's queue (policy `stately`: at most one queued and one running, so one sync per
 * instance at a time across processes), each rule evaluation a job on one `singleton` queue (one
 * evaluation at a time, so alerts never race). A job of a process that died expires after
 * `jobTimeoutSeconds` and is retried by another process.
 */
import { createHash } from 'node:crypto';
import PgBoss from 'pg-boss';
import type { InstanceConfig } from '../config/instance-config.js';
import type { SyncRecord } from '../store/sync-record.js';
import type { Logger } from '../util/logger.js';

/** pg-boss's tables live in their own schema, apart from the graph. */
export const JOB_SCHEMA = 'defender_graph_jobs';
const EVALUATE_QUEUE = 'evaluate';

interface SyncJob {
  instance: string;
  requestedOn: number;
}

export type EvaluationJob = { kind: 'sync'; syncId: number } | { kind: 'due' };

export interface JobQueueOptions {
  url: string;
  instances: InstanceConfig[];
  /** A running job not finished after this long is taken as dead and retried elsewhere. */
  jobTimeoutSeconds: number;
  /** How often expired jobs are looked for (pg-boss maintenance). */
  maintenanceSeconds: number;
  /**
   * Runs the sync asked for at `requestedOn`, or returns undefined when a sync of the instance
   * has committed since (a retry of a job whose first run did finish must not commit twice).
   */
  runSync(instance: InstanceConfig, requestedOn: number): Promise<SyncRecord | undefined>;
  evaluate(job: EvaluationJob): Promise<void>;
  logger?: Logger;
}

/** Queue names allow only word characters and hyphens; instance names may hold anything. */
export function syncQueueName(instanceName: string): string {
  return `sync-${createHash('sha256').update(instanceName).digest('hex').slice(0, 24)}`;
}

export class JobQueue {
  private constructor(
    private readonly boss: PgBoss,
    private readonly options: JobQueueOptions,
  ) {}

  static async start(options: JobQueueOptions): Promise<JobQueue> {
    const boss = new PgBoss({
      connectionString: options.url,
      schema: JOB_SCHEMA,
      supervise: true,
      schedule: false,
      maintenanceIntervalSeconds: options.maintenanceSeconds,
    });
    boss.on('error', (err: Error) =>
      options.logger?.error({ err: err.message }, 'job queue error'),
    );
    await boss.start();
    const queue = new JobQueue(boss, options);
    const expireInSeconds = options.jobTimeoutSeconds;
    await queue.createQueue(EVALUATE_QUEUE, {
      policy: 'singleton',
      retryLimit: 3,
      retryDelay: 1,
      expireInSeconds,
    });
    for (const instance of options.instances) {
      const name = syncQueueName(instance.name);
      await queue.createQueue(name, {
        policy: 'stately',
        retryLimit: 3,
        retryDelay: 1,
        expireInSeconds,
      });
      await boss.work<SyncJob>(name, { batchSize: 1, pollingIntervalSeconds: 1 }, async ([job]) => {
        options.logger?.info(
          { instance: instance.name, job: job!.id, pid: process.pid },
          'sync job started',
        );
        const record = await options.runSync(instance, job!.data.requestedOn);
        if (!record) {
          options.logger?.info({ instance: instance.name, job: job!.id }, 'sync job already done');
          return;
        }
        options.logger?.info(
          { instance: instance.name, sync: record.id, status: record.status },
          'sync ended',
        );
        if (record.status === 'failed') throw new Error(record.error ?? 'sync failed');
        await boss.send(EVALUATE_QUEUE, {
          kind: 'sync',
          syncId: record.id,
        } satisfies EvaluationJob);
      });
    }
    await boss.work<EvaluationJob>(
      EVALUATE_QUEUE,
      { batchSize: 1, pollingIntervalSeconds: 1 },
      async ([job]) => options.evaluate(job!.data),
    );
    return queue;
  }

  /** Several processes create the same queues at start; creation is idempotent but may race. */
  private async createQueue(name: string, options: Omit<PgBoss.Queue, 'name'>): Promise<void> {
    try {
      await this.boss.createQueue(name, { name, ...options });
    } catch {
      await this.boss.createQueue(name, { name, ...options });
    }
  }

  /** Queues a sync of the instance (a no-op while one is already queued). */
  async dispatchSync(instance: InstanceConfig): Promise<void> {
    await this.boss.send(syncQueueName(instance.name), {
      instance: instance.name,
      requestedOn: Date.now(),
    } satisfies SyncJob);
  }

  /** Queues an evaluation of the due rules, at most one per `throttleSeconds` across processes. */
  async dispatchDueRules(throttleSeconds: number): Promise<void> {
    await this.boss.send(EVALUATE_QUEUE, { kind: 'due' } satisfies EvaluationJob, {
      singletonKey: 'due',
      singletonSeconds: Math.max(1, Math.round(throttleSeconds)),
    });
  }

  /** Stops taking jobs; running ones get `graceMs`, then are failed for retry elsewhere. */
  async stop(graceMs: number): Promise<void> {
    await this.boss.stop({ graceful: true, wait: true, timeout: graceMs });
  }
}
