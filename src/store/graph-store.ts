import type { Dialect, SqlConnection } from './sql/connection.js';

/** The graph database: committed graph, sync records, sync sessions. */
export interface GraphStore {
  readonly dialect: Dialect;
  /** The store URL without any password. */
  readonly url: string;
  /**
   * Read-only SQL on the last committed graph (never staging). Placeholders: `?` on SQLite,
   * `$1..$n` on PostgreSQL.
   */
  read<T>(sql: string, params: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export class SqlGraphStore implements GraphStore {
  readonly dialect: Dialect;

  constructor(
    private readonly writer: SqlConnection,
    private readonly reader: SqlConnection,
    readonly url: string,
  ) {
    this.dialect = writer.dialect;
  }

  async read<T>(sql: string, params: unknown[]): Promise<T[]> {
    return this.reader.allNative<T>(sql, params);
  }

  async close(): Promise<void> {
    await this.reader.close();
    await this.writer.close();
  }
}
