import type { ColumnTypes } from './column-types.js';

/**
 * Browser sessions of the HTTP API, kept in the store so that every `serve` process behind one
 * address shares them and a restart logs no one out. The key is the SHA-256 of the cookie value.
 */
export function sessionsSchema(t: ColumnTypes): string[] {
  return [
    `CREATE TABLE sessions (
  id_hash TEXT PRIMARY KEY,
  user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
  created_on ${t.time} NOT NULL,
  seen_on ${t.time} NOT NULL)`,
    `CREATE INDEX sessions_seen ON sessions (seen_on)`,
  ];
}
