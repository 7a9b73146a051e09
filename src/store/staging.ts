import type { SqlConnection } from './sql/connection.js';
import { columnTypes } from './migrations/column-types.js';
import type { ObjectKind } from './object-kinds.js';

/** A staged column and what it holds when that is not text. */
export interface StagedColumn {
  name: string;
  holds?: 'json' | 'blob';
}

export const STAGED_ENTITY_COLUMNS: StagedColumn[] = [
  { name: 'type' },
  { name: 'classes', holds: 'json' },
  { name: 'properties', holds: 'json' },
  { name: 'raw', holds: 'blob' },
  { name: 'hash' },
  { name: 'source' },
];

export const STAGED_RELATIONSHIP_COLUMNS: StagedColumn[] = [
  { name: 'type' },
  { name: 'class' },
  { name: 'from_key' },
  { name: 'to_key' },
  { name: 'mapping', holds: 'json' },
  { name: 'properties', holds: 'json' },
  { name: 'raw', holds: 'blob' },
  { name: 'hash' },
];

export interface StagedRow {
  key: string;
  values: unknown[];
}

/**
 * Writes this run's staging, diffing each row against the committed graph in the same statement
 * (one primary-key lookup per row, while the row is written anyway): `change` says whether the
 * commit must create it, bring it back from deletion or write a new version (NULL: unchanged, the
 * commit never touches it), and the rows that see a live integration-managed object are counted
 * per committed type, so the commit knows which types lost objects without scanning the tenant.
 * A mapped relationship not yet resolved (no `from_key`) is diffed when it is resolved.
 */
export class StagingWriter {
  /** Per kind and committed type: live integration-managed objects this run staged again. */
  readonly seen = { entity: new Map<string, number>(), relationship: new Map<string, number>() };

  constructor(
    private readonly db: SqlConnection,
    readonly syncId: number,
    readonly instanceId: string,
  ) {}

  /** Inserts `rows`; returns the keys inserted (a key already staged in this run is skipped). */
  async stage(
    kind: ObjectKind,
    stepId: string,
    columns: StagedColumn[],
    rows: StagedRow[],
  ): Promise<Set<string>> {
    const types = columnTypes(this.db.dialect);
    // Typed in the VALUES list itself: PostgreSQL would read an untyped parameter as text.
    const param = (c: StagedColumn) => (c.holds ? `CAST(? AS ${types[c.holds]})` : '?');
    const hash = `v.column${columns.findIndex((c) => c.name === 'hash') + 2}`;
    const unresolved =
      kind.name === 'relationship'
        ? `v.column${columns.findIndex((c) => c.name === 'from_key') + 2} IS NULL`
        : 'FALSE';
    const tuple = `(${['?', ...columns.map(param)].join(', ')})`;
    // INSERT … SELECT with ON CONFLICT needs a WHERE on SQLite (a parsing ambiguity otherwise).
    const inserted = await this.db.all<{ key: string; seen_type: string | null }>(
      `INSERT INTO ${kind.staged} (sync_id, key, step_id, ${columns.map((c) => c.name).join(', ')}, change, seen_type)
       SELECT CAST(? AS INTEGER), v.column1, CAST(? AS TEXT), ${columns.map((_, i) => `v.column${i + 2}`).join(', ')},
         CASE WHEN ${unresolved} THEN NULL WHEN c.key IS NULL THEN 'created'
           WHEN c.deleted = TRUE THEN 'recreated' WHEN c.hash <> ${hash} THEN 'updated' END,
         CASE WHEN NOT (${unresolved}) AND c.deleted = FALSE AND c.source = 'integration-managed'
           THEN c.type END
       FROM (VALUES ${rows.map(() => tuple).join(', ')}) v
         LEFT JOIN ${kind.table} c ON c.instance_id = ? AND c.key = v.column1
       WHERE TRUE
       ON CONFLICT (sync_id, key) DO NOTHING RETURNING key, seen_type`,
      [this.syncId, stepId, ...rows.flatMap((r) => [r.key, ...r.values]), this.instanceId],
    );
    const seen = this.seen[kind.name];
    for (const row of inserted)
      if (row.seen_type !== null) seen.set(row.seen_type, (seen.get(row.seen_type) ?? 0) + 1);
    return new Set(inserted.map((r) => r.key));
  }
}
