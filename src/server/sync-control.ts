/** How the API asks for a sync: the structural interface the scheduler implements. */
import type { CallCounter } from '../microsoft/index.js';
import type { SyncRecord } from '../store/sync-record.js';

export interface SyncControl {
  requestSync(instanceName: string): Promise<{ queued: boolean; reason?: string }>;
  nextSyncAt(instanceName: string): Promise<Date | undefined>;
}

/** What one finished sync reports to the metrics. */
export type SyncFinished = (
  record: SyncRecord,
  calls: Pick<CallCounter, 'byLabel' | 'throttledByLabel'>,
) => void;
