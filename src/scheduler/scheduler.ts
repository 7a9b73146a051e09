/**
 * The single-process scheduler: starts each instance's sync when its schedule or a request says
 * so, one sync per instance at a time, and runs the monitoring hooks after each sync and on each
 * pass. `serve` runs it; the HTTP API drives it through `SyncControl`.
 */
import type { InstanceConfig } from '../config/instance-config.js';
import type { GraphStore } from '../store/index.js';
import type { SyncRecord } from '../store/sync-record.js';
import type { Logger } from '../util/logger.js';
import { systemClock, type Clock } from './clock.js';
import { addSyncRequest, pendingRequests, takeRequests } from './requests.js';
import { nextRunAt } from '../config/schedule.js';

/** What the HTTP API needs from the scheduler. */
export interface SyncControl {
  /** Asks for a sync of the instance now; resolves once queued, not when finished. */
  requestSync(instanceName: string): Promise<{ queued: boolean; reason?: string }>;
  /** When the instance's next scheduled sync is due; undefined when DISABLED (on demand only). */
  nextSyncAt(instanceName: string): Promise<Date | undefined>;
}

export interface SchedulerHooks {
  /** After every sync the scheduler ran, committed or failed (rule evaluation, notifications). */
  afterSync?(record: SyncRecord): Promise<void>;
  /** On every pass (rules on their own interval, due deliveries). */
  onTick?(now: number): Promise<void>;
}

export interface SchedulerOptions {
  store: GraphStore;
  instances: InstanceConfig[];
  runSync(instance: InstanceConfig, signal: AbortSignal): Promise<SyncRecord>;
  clock?: Clock;
  hooks?: SchedulerHooks;
  logger?: Logger;
  /** Longest pause between passes: how soon a request from another process is seen. */
  pollMs?: number;
  /**
   * Hands a due sync to a job queue instead of running it here (several processes on
   * PostgreSQL); `runSync` and `afterSync` are then the queue worker's business.
   */
  dispatch?(instance: InstanceConfig): Promise<void>;
}

export const DEFAULT_POLL_MS = 5_000;

/** When the instance's last sync started, from the store (undefined: never synced). */
export async function lastSyncStart(
  store: GraphStore,
  instanceName: string,
): Promise<{ startedOn: number; running: boolean } | undefined> {
  const instance = await store.findInstance(instanceName);
  if (!instance) return undefined;
  const [last] = await store.listSyncs({ instanceId: instance.id, limit: 1 });
  return last && { startedOn: last.startedOn, running: last.status === 'running' };
}

export class Scheduler implements SyncControl {
  private readonly clock: Clock;
  private readonly running = new Map<string, Promise<void>>();
  /** Aborts syncs still running when the shutdown grace period ends. */
  private readonly abortSyncs = new AbortController();
  private wake = new AbortController();
  private stopping = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly options: SchedulerOptions) {
    this.clock = options.clock ?? systemClock;
  }

  private instance(name: string): InstanceConfig | undefined {
    return this.options.instances.find((i) => i.name === name);
  }

  async requestSync(instanceName: string): Promise<{ queued: boolean; reason?: string }> {
    if (!this.instance(instanceName))
      return { queued: false, reason: `no instance named "${instanceName}" is configured` };
    if (this.stopping) return { queued: false, reason: 'the service is shutting down' };
    await addSyncRequest(await this.options.store.state(), instanceName, 'api', this.clock.now());
    this.wake.abort();
    return { queued: true };
  }

  async nextSyncAt(instanceName: string): Promise<Date | undefined> {
    const instance = this.instance(instanceName);
    if (!instance) return undefined;
    const now = this.clock.now();
    const requested = await pendingRequests(await this.options.store.state());
    const next = requested.has(instanceName)
      ? now
      : await nextSyncOf(this.options.store, instance, now);
    return next === undefined ? undefined : new Date(next);
  }

  /** Names of the instances this process is syncing now. */
  runningSyncs(): string[] {
    return [...this.running.keys()];
  }

  /** One pass: starts every due or requested sync (without waiting for it), then the tick hook. */
  async tick(): Promise<void> {
    const now = this.clock.now();
    const requested = await pendingRequests(await this.options.store.state());
    for (const instance of this.options.instances) {
      if (this.stopping || this.running.has(instance.name)) continue;
      const next = requested.has(instance.name)
        ? now
        : await nextSyncOf(this.options.store, instance, now);
      // Checked again after the awaits: a concurrent pass (the loop and an API call) may have started it.
      if (next === undefined || next > now || this.running.has(instance.name)) continue;
      if (this.options.dispatch) {
        await this.options.dispatch(instance);
        await takeRequests(await this.options.store.state(), instance.name);
      } else this.startSync(instance);
    }
    await this.options.hooks?.onTick?.(now);
  }

  private startSync(instance: InstanceConfig): void {
    const log = this.options.logger?.child({ instance: instance.name });
    const run = (async () => {
      await takeRequests(await this.options.store.state(), instance.name);
      let record: SyncRecord;
      try {
        record = await this.options.runSync(instance, this.abortSyncs.signal);
      } catch (err) {
        // Cannot start: another process holds the instance's lock, or the store is unreachable.
        log?.warn({ err: (err as Error).message }, 'sync did not start');
        return;
      }
      log?.info({ sync: record.id, status: record.status }, 'sync ended');
      try {
        await this.options.hooks?.afterSync?.(record);
      } catch (err) {
        log?.error({ err: (err as Error).message }, 'monitoring after the sync failed');
      }
    })().finally(() => this.running.delete(instance.name));
    this.running.set(instance.name, run);
  }

  /** Resolves when no sync of this process is running. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running.values());
  }

  /** Runs passes until `stop()`: after each, sleeps until the next due sync or `pollMs`. */
  start(): void {
    this.loop ??= (async () => {
      while (!this.stopping) {
        try {
          await this.tick();
        } catch (err) {
          this.options.logger?.error({ err: (err as Error).message }, 'scheduler pass failed');
        }
        if (this.stopping) break;
        await this.clock.sleep(await this.pause(), this.wake.signal);
        this.wake = new AbortController();
      }
    })();
  }

  private async pause(): Promise<number> {
    const now = this.clock.now();
    let pause = this.options.pollMs ?? DEFAULT_POLL_MS;
    for (const instance of this.options.instances) {
      if (this.running.has(instance.name)) continue;
      const next = await nextSyncOf(this.options.store, instance, now);
      if (next !== undefined) pause = Math.min(pause, Math.max(0, next - now));
    }
    return pause;
  }

  /**
   * Stops starting syncs; running ones get `graceMs` to finish, after which they are aborted and
   * marked failed (their locks released). Resolves when nothing runs any more.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.wake.abort();
    const force = setTimeout(() => this.abortSyncs.abort(), graceMs);
    try {
      await this.loop;
      await this.idle();
    } finally {
      clearTimeout(force);
    }
  }
}

/**
 * The instance's next sync time: now when never synced, undefined while DISABLED. A sync running
 * in another process defers it by one poll, until that sync ends.
 */
export async function nextSyncOf(
  store: GraphStore,
  instance: InstanceConfig,
  now: number,
): Promise<number | undefined> {
  const last = await lastSyncStart(store, instance.name);
  const next = nextRunAt(instance, last?.startedOn, now);
  if (next === undefined || !last?.running) return next;
  return Math.max(next, now + DEFAULT_POLL_MS);
}

/** Creates the scheduler and starts its loop. */
export function startScheduler(options: SchedulerOptions): Scheduler {
  const scheduler = new Scheduler(options);
  scheduler.start();
  return scheduler;
}
