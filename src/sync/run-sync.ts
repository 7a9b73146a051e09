import type { InstanceConfig } from '../config/instance-config.js';
import { runIntegration, type ProgressEvent } from '../integration/index.js';
import type { MicrosoftClients } from '../microsoft/index.js';
import type { GraphStore } from '../store/index.js';
import type { SyncRecord } from '../store/sync-record.js';
import type { CommitPhase } from '../store/sync-session.js';
import type { Logger } from '../util/logger.js';
import { runPeopleStep, withPeopleStep } from '../people/step.js';
import type { Roster } from '../people/roster.js';
import {
  chooseSyncMode,
  nextSyncEntry,
  parseFullSyncInterval,
  SYNC_STATE_ENTRY,
} from './sync-mode.js';

export type SyncProgress = ProgressEvent | { type: 'phase'; phase: CommitPhase | 'mapping people' };

export interface SyncOptions {
  instance: InstanceConfig;
  store: GraphStore;
  maxDeleteShare?: number;
  onProgress?: (event: SyncProgress) => void;
  logger?: Logger;
  clients?: MicrosoftClients;
  /**
   * Aborting before the commit marks the sync failed at once (the previous graph stays); a commit
   * already under way finishes, since it is one transaction.
   */
  signal?: AbortSignal;
  /** A full reconcile whatever `fullSyncInterval` says (`sync --full`). */
  full?: boolean;
}

/** Settles with `work`, or rejects when `signal` aborts first. */
function unlessAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    // A string reason is the caller's own words for why (the CLI: Ctrl+C).
    const stop = () =>
      reject(
        new Error(
          typeof signal.reason === 'string'
            ? signal.reason
            : 'stopped: the service shut down before the sync committed',
        ),
      );
    if (signal.aborted) return stop();
    signal.addEventListener('abort', stop, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', stop));
  });
}

/**
 * One sync: collect the instance into a staging session, then commit it. Throws only when the sync
 * cannot start (store unreachable, instance locked); every later failure is a `failed` record.
 */
export async function syncInstance(options: SyncOptions): Promise<SyncRecord> {
  const session = await options.store.beginSync(options.instance.name, {
    maxDeleteShare: options.maxDeleteShare,
  });
  let result;
  try {
    const now = Date.now();
    const state = await session.syncState();
    const decision = chooseSyncMode({
      forceFull: options.full ?? false,
      state,
      interval: parseFullSyncInterval(options.instance.fullSyncInterval),
      now,
    });
    options.logger?.info({ mode: decision.mode }, `${decision.mode} sync: ${decision.reason}`);
    result = await unlessAborted(
      runIntegration({
        instance: options.instance,
        store: session,
        onProgress: options.onProgress,
        logger: options.logger,
        clients: options.clients,
        sync: {
          previous: session.previousGraph(),
          state: decision.mode === 'incremental' ? state : undefined,
        },
      }),
      options.signal,
    );
    result.syncState = {
      ...result.syncState,
      [SYNC_STATE_ENTRY]: nextSyncEntry(decision, state, now),
    };
  } catch (err) {
    return session.fail(err);
  }
  // People are mapped over this sync's staged graph, so they are committed, versioned and diffed with it.
  options.onProgress?.({ type: 'phase', phase: 'mapping people' });
  const people = await runPeopleStep({
    store: session,
    settings: options.instance.people,
    run: result,
    importedRoster: async () =>
      (await options.store.loadRoster(options.instance.name)) as Roster | undefined,
  });
  options.onProgress?.({ type: 'step_end', result: people.result });
  return session.commit(withPeopleStep(result, people.result), {
    onPhase: (phase) => options.onProgress?.({ type: 'phase', phase }),
  });
}
