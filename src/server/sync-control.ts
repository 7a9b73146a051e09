/**
 * How the API asks for a sync: the structural interface the scheduler implements, and, until a
 * scheduler runs inside `serve`, a local implementation that runs `syncInstance` in this process,
 * one sync per instance at a time.
 */
import type { InstanceConfig } from '../config/instance-config.js';
import {
  createMicrosoftClients,
  type CallCounter,
  type MicrosoftClients,
} from '../microsoft/index.js';
import type { GraphStore } from '../store/index.js';
import type { SyncRecord } from '../store/sync-record.js';
import { syncInstance } from '../sync/run-sync.js';
import type { Logger } from '../util/logger.js';

export interface SyncControl {
  requestSync(instanceName: string): Promise<{ queued: boolean; reason?: string }>;
  nextSyncAt(instanceName: string): Promise<Date | undefined>;
}

/** What one finished sync reports to the metrics. */
export type SyncFinished = (
  record: SyncRecord,
  calls: Pick<CallCounter, 'byLabel' | 'throttledByLabel'>,
) => void;

export class LocalSyncControl implements SyncControl {
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    private readonly options: {
      instances: InstanceConfig[];
      store: GraphStore;
      logger?: Logger;
      onFinished?: SyncFinished;
    },
  ) {}

  async requestSync(instanceName: string): Promise<{ queued: boolean; reason?: string }> {
    const instance = this.options.instances.find((i) => i.name === instanceName);
    if (!instance)
      return {
        queued: false,
        reason: `no instance named "${instanceName}" in the configuration serve was started with`,
      };
    if (this.running.has(instanceName))
      return { queued: false, reason: `a sync of "${instanceName}" is already running` };
    const run = this.run(instance).finally(() => this.running.delete(instanceName));
    this.running.set(instanceName, run);
    return { queued: true };
  }

  /** No schedule: syncs run when asked. */
  async nextSyncAt(): Promise<Date | undefined> {
    return undefined;
  }

  /** Waits for the syncs in flight (a server shutting down lets them commit or fail first). */
  async close(): Promise<void> {
    await Promise.all(this.running.values());
  }

  private async run(instance: InstanceConfig): Promise<void> {
    const { store, logger, onFinished } = this.options;
    let clients: MicrosoftClients | undefined;
    try {
      clients = createMicrosoftClients(instance, { logger });
      const record = await syncInstance({ instance, store, clients, logger });
      onFinished?.(record, clients.counter);
    } catch (err) {
      // The sync could not start (a CA file gone, its lock held elsewhere): nothing was written.
      logger?.warn({ instance: instance.name, err }, 'sync did not start');
    } finally {
      await clients?.close();
    }
  }
}
