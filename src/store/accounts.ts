/**
 * Local users and API tokens of the HTTP API. Only hashes are stored: hashing and checking
 * passwords and tokens belong to the server's auth part; this module keeps the rows.
 */
import type { SqlConnection } from './sql/connection.js';
import { StoreError } from './sql/connection.js';

export const ROLES = ['viewer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface UserRecord {
  name: string;
  role: Role;
  passwordHash: string;
  createdOn: number;
}

export interface ApiTokenRecord {
  id: string;
  label: string;
  userName: string;
  createdOn: number;
}

interface UserRow {
  name: string;
  role: Role;
  password_hash: string;
  created_on: number | string;
}

interface TokenRow {
  id: string;
  label: string;
  user_name: string;
  created_on: number | string;
}

const userFromRow = (row: UserRow): UserRecord => ({
  name: row.name,
  role: row.role,
  passwordHash: row.password_hash,
  createdOn: Number(row.created_on),
});

const tokenFromRow = (row: TokenRow): ApiTokenRecord => ({
  id: row.id,
  label: row.label,
  userName: row.user_name,
  createdOn: Number(row.created_on),
});

/**
 * Writes go through the store's writer; lookups use the reader, so a login never waits behind a
 * sync's commit on the writer session (and nothing of it lands in the sync's transaction).
 */
export class AccountStore {
  constructor(
    private readonly db: SqlConnection,
    private readonly reader: SqlConnection,
  ) {}

  async addUser(user: UserRecord): Promise<void> {
    if (await this.findUser(user.name))
      throw new StoreError(`a user named "${user.name}" already exists`);
    await this.db.run(
      'INSERT INTO users (name, role, password_hash, created_on) VALUES (?, ?, ?, ?)',
      [user.name, user.role, user.passwordHash, user.createdOn],
    );
  }

  async findUser(name: string): Promise<UserRecord | undefined> {
    const [row] = await this.reader.all<UserRow>('SELECT * FROM users WHERE name = ?', [name]);
    return row ? userFromRow(row) : undefined;
  }

  async listUsers(): Promise<UserRecord[]> {
    return (await this.reader.all<UserRow>('SELECT * FROM users ORDER BY name')).map(userFromRow);
  }

  /** Removes the user and, with it, every token it owns. False when there was no such user. */
  async removeUser(name: string): Promise<boolean> {
    return this.db.transaction(async () => {
      await this.db.run('DELETE FROM api_tokens WHERE user_name = ?', [name]);
      return (await this.db.run('DELETE FROM users WHERE name = ?', [name])) > 0;
    });
  }

  async addToken(token: ApiTokenRecord, tokenHash: string): Promise<void> {
    if (!(await this.findUser(token.userName)))
      throw new StoreError(`no user named "${token.userName}"`);
    await this.db.run(
      'INSERT INTO api_tokens (id, label, user_name, token_hash, created_on) VALUES (?, ?, ?, ?, ?)',
      [token.id, token.label, token.userName, tokenHash, token.createdOn],
    );
  }

  /** The token with this hash and its owner. */
  async findToken(
    tokenHash: string,
  ): Promise<{ token: ApiTokenRecord; user: UserRecord } | undefined> {
    const [row] = await this.reader.all<TokenRow>(
      'SELECT id, label, user_name, created_on FROM api_tokens WHERE token_hash = ?',
      [tokenHash],
    );
    const user = row && (await this.findUser(row.user_name));
    return row && user ? { token: tokenFromRow(row), user } : undefined;
  }

  async listTokens(): Promise<ApiTokenRecord[]> {
    return (
      await this.reader.all<TokenRow>(
        'SELECT id, label, user_name, created_on FROM api_tokens ORDER BY user_name, created_on',
      )
    ).map(tokenFromRow);
  }

  async removeToken(id: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM api_tokens WHERE id = ?', [id])) > 0;
  }
}
