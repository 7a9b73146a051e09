import { randomUUID } from 'node:crypto';
import type { Dialect, SqlConnection } from './sql/connection.js';
import { StoreError } from './sql/connection.js';
import type { ReadOptions } from './sql/read-budget.js';
import {
  acquireInstanceLock,
  releaseInstanceLock,
  SyncBusyError,
  thisProcess,
} from './instance-lock.js';
import { SyncSession } from './sync-session.js';
import { SYNC_SELECT, syncFromRow, type SyncRecord, type SyncRow } from './sync-record.js';
import { changesOfSyncs, historyOf, type ChangeSet, type ObjectVersion } from './changes.js';
import {
  iterateCommitted,
  type CommittedObject,
  type IterateOptions,
} from './committed-objects.js';
import { loadRoster, saveRoster, type StoredRoster } from './rosters.js';
import { SessionRows } from './sessions.js';
import { AccountStore } from './accounts.js';
import { GraphExplorer } from './explore.js';
import { pruneInstance, type InstancePruneCounts } from './retention.js';

export interface Instance {
  id: string;
  name: string;
}

export const DEFAULT_MAX_DELETE_SHARE = 0.5;

/** The graph database: committed graph, sync records, sync sessions. */
export interface GraphStore {
  readonly dialect: Dialect;
  /** The store URL without any password. */
  readonly url: string;
  /**
   * Read-only SQL on the last committed graph (never staging). Placeholders: `?` on SQLite,
   * `$1..$n` on PostgreSQL. SQLite has no regex operator, so its connections carry
   * `js_regexp(pattern, flags, text)` (JavaScript RegExp, 1/0); PostgreSQL has `~` and `~*`.
   */
  read<T>(sql: string, params: unknown[], budget?: ReadOptions): Promise<T[]>;
  instances(): Promise<Instance[]>;
  findInstance(name: string): Promise<Instance | undefined>;
  /**
   * Starts a sync of one instance: takes its lock (SyncBusyError if held), marks syncs interrupted
   * by a crash as failed, and returns the session to collect into.
   */
  beginSync(instanceName: string, options?: { maxDeleteShare?: number }): Promise<SyncSession>;
  /** Marks `running` syncs whose process is gone as failed (any instance not currently locked). */
  recoverInterruptedSyncs(): Promise<number[]>;
  getSync(id: number): Promise<SyncRecord | undefined>;
  listSyncs(filter?: {
    instanceId?: string;
    since?: number;
    limit?: number;
  }): Promise<SyncRecord[]>;
  changes(syncIds: number[]): Promise<ChangeSet>;
  history(key: string, instanceId?: string): Promise<ObjectVersion[]>;
  /**
   * Removes versions superseded before `before` and objects deleted before it (with their
   * versions), per instance under its sync lock (SyncBusyError while it syncs); current objects
   * and sync records stay. `dryRun` only counts.
   */
  prune(options: {
    before: number;
    instanceId?: string;
    dryRun?: boolean;
  }): Promise<InstancePruneCounts[]>;
  /** Committed objects, streamed in pages, with their metadata. */
  iterate(
    options: IterateOptions,
    each: (object: CommittedObject) => void | Promise<void>,
  ): Promise<void>;
  /** Stores the roster `people import` read for an instance (replacing the previous one). */
  saveRoster(instanceName: string, roster: { name: string; rows: unknown[] }): Promise<void>;
  /** The instance's imported roster, if any. */
  loadRoster(instanceName: string): Promise<StoredRoster | undefined>;
  /**
   * The connection for the service's own tables (schedule requests, rules, alerts, outbox, tags),
   * opened on first use and apart from the sync writer, so their statements never land inside a
   * sync's transaction.
   */
  state(): Promise<SqlConnection>;
  /** Object-at-a-time reads of the committed graph (entity pages, neighbours, counts). */
  readonly explorer: GraphExplorer;
  /** Users and API tokens of the HTTP API. */
  readonly accounts: AccountStore;
  /** The HTTP API's browser sessions, on the `state()` connection. */
  readonly sessions: SessionRows;
  close(): Promise<void>;
}

export class SqlGraphStore implements GraphStore {
  readonly dialect: Dialect;
  readonly explorer: GraphExplorer;
  readonly accounts: AccountStore;
  readonly sessions: SessionRows;
  /** Instances this store object is syncing: PostgreSQL advisory locks are re-entrant per session. */
  private readonly syncing = new Set<string>();
  private stateConnection: Promise<SqlConnection> | undefined;

  constructor(
    private readonly writer: SqlConnection,
    private readonly reader: SqlConnection,
    readonly url: string,
    private readonly connect: () => Promise<SqlConnection>,
  ) {
    this.dialect = writer.dialect;
    this.explorer = new GraphExplorer(reader);
    this.accounts = new AccountStore(writer, reader);
    this.sessions = new SessionRows(() => this.state());
  }

  async read<T>(sql: string, params: unknown[], budget?: ReadOptions): Promise<T[]> {
    return this.reader.allNative<T>(sql, params, budget);
  }

  async instances(): Promise<Instance[]> {
    return this.reader.all<Instance>('SELECT id, name FROM instances ORDER BY name');
  }

  async findInstance(name: string): Promise<Instance | undefined> {
    const [row] = await this.reader.all<Instance>('SELECT id, name FROM instances WHERE name = ?', [
      name,
    ]);
    return row;
  }

  private async ensureInstance(name: string): Promise<Instance> {
    const known = await this.findInstance(name);
    if (known) return known;
    await this.writer.run(
      'INSERT INTO instances (id, name) VALUES (?, ?) ON CONFLICT (name) DO NOTHING',
      [randomUUID(), name],
    );
    const [row] = await this.writer.all<Instance>('SELECT id, name FROM instances WHERE name = ?', [
      name,
    ]);
    if (!row) throw new StoreError(`instance "${name}" could not be recorded`);
    return row;
  }

  async beginSync(
    instanceName: string,
    options: { maxDeleteShare?: number } = {},
  ): Promise<SyncSession> {
    const maxDeleteShare = options.maxDeleteShare ?? DEFAULT_MAX_DELETE_SHARE;
    const instance = await this.ensureInstance(instanceName);
    if (this.syncing.has(instance.id))
      throw new SyncBusyError(`instance "${instanceName}" is already being synced by this process`);
    await acquireInstanceLock(this.writer, instance.id, instance.name);
    this.syncing.add(instance.id);
    try {
      await this.markInterrupted(instance.id);
      await this.dropStagingOfEndedSyncs();
      const now = Date.now();
      const [row] = await this.writer.all<{ id: number }>(
        `INSERT INTO syncs (instance_id, status, started_on, holder, heartbeat_on, max_delete_share)
         VALUES (?, 'running', ?, ?, ?, ?) RETURNING id`,
        [instance.id, now, JSON.stringify(thisProcess()), now, maxDeleteShare],
      );
      const syncId = Number(row!.id);
      if (this.dialect === 'sqlite')
        await this.writer.run('UPDATE instance_locks SET sync_id = ? WHERE instance_id = ?', [
          syncId,
          instance.id,
        ]);
      return new SyncSession(
        this.writer,
        syncId,
        instance.id,
        instance.name,
        maxDeleteShare,
        async (id) => (await this.getSync(id))!,
        () => this.syncing.delete(instance.id),
      );
    } catch (err) {
      this.syncing.delete(instance.id);
      await releaseInstanceLock(this.writer, instance.id);
      throw err;
    }
  }

  /** With the instance lock held, any `running` sync of it belongs to a process that died. */
  private async markInterrupted(instanceId: string): Promise<number[]> {
    const rows = await this.writer.all<{ id: number }>(
      `UPDATE syncs SET status = 'failed', ended_on = heartbeat_on,
         error = 'interrupted: the sync process ended before it committed; the previous graph was kept'
       WHERE instance_id = ? AND status = 'running' RETURNING id`,
      [instanceId],
    );
    const ids = rows.map((r) => Number(r.id));
    for (const id of ids) {
      await this.writer.run('DELETE FROM staged_entities WHERE sync_id = ?', [id]);
      await this.writer.run('DELETE FROM staged_relationships WHERE sync_id = ?', [id]);
    }
    return ids;
  }

  /**
   * A sync that failed where even dropping its staging failed (a full disk) leaves its rows
   * behind; whatever is staged for a sync that is not running is removed before the next starts.
   */
  private async dropStagingOfEndedSyncs(): Promise<void> {
    for (const table of ['staged_entities', 'staged_relationships'])
      await this.writer.run(
        `DELETE FROM ${table} WHERE sync_id NOT IN (SELECT id FROM syncs WHERE status = 'running')`,
      );
  }

  async recoverInterruptedSyncs(): Promise<number[]> {
    const running = await this.writer.all<Instance>(
      `SELECT DISTINCT i.id, i.name FROM syncs s JOIN instances i ON i.id = s.instance_id WHERE s.status = 'running'`,
    );
    const recovered: number[] = [];
    for (const instance of running) {
      if (this.syncing.has(instance.id)) continue;
      try {
        await acquireInstanceLock(this.writer, instance.id, instance.name);
      } catch (err) {
        if (err instanceof SyncBusyError) continue;
        throw err;
      }
      try {
        recovered.push(...(await this.markInterrupted(instance.id)));
      } finally {
        await releaseInstanceLock(this.writer, instance.id);
      }
    }
    return recovered;
  }

  async getSync(id: number): Promise<SyncRecord | undefined> {
    const [row] = await this.writer.all<SyncRow>(`${SYNC_SELECT} WHERE s.id = ?`, [id]);
    return row ? syncFromRow(row) : undefined;
  }

  async listSyncs(
    filter: { instanceId?: string; since?: number; limit?: number } = {},
  ): Promise<SyncRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.instanceId) {
      where.push('s.instance_id = ?');
      params.push(filter.instanceId);
    }
    if (filter.since !== undefined) {
      where.push('s.started_on >= ?');
      params.push(filter.since);
    }
    const rows = await this.reader.all<SyncRow>(
      `${SYNC_SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY s.id DESC LIMIT ${
        filter.limit ?? 1000
      }`,
      params,
    );
    return rows.map(syncFromRow);
  }

  async changes(syncIds: number[]): Promise<ChangeSet> {
    return changesOfSyncs(this.reader, syncIds);
  }

  async history(key: string, instanceId?: string): Promise<ObjectVersion[]> {
    return historyOf(this.reader, key, instanceId);
  }

  async prune(options: {
    before: number;
    instanceId?: string;
    dryRun?: boolean;
  }): Promise<InstancePruneCounts[]> {
    const counts: InstancePruneCounts[] = [];
    for (const instance of await this.instances()) {
      if (options.instanceId !== undefined && instance.id !== options.instanceId) continue;
      if (this.syncing.has(instance.id))
        throw new SyncBusyError(`instance "${instance.name}" is being synced by this process`);
      await acquireInstanceLock(this.writer, instance.id, instance.name);
      try {
        counts.push(
          await pruneInstance(this.writer, instance, options.before, options.dryRun === true),
        );
      } finally {
        await releaseInstanceLock(this.writer, instance.id);
      }
    }
    return counts;
  }

  async iterate(
    options: IterateOptions,
    each: (object: CommittedObject) => void | Promise<void>,
  ): Promise<void> {
    await iterateCommitted(this.reader, options, each);
  }

  async saveRoster(instanceName: string, roster: { name: string; rows: unknown[] }): Promise<void> {
    const instance = await this.ensureInstance(instanceName);
    await saveRoster(this.writer, instance.id, roster);
  }

  async loadRoster(instanceName: string): Promise<StoredRoster | undefined> {
    const instance = await this.findInstance(instanceName);
    return instance ? loadRoster(this.reader, instance.id) : undefined;
  }

  state(): Promise<SqlConnection> {
    this.stateConnection ??= this.connect();
    return this.stateConnection;
  }

  async close(): Promise<void> {
    if (this.stateConnection) await (await this.stateConnection).close();
    await this.reader.close();
    await this.writer.close();
  }
}
