import type { GroundTruth } from '../../src/emulator/tenant/types.js';
import type { GraphStore } from '../../src/store/index.js';
import { keys } from './expected-changes.js';

/** What the fault tests compare before and after a fault, and against `/admin/truth`. */

/** Every live key, entities and relationships: equal snapshots mean nothing was deleted. */
export async function liveKeys(store: GraphStore): Promise<string[]> {
  const rows = await store.read<{ key: string }>(
    `SELECT key FROM entities WHERE deleted = FALSE
     UNION ALL SELECT key FROM relationships WHERE deleted = FALSE`,
    [],
  );
  return rows.map((r) => r.key).sort();
}

async function liveOfType(store: GraphStore, type: string): Promise<string[]> {
  const p = store.dialect === 'sqlite' ? '?' : '$1';
  const rows = await store.read<{ key: string }>(
    `SELECT key FROM entities WHERE deleted = FALSE AND type = ${p}`,
    [type],
  );
  return rows.map((r) => r.key).sort();
}

/** Users, groups and machines by key, and the number of logon users, as the truth has them. */
export function expectedFromTruth(truth: GroundTruth) {
  return {
    users: truth.users!.map(keys.user).sort(),
    groups: truth.groups!.map(keys.group).sort(),
    machines: truth.machines!.map(keys.machine).sort(),
    logonUsers: truth.counts.logonUsers,
  };
}

/** The same facts read from the committed graph. */
export async function storedFacts(store: GraphStore) {
  return {
    users: await liveOfType(store, 'microsoft_defender_user'),
    groups: await liveOfType(store, 'microsoft_defender_user_group'),
    machines: await liveOfType(store, 'microsoft_defender_machine'),
    logonUsers: (await liveOfType(store, 'microsoft_defender_logon_user')).length,
  };
}
