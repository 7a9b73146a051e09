import { setTimeout as sleep } from 'node:timers/promises';
import type {
  Entity,
  GraphObjectStore,
  GraphRelationship,
  IntegrationRunResult,
  PreviousGraph,
  SyncState,
} from '../graph/types.js';
import { StoreError, type SqlConnection } from './sql/connection.js';
import { applyStaging, countUnseen } from './commit.js';
import { ENTITY_KIND, RELATIONSHIP_KIND, type ObjectKind } from './object-kinds.js';
import {
  STAGED_ENTITY_COLUMNS,
  STAGED_RELATIONSHIP_COLUMNS,
  StagingWriter,
  type StagedColumn,
  type StagedRow,
} from './staging.js';
import { partialTypeReasons, planDeletions } from './protection.js';
import { resolveMappedRelationships } from './mapping.js';
import { refreshPlannerStatistics } from './planner-statistics.js';
import { loadSyncState, previousGraph, saveSyncState } from './previous-graph.js';
import { HEARTBEAT_MS, releaseInstanceLock } from './instance-lock.js';
import {
  entityFromRow,
  relationshipFromRow,
  toStagedEntity,
  toStagedRelationship,
  type EntityRow,
  type RelationshipRow,
} from './rows.js';
import type { SyncRecord } from './sync-record.js';
import { originalString, storedString, toStoredJson } from './stored-json.js';

/** Rows per multi-row INSERT: 11,000 parameters at most, under both drivers' limits (32,766; 65,535). */
const INSERT_BATCH = 1000;
/** Rows per page when later steps iterate staging (memory stays flat). */
const READ_BATCH = 1000;

export class DuplicateKeyError extends Error {
  override name = 'DuplicateKeyError';
}

/**
 * Test hook (documented in docs/operations.md): `DEFENDER_GRAPH_TEST_PAUSE_IN_COMMIT=1` sleeps
 * 60 s (or N ms when N > 1) inside the commit transaction so a test can SIGKILL the process there.
 */
async function pauseInCommitForTests(): Promise<void> {
  const value = Number(process.env.DEFENDER_GRAPH_TEST_PAUSE_IN_COMMIT ?? 0);
  if (!(value > 0)) return;
  process.stderr.write('defender-graph: test hook: paused inside the commit transaction\n');
  await sleep(value > 1 ? value : 60_000);
}

export type CommitPhase =
  'resolving mapped relationships' | 'committing' | 'refreshing query statistics';

export interface CommitOptions {
  onPhase?: (phase: CommitPhase) => void;
}

/**
 * One run of one instance: a GraphObjectStore over this run's staging rows, then the commit (or
 * the failure record). Holds the instance's sync lock from creation to `commit`/`fail`.
 */
export class SyncSession implements GraphObjectStore {
  readonly staged = { entities: 0, relationships: 0 };
  private readonly heartbeat: NodeJS.Timeout;
  private readonly staging: StagingWriter;
  private finished = false;

  constructor(
    private readonly db: SqlConnection,
    readonly syncId: number,
    readonly instanceId: string,
    readonly instanceName: string,
    private readonly maxDeleteShare: number,
    private readonly readRecord: (id: number) => Promise<SyncRecord>,
    private readonly onFinish: () => void,
  ) {
    this.staging = new StagingWriter(db, syncId, instanceId);
    this.heartbeat = setInterval(() => {
      void this.beat().catch(() => undefined);
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  private async beat(): Promise<void> {
    const now = Date.now();
    await this.db.run('UPDATE syncs SET heartbeat_on = ? WHERE id = ?', [now, this.syncId]);
    if (this.db.dialect === 'sqlite')
      await this.db.run('UPDATE instance_locks SET heartbeat_on = ? WHERE instance_id = ?', [
        now,
        this.instanceId,
      ]);
  }

  private async insertBatched(
    kind: ObjectKind,
    columns: StagedColumn[],
    stepId: string,
    rows: StagedRow[],
  ): Promise<void> {
    // A sync failed by a shutdown may still have steps in flight: their rows must not outlive it.
    if (this.finished)
      throw new StoreError(`sync ${this.syncId} has already ended; nothing more is staged`);
    for (let i = 0; i < rows.length; i += INSERT_BATCH) {
      const batch = rows.slice(i, i + INSERT_BATCH);
      const inserted = await this.staging.stage(kind, stepId, columns, batch);
      if (inserted.size !== batch.length) {
        const duplicate = batch.find((r) => !inserted.delete(r.key))?.key;
        throw new DuplicateKeyError(
          `duplicate _key "${originalString(duplicate ?? '')}" in step "${stepId}": an object with this key was already added in this run`,
        );
      }
    }
  }

  async addEntities(stepId: string, entities: Entity[]): Promise<void> {
    const rows = entities.map((e) => {
      const r = toStagedEntity(e);
      return {
        key: r.key,
        values: [r.type, r.classes, r.properties, r.raw, r.hash, 'integration-managed'],
      };
    });
    await this.insertBatched(ENTITY_KIND, STAGED_ENTITY_COLUMNS, stepId, rows);
    this.staged.entities += entities.length;
  }

  async addRelationships(stepId: string, relationships: GraphRelationship[]): Promise<void> {
    const rows = relationships.map((rel) => {
      const r = toStagedRelationship(rel);
      return {
        key: r.key,
        values: [r.type, r.class, r.fromKey, r.toKey, r.mapping, r.properties, r.raw, r.hash],
      };
    });
    await this.insertBatched(RELATIONSHIP_KIND, STAGED_RELATIONSHIP_COLUMNS, stepId, rows);
    this.staged.relationships += relationships.length;
  }

  async findEntity(key: string): Promise<Entity | undefined> {
    const [row] = await this.db.all<EntityRow>(
      'SELECT key, type, classes, properties, raw FROM staged_entities WHERE sync_id = ? AND key = ?',
      [this.syncId, storedString(key)],
    );
    return row ? entityFromRow(row) : undefined;
  }

  /** Keyset pages, so callbacks may write to staging while iterating. */
  private async iterateStaged<R extends { key: string }>(
    select: string,
    table: string,
    type: string,
    each: (row: R) => void | Promise<void>,
  ): Promise<void> {
    let after = '';
    for (;;) {
      const page = await this.db.all<R>(
        `SELECT ${select} FROM ${table} WHERE sync_id = ? AND type = ? AND key > ? ORDER BY key LIMIT ${READ_BATCH}`,
        [this.syncId, type, after],
      );
      for (const row of page) await each(row);
      if (page.length < READ_BATCH) return;
      after = page[page.length - 1]!.key;
    }
  }

  async iterateEntities(
    filter: { _type: string },
    each: (entity: Entity) => void | Promise<void>,
  ): Promise<void> {
    await this.iterateStaged<EntityRow>(
      'key, type, classes, properties, raw',
      'staged_entities',
      filter._type,
      (row) => each(entityFromRow(row)),
    );
  }

  async iterateRelationships(
    filter: { _type: string },
    each: (relationship: GraphRelationship) => void | Promise<void>,
  ): Promise<void> {
    await this.iterateStaged<RelationshipRow>(
      'key, type, class, from_key, to_key, mapping, properties, raw',
      'staged_relationships',
      filter._type,
      (row) => each(relationshipFromRow(row)),
    );
  }

  /** The instance's committed graph, which an incremental run carries unchanged objects over from. */
  previousGraph(): PreviousGraph {
    return previousGraph(this.db, this.instanceId);
  }

  /** What the steps saved at the instance's last committed sync. */
  syncState(): Promise<SyncState> {
    return loadSyncState(this.db, this.instanceId);
  }

  /** Every add is written at once; there is nothing buffered to flush. */
  async flush(): Promise<void> {}

  /**
   * Commits the run in one transaction: diff, versions, protected deletions, sync record; then
   * refreshes the query planner's statistics. A run in which no step succeeded commits nothing
   * and is recorded as failed.
   */
  async commit(run: IntegrationRunResult, options: CommitOptions = {}): Promise<SyncRecord> {
    const ran = run.stepResults.filter((s) => s.status !== 'disabled');
    if (ran.length > 0 && !ran.some((s) => s.status === 'success')) {
      return this.fail(new Error('no step succeeded; nothing was committed'), run);
    }
    try {
      options.onPhase?.('resolving mapped relationships');
      await resolveMappedRelationships(this.scope());
      options.onPhase?.('committing');
      await this.db.transaction(async () => {
        const scope = { ...this.scope(), now: Date.now() };
        const unseen = {
          entities: await countUnseen(scope, ENTITY_KIND),
          relationships: await countUnseen(scope, RELATIONSHIP_KIND),
        };
        const plan = planDeletions(run, unseen, this.maxDeleteShare);
        const counts = await applyStaging(
          scope,
          { entityTypes: plan.entityTypes, relationshipTypes: plan.relationshipTypes, unseen },
          pauseInCommitForTests,
        );
        // Deletions held back leave objects a full sync would not list: the next sync reconciles in full.
        if (run.syncState)
          await saveSyncState(
            this.db,
            this.instanceId,
            this.syncId,
            plan.heldBack.length > 0 ? {} : run.syncState,
          );
        const ok = run.stepResults.every((s) => s.status === 'success' || s.status === 'disabled');
        await this.db.run(
          `UPDATE syncs SET status = ?, ended_on = ?, step_results = ?, type_counts = ?,
             held_back = ?, api_calls = ?, partial_types = ? WHERE id = ?`,
          [
            ok ? 'success' : 'partial',
            Date.now(),
            toStoredJson(run.stepResults),
            toStoredJson(counts),
            toStoredJson(plan.heldBack),
            toStoredJson(run.apiCalls),
            toStoredJson(partialTypeReasons(run)),
            this.syncId,
          ],
        );
        await this.dropStaging({ inCommit: true });
      });
    } catch (err) {
      return this.fail(err, run);
    }
    options.onPhase?.('refreshing query statistics');
    try {
      await refreshPlannerStatistics(this.db);
    } catch {
      // The graph is committed and the old statistics still work; the next commit refreshes them
      // (e.g. another instance's sync held the SQLite write lock past the busy timeout).
    } finally {
      await this.finish();
    }
    return this.readRecord(this.syncId);
  }

  /** Records the sync as failed; the committed graph is left as it was. */
  async fail(error: unknown, run?: IntegrationRunResult): Promise<SyncRecord> {
    const message = error instanceof Error ? error.message : String(error);
    try {
      await this.db.run(
        `UPDATE syncs SET status = 'failed', ended_on = ?, error = ?, step_results = ?, api_calls = ?,
           partial_types = ? WHERE id = ?`,
        [
          Date.now(),
          storedString(message),
          toStoredJson(run?.stepResults ?? []),
          toStoredJson(run?.apiCalls ?? {}),
          toStoredJson(run ? partialTypeReasons(run) : []),
          this.syncId,
        ],
      );
      // A drop that fails (a full disk) leaves rows the next sync's start removes (see beginSync).
      await this.dropStaging().catch(() => undefined);
    } catch (recordError) {
      const why = recordError instanceof Error ? recordError.message : String(recordError);
      throw new StoreError(
        `sync #${this.syncId} failed (${message}) and the failure could not be recorded (${why}); the committed graph was not changed and the next sync marks this one failed`,
        { cause: recordError },
      );
    } finally {
      await this.finish().catch(() => undefined);
    }
    return this.readRecord(this.syncId);
  }

  private scope() {
    return { db: this.db, instanceId: this.instanceId, syncId: this.syncId, staging: this.staging };
  }

  /**
   * Removes this run's staging. Inside a SQLite commit, when no other sync is running, the tables
   * hold this run's rows only and are emptied whole: SQLite's truncate path frees their pages
   * without per-row index work, and the commit's write lock keeps any other sync from staging
   * meanwhile. PostgreSQL lets other syncs stage concurrently, so there only this run's rows go.
   */
  private async dropStaging(options: { inCommit?: boolean } = {}): Promise<void> {
    const [others] =
      options.inCommit && this.db.dialect === 'sqlite'
        ? await this.db.all<{ n: number }>(
            `SELECT COUNT(*) AS n FROM syncs WHERE status = 'running' AND id <> ?`,
            [this.syncId],
          )
        : [];
    const whole = others !== undefined && Number(others.n) === 0;
    for (const table of ['staged_entities', 'staged_relationships'])
      await this.db.run(
        whole ? `DELETE FROM ${table}` : `DELETE FROM ${table} WHERE sync_id = ?`,
        whole ? [] : [this.syncId],
      );
  }

  private async finish(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    clearInterval(this.heartbeat);
    await releaseInstanceLock(this.db, this.instanceId);
    this.onFinish();
  }
}
