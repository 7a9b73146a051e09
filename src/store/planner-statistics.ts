import type { SqlConnection } from './sql/connection.js';

/** The tables J1QL reads: their statistics decide which index a traversal uses. */
const QUERIED_TABLES = ['entities', 'entity_classes', 'relationships'];

/**
 * Refreshes the query planner's statistics after a commit, outside its transaction so the new
 * graph is visible at once. SQLite's `PRAGMA optimize` re-analyses only tables never analysed or
 * whose size changed a lot (cheap on a routine sync); PostgreSQL's ANALYZE samples a bounded
 * number of rows per table.
 */
export async function refreshPlannerStatistics(db: SqlConnection): Promise<void> {
  await db.exec(
    db.dialect === 'sqlite' ? 'PRAGMA optimize' : `ANALYZE ${QUERIED_TABLES.join(', ')}`,
  );
}
