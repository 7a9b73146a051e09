import type { SqlConnection } from './sql/connection.js';

/** The tables J1QL reads (`instances` too: with no statistics PostgreSQL avoids index walks). */
const QUERIED_TABLES = ['instances', 'entities', 'entity_classes', 'relationships'];

/**
 * SQLite's `PRAGMA optimize` re-analyses a table only when it was never analysed or its size
 * changed a lot (cheap on a routine sync). Mask 0x10002 = analyse, check every table, and no
 * default row limit: a limited ANALYZE samples only the first index entries, which in a graph
 * are the account's thousands of HAS links, and then estimates thousands of rows per key, so
 * hops fall back to scanning every relationship of the instance.
 */
const SQLITE_OPTIMIZE = 'PRAGMA optimize(0x10002)';

/**
 * Refreshes the query planner's statistics after a commit, outside its transaction so the new
 * graph is visible at once. PostgreSQL's ANALYZE samples a bounded number of rows per table.
 */
export async function refreshPlannerStatistics(db: SqlConnection): Promise<void> {
  await db.exec(db.dialect === 'sqlite' ? SQLITE_OPTIMIZE : `ANALYZE ${QUERIED_TABLES.join(', ')}`);
}
