/**
 * A `SyncControl` for API tests that run no scheduler: `syncInstance` in this process, one sync
 * per instance at a time (`serve` hands the API its scheduler instead).
 */
import type { InstanceConfig } from '../../src/config/instance-config.js';
import { createMicrosoftClients, type MicrosoftClients } from '../../src/microsoft/index.js';
import type { SyncControl, SyncFinished } from '../../src/server/index.js';
import type { GraphStore } from '../../src/store/index.js';
import { syncInstance } from '../../src/sync/run-sync.js';
import type { Logger } from '../../src/util/logger.js';

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
