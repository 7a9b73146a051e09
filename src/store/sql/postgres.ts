import pg from 'pg';
import type { SqlConnection } from './connection.js';
import { ReadBudgetError, type ReadOptions } from './read-budget.js';

/** PostgreSQL's query_canceled: what statement_timeout raises. */
const QUERY_CANCELED = '57014';

const asText = (value: string) => value;

/**
 * bigint columns (times) come back as numbers: epoch milliseconds fit a double exactly. JSON
 * columns come back as text, as on SQLite, so one reader (store/stored-json.ts) decodes both.
 */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8
      ? (value: string) => Number(value)
      : oid === pg.types.builtins.JSONB || oid === pg.types.builtins.JSON
        ? asText
        : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

/** `?` → `$n`. The store's SQL never contains `?` inside literals or as a jsonb operator. */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** One PostgreSQL session: session state (advisory locks, transactions) lives on it. */
export class PostgresConnection implements SqlConnection {
  readonly dialect = 'postgres' as const;
  /** One statement at a time on the session: concurrent steps and the heartbeat take turns. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly client: pg.Client) {}

  private query(sql: string, params?: unknown[]): Promise<pg.QueryResult> {
    const result = this.queue.then(() => this.client.query(sql, params));
    this.queue = result.catch(() => undefined);
    return result;
  }

  static async connect(url: string): Promise<PostgresConnection> {
    const client = new pg.Client({ connectionString: url, types });
    // A dropped connection must not crash the process; the next query reports it.
    client.on('error', () => undefined);
    await client.connect();
    return new PostgresConnection(client);
  }

  async all<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    const result = await this.query(numberPlaceholders(sql), params);
    return result.rows as T[];
  }

  async allNative<T>(sql: string, params: unknown[] = [], budget?: ReadOptions): Promise<T[]> {
    if (!budget) return (await this.query(sql, params)).rows as T[];
    // One queued job, so no other statement of this session runs inside the read's transaction.
    const read = this.queue.then(async () => {
      await this.client.query('BEGIN READ ONLY');
      try {
        await this.client.query(
          `SET LOCAL statement_timeout = ${Math.max(1, Math.ceil(budget.timeoutMs))}`,
        );
        // JIT compiles a long statement's many expressions for seconds (12.6 s of a 15 s
        // five-hop J1QL chain on 10,000 machines) to save milliseconds on a few thousand rows.
        await this.client.query('SET LOCAL jit = off');
        if (budget.writtenJoinOrder) await this.client.query('SET LOCAL join_collapse_limit = 1');
        const result = await this.client.query(sql, params);
        await this.client.query('COMMIT');
        return result.rows as T[];
      } catch (err) {
        await this.client.query('ROLLBACK').catch(() => undefined);
        if ((err as { code?: unknown }).code === QUERY_CANCELED)
          throw new ReadBudgetError(budget.timeoutMs);
        throw err;
      }
    });
    this.queue = read.catch(() => undefined);
    return read;
  }

  async run(sql: string, params: unknown[] = []): Promise<number> {
    const result = await this.query(numberPlaceholders(sql), params);
    return result.rowCount ?? 0;
  }

  async exec(sql: string): Promise<void> {
    await this.query(sql);
  }

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    await this.query('BEGIN');
    try {
      const result = await fn();
      await this.query('COMMIT');
      return result;
    } catch (err) {
      await this.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}
