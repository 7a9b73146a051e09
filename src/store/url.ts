import { UsageError } from '../util/usage-error.js';

export const DEFAULT_STORE_URL = 'sqlite:./data/defender-graph.db';

export type StoreLocation =
  { dialect: 'sqlite'; path: string } | { dialect: 'postgres'; url: string };

/** `--db` wins, then `DEFENDER_GRAPH_DB`, then the embedded file. */
export function resolveStoreUrl(flag?: string): string {
  return flag ?? process.env.DEFENDER_GRAPH_DB ?? DEFAULT_STORE_URL;
}

export function parseStoreUrl(url: string): StoreLocation {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw new UsageError(`--db ${url}: the sqlite: URL needs a file path`);
    return { dialect: 'sqlite', path };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://'))
    return { dialect: 'postgres', url };
  throw new UsageError(
    `--db: unsupported store URL "${redactUrl(url)}" (use sqlite:PATH or postgres://USER@HOST:PORT/DB)`,
  );
}

/** A URL fit for messages: the password, if any, is never printed. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
