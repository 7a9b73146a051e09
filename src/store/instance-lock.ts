import { hostname } from 'node:os';
import type { SqlConnection } from './sql/connection.js';
import { StoreError } from './sql/connection.js';
import { parseJson } from './rows.js';
import { ADVISORY_CLASS } from './sql/advisory.js';

/** Another live process is syncing the instance. */
export class SyncBusyError extends StoreError {
  override name = 'SyncBusyError';
}

export interface LockHolder {
  pid: number;
  host: string;
}

export const thisProcess = (): LockHolder => ({ pid: process.pid, host: hostname() });

/** A holder on another host counts as alive while its heartbeat is fresh. */
export const HEARTBEAT_MS = 5_000;
const STALE_AFTER_MS = 6 * HEARTBEAT_MS;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function holderAlive(holder: LockHolder, heartbeatOn: number, now: number): boolean {
  if (holder.host === hostname()) return processAlive(holder.pid);
  return now - heartbeatOn < STALE_AFTER_MS;
}

async function describeHolder(db: SqlConnection, instanceId: string): Promise<string> {
  const [running] = await db.all<{ id: number; started_on: number; holder: unknown }>(
    `SELECT id, started_on, holder FROM syncs WHERE instance_id = ? AND status = 'running' ORDER BY id DESC LIMIT 1`,
    [instanceId],
  );
  if (!running) return 'another process';
  const holder = parseJson<LockHolder>(running.holder);
  return `sync #${running.id} (pid ${holder.pid} on ${holder.host}, started ${new Date(Number(running.started_on)).toISOString()})`;
}

/**
 * Takes the instance's sync lock or throws SyncBusyError. PostgreSQL: a session advisory lock,
 * released by the server when the session ends, so it holds across processes and machines.
 * SQLite: a lock row taken under BEGIN IMMEDIATE, whose holder is checked for life.
 */
export async function acquireInstanceLock(
  db: SqlConnection,
  instanceId: string,
  instanceName: string,
): Promise<void> {
  const holder = thisProcess();
  let acquired: boolean;
  if (db.dialect === 'postgres') {
    const [row] = await db.all<{ ok: boolean }>(
      'SELECT pg_try_advisory_lock(?, hashtext(?)) AS ok',
      [ADVISORY_CLASS, instanceId],
    );
    acquired = row?.ok === true;
  } else {
    const held = async () => {
      const [row] = await db.all<{ holder: unknown; heartbeat_on: number }>(
        'SELECT holder, heartbeat_on FROM instance_locks WHERE instance_id = ?',
        [instanceId],
      );
      return (
        row !== undefined &&
        holderAlive(parseJson<LockHolder>(row.holder), Number(row.heartbeat_on), Date.now())
      );
    };
    // Checked before taking the write lock, so a busy instance is reported at once even while
    // its sync holds a long commit transaction.
    acquired =
      !(await held()) &&
      (await db.transaction(async () => {
        if (await held()) return false;
        await db.run(
          `INSERT INTO instance_locks (instance_id, sync_id, holder, heartbeat_on) VALUES (?, 0, ?, ?)
           ON CONFLICT (instance_id) DO UPDATE SET sync_id = 0, holder = excluded.holder, heartbeat_on = excluded.heartbeat_on`,
          [instanceId, JSON.stringify(holder), Date.now()],
        );
        return true;
      }));
  }
  if (!acquired) {
    throw new SyncBusyError(
      `instance "${instanceName}" is already being synced by ${await describeHolder(db, instanceId)}; two syncs of one instance never run at once`,
    );
  }
}

export async function releaseInstanceLock(db: SqlConnection, instanceId: string): Promise<void> {
  if (db.dialect === 'postgres') {
    await db.all('SELECT pg_advisory_unlock(?, hashtext(?))', [ADVISORY_CLASS, instanceId]);
  } else {
    await db.run('DELETE FROM instance_locks WHERE instance_id = ? AND holder = ?', [
      instanceId,
      JSON.stringify(thisProcess()),
    ]);
  }
}
