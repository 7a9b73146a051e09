import type { ColumnTypes } from './column-types.js';

/**
 * Who may use the HTTP API when it is not bound to loopback: local users (password hashes only)
 * and API tokens for scripts (SHA-256 of the token only; the token itself is shown once).
 */
export function accountsSchema(t: ColumnTypes): string[] {
  return [
    `CREATE TABLE users (
  name TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created_on ${t.time} NOT NULL)`,
    `CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  label TEXT NOT NULL,
  user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
  token_hash TEXT UNIQUE NOT NULL,
  created_on ${t.time} NOT NULL)`,
  ];
}
