import { UsageError } from '../util/usage-error.js';

export const DEFAULT_STORE_URL = 'sqlite:./data/defender-graph.db';

export type StoreLocation =
  { dialect: 'sqlite'; path: string } | { dialect: 'postgres'; url: string };

/** `--db` wins, then `DEFENDER_GRAPH_DB`, then the embedded file. */
export function resolveStoreUrl(flag?: string): string {
  return flag ?? process.env.DEFENDER_GRAPH_DB ?? DEFAULT_STORE_URL;
}

/** `name:` at the start; a Windows drive (`C:\`, `C:/`) is a path, not a scheme. */
const SCHEME = /^(?![a-z]:[\\/])[a-z][a-z0-9+.-]*:/i;

export function parseStoreUrl(url: string): StoreLocation {
  // A bare path (`./data/x.db`) is what a user of a single file means: SQLite.
  if (url !== '' && !SCHEME.test(url)) return { dialect: 'sqlite', path: url };
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw new UsageError(`--db ${url}: the sqlite: URL needs a file path`);
    return { dialect: 'sqlite', path };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://'))
    return { dialect: 'postgres', url };
  throw new UsageError(
    `--db: unsupported store URL "${redactUrl(url)}" (use a file path, sqlite:PATH or postgres://USER@HOST:PORT/DB)`,
  );
}

/** A URL fit for messages: the password, if any, is never printed. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
