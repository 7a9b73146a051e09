import { UsageError } from '../util/usage-error.js';
import {
  openGraphStore,
  resolveStoreUrl,
  type GraphStore,
  type OpenOptions,
} from '../store/index.js';

/** Shared by the store's commands: `--db` / DEFENDER_GRAPH_DB, opened and always closed. */
export async function withStore<T>(
  db: string | undefined,
  fn: (store: GraphStore) => Promise<T>,
  options: OpenOptions = {},
): Promise<T> {
  const store = await openGraphStore(resolveStoreUrl(db), options);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/**
 * For commands that only read (or act on what a sync stored): a store that does not exist is
 * "no store at PATH; run sync first" (exit 2), and nothing is created.
 */
export function withExistingStore<T>(
  db: string | undefined,
  fn: (store: GraphStore) => Promise<T>,
): Promise<T> {
  return withStore(db, fn, { mustExist: true });
}

export const DB_OPTION_HELP =
  'store: a file path, sqlite:PATH or postgres://USER@HOST:PORT/DB (default: $DEFENDER_GRAPH_DB, else sqlite:./data/defender-graph.db)';

export function parseShare(value: string): number {
  const share = Number(value);
  if (value.trim() === '' || !Number.isFinite(share) || share < 0 || share > 1)
    throw new UsageError(`--max-delete-share must be a number from 0 to 1, got '${value}'`);
  return share;
}

const UNITS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** `30m`, `24h`, `7d`, `2w` → milliseconds. */
export function parseDuration(flag: string, value: string): number {
  const match = /^(\d+(?:\.\d+)?)([smhdw])$/.exec(value.trim());
  if (!match)
    throw new UsageError(`--${flag} must be a duration such as 30m, 24h or 7d, got '${value}'`);
  return Number(match[1]) * UNITS[match[2]!]!;
}

/** `--instance NAME` as the store knows it; unknown names are a usage error listing the known ones. */
export async function instanceIdOf(
  store: GraphStore,
  name: string | undefined,
): Promise<string | undefined> {
  if (name === undefined) return undefined;
  const found = await store.findInstance(name);
  if (found) return found.id;
  const known = (await store.instances()).map((i) => i.name);
  throw new UsageError(
    `--instance: no instance named "${name}" in the store (${known.length ? `have: ${known.join(', ')}` : 'nothing synced yet'})`,
  );
}
