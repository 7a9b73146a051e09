import { dirname } from 'node:path';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import type { SqlConnection } from './connection.js';
import { jsRegexp, REGEXP_FUNCTION } from './sqlite-regexp.js';
import { makePrivateDir, touchPrivateFile } from '../../util/private-files.js';
import { BudgetClock, BUDGET_FUNCTION, type ReadOptions } from './read-budget.js';

type Statement = Database.Statement<unknown[]>;

/** better-sqlite3 binds no booleans: flags are stored as 0/1. */
function bindable(params: unknown[]): unknown[] {
  return params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
}

export class SqliteConnection implements SqlConnection {
  readonly dialect = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Statement>();
  private readonly clock = new BudgetClock();

  constructor(path: string, options: { readOnly?: boolean } = {}) {
    // SQLite gives its -wal and -shm files the database file's mode.
    if (path !== ':memory:' && !options.readOnly) {
      makePrivateDir(dirname(path));
      touchPrivateFile(path);
    }
    this.db = new Database(path);
    // WAL lets readers see the last committed graph while a sync writes.
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 10000');
    this.db.pragma('foreign_keys = ON');
    // 64 MiB of page cache: commits of large tenants touch random pages of the key and _id
    // indexes; a fixed cache keeps memory flat whatever the tenant size.
    this.db.pragma('cache_size = -65536');
    if (options.readOnly) this.db.pragma('query_only = ON');
    // Same SQL as PostgreSQL for new _id values.
    this.db.function('gen_random_uuid', () => randomUUID());
    this.db.function(REGEXP_FUNCTION, { deterministic: true }, jsRegexp);
    this.db.function(BUDGET_FUNCTION, { deterministic: false, varargs: true }, this.clock.check);
  }

  private prepare(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  async all<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.prepare(sql).all(...bindable(params)) as T[];
  }

  async allNative<T>(sql: string, params: unknown[] = [], budget?: ReadOptions): Promise<T[]> {
    const statement = this.prepare(sql);
    return this.clock.run(budget, () => statement.all(...bindable(params)) as T[]);
  }

  async run(sql: string, params: unknown[] = []): Promise<number> {
    return this.prepare(sql).run(...bindable(params)).changes;
  }

  async exec(sql: string): Promise<void> {
    this.db.exec(sql);
  }

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    // IMMEDIATE takes the write lock up front, so two writers queue instead of failing mid-way.
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = await fn();
      this.db.exec('COMMIT');
      return result;
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw err;
    }
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
