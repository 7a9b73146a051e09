/** What `status` and the API report per instance: schedule, last and next sync, running syncs. */
import type { InstanceConfig, PollingInterval } from '../config/instance-config.js';
import type { GraphStore } from '../store/index.js';
import type { SyncStatus } from '../store/sync-record.js';
import { pendingRequests } from './requests.js';
import { nextRunAt } from '../config/schedule.js';
import { nextSyncOf } from './scheduler.js';

export interface InstanceStatus {
  name: string;
  pollingInterval: PollingInterval;
  lastSync?: { id: number; status: SyncStatus; startedOn: number; endedOn?: number };
  /** Epoch ms; absent when DISABLED (on demand only). */
  nextSyncAt?: number;
  running: boolean;
  requested: boolean;
}

/** Without a store (none created yet), every instance is as before its first sync. */
export async function instanceStatuses(
  store: GraphStore | undefined,
  instances: InstanceConfig[],
  now: number,
): Promise<InstanceStatus[]> {
  const requested = store ? await pendingRequests(await store.state()) : new Set<string>();
  const statuses: InstanceStatus[] = [];
  for (const instance of instances) {
    const known = await store?.findInstance(instance.name);
    const [last] = known ? await store!.listSyncs({ instanceId: known.id, limit: 1 }) : [];
    const next = requested.has(instance.name)
      ? now
      : store
        ? await nextSyncOf(store, instance, now)
        : nextRunAt(instance, undefined, now);
    statuses.push({
      name: instance.name,
      pollingInterval: instance.pollingInterval,
      ...(last && {
        lastSync: {
          id: last.id,
          status: last.status,
          startedOn: last.startedOn,
          ...(last.endedOn !== undefined && { endedOn: last.endedOn }),
        },
      }),
      ...(next !== undefined && { nextSyncAt: next }),
      running: last?.status === 'running',
      requested: requested.has(instance.name),
    });
  }
  return statuses;
}
