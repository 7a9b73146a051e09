import { StoreError } from './connection.js';

/**
 * How one read (a J1QL query's statement) runs. PostgreSQL enforces the time budget itself
 * (statement_timeout); better-sqlite3 can neither interrupt a statement nor install a progress
 * handler, so SQLite statements call `dg_read_budget(x)` once per row of their innermost loop,
 * which throws when the time is spent.
 */
export interface ReadOptions {
  /** Wall-clock milliseconds the statement may run. */
  timeoutMs: number;
  /**
   * Join in the order the statement's CROSS JOINs are written (SQLite always does). For
   * PostgreSQL, whose estimates over JSON filters and long chains (past its exhaustive-search
   * limit of 12 tables it plans genetically) picked plans thousands of times slower.
   */
  writtenJoinOrder?: boolean;
}

export const BUDGET_FUNCTION = 'dg_read_budget';

/** The statement ran past its budget and was cancelled; nothing was changed. */
export class ReadBudgetError extends StoreError {
  override name = 'ReadBudgetError';
  constructor(readonly timeoutMs: number) {
    super(`the read was cancelled after its time budget of ${timeoutMs} ms`);
  }
}

/** The clock is read every this many rows: a call costs little, reading the clock more. */
const CHECK_EVERY = 1024;

/** The per-connection state behind `dg_read_budget`: set around each budgeted statement. */
export class BudgetClock {
  private deadline = Number.POSITIVE_INFINITY;
  private budget = 0;
  private calls = 0;

  /** Runs `read` (synchronous: better-sqlite3) under `budget`. */
  run<T>(budget: ReadOptions | undefined, read: () => T): T {
    if (!budget) return read();
    this.deadline = Date.now() + budget.timeoutMs;
    this.budget = budget.timeoutMs;
    this.calls = 0;
    try {
      return read();
    } finally {
      this.deadline = Number.POSITIVE_INFINITY;
    }
  }

  /** The SQL function's body: always 1, unless the budget is spent. */
  readonly check = (): number => {
    if (++this.calls % CHECK_EVERY === 0 && Date.now() > this.deadline)
      throw new ReadBudgetError(this.budget);
    return 1;
  };
}
