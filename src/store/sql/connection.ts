/**
 * The one seam between the store's SQL and a database driver. Statements are written once with `?`
 * placeholders; each driver adapts placeholders, booleans and result types, so the store's logic
 * never forks per backend.
 */
import type { ReadOptions } from './read-budget.js';

export type Dialect = 'sqlite' | 'postgres';

export interface SqlConnection {
  readonly dialect: Dialect;
  /** Rows of a SELECT (or of a statement with RETURNING). */
  all<T>(sql: string, params?: unknown[]): Promise<T[]>;
  /**
   * Rows of a SELECT written with the driver's own placeholders (`?` SQLite, `$n` PostgreSQL).
   * With a budget the statement is cancelled (ReadBudgetError) once it runs longer.
   */
  allNative<T>(sql: string, params?: unknown[], budget?: ReadOptions): Promise<T[]>;
  /** Runs a statement; resolves to the number of rows it changed. */
  run(sql: string, params?: unknown[]): Promise<number>;
  /** Several statements without parameters (DDL). */
  exec(sql: string): Promise<void>;
  /** Runs `fn` in one transaction that takes the write lock at once; rolls back if `fn` throws. */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Errors the store raises on purpose: the CLI prints the message alone. */
export class StoreError extends Error {
  override name = 'StoreError';
}
