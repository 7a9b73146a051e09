import stableStringify from 'fast-json-stable-stringify';
import { MicrosoftApiError } from '../../microsoft/errors.js';
import type { DefenderLogonUser } from '../../microsoft/types.js';
import {
  createLogonUserEntity,
  createMachineLogonUserRelationship,
  logonUserKey,
  mergeLogonUserRecords,
} from '../converters/logon-user.js';
import { ENTITIES, RELATIONSHIPS, STEP_IDS } from '../declarations.js';
import type { Entity, GraphRelationship, PreviousGraph } from '../../graph/types.js';
import type { IntegrationStep } from '../step.js';
import { carryRelationships } from './carry-over.js';
import { forEachConcurrently } from './concurrency.js';
import { declaration } from './declaration.js';

/** Requests in flight at once; the pacer, not this, keeps the rate under the quota. */
const CONCURRENCY = 8;

/**
 * Every machine × logon-user pair (the reference linked each logon user to one machine only).
 * No bulk endpoint exists, so one paced call per machine: ≈ machines / 1,500 hours at real quotas.
 * An incremental sync asks only for machines that are new or whose properties (`lastSeen`
 * included) changed since the previous graph; the others keep their pairs from it.
 */
export const logonUsersStep: IntegrationStep = {
  ...declaration(STEP_IDS.LOGON_USERS),
  async executionHandler({ defender, jobState, progress, logger, changes }) {
    const machines: Entity[] = [];
    await jobState.iterateEntities({ _type: ENTITIES.MACHINE._type }, (m) => {
      machines.push(m);
    });
    const previous = changes?.since?.previous;
    const unchanged = previous ? await unchangedMachines(previous, machines) : new Set<string>();
    const refreshed = machines.filter((m) => !unchanged.has(m._key));
    // Entities are written once every machine has answered, so each is the same whatever the order.
    const accounts = new Map<string, DefenderLogonUser>();
    const record = (key: string, user: DefenderLogonUser) => {
      const known = accounts.get(key);
      accounts.set(key, known ? mergeLogonUserRecords(known, user) : user);
    };
    let done = 0;
    await forEachConcurrently(refreshed, CONCURRENCY, async (machine) => {
      let logonUsers: DefenderLogonUser[];
      try {
        logonUsers = await defender.machineLogonUsers(String(machine.id));
      } catch (err) {
        // A machine offboarded since it was listed answers 404 (after one retry): no logons.
        if (!(err instanceof MicrosoftApiError && err.code === 'NOT_FOUND')) throw err;
        logger?.warn({ machineId: machine.id }, 'machine vanished while listing its logon users');
        logonUsers = [];
      }
      const pairs = new Map(
        logonUsers.map((u) => [logonUserKey(u.accountDomain, u.accountName), u]),
      );
      for (const [key, user] of pairs) record(key, user);
      await jobState.addRelationships(
        [...pairs.values()].map((u) => createMachineLogonUserRelationship(machine, u)),
      );
      progress(++done, refreshed.length);
    });
    if (previous) await carryPairs(previous, unchanged, record, jobState.addRelationships);
    await jobState.addEntities([...accounts.values()].map(createLogonUserEntity));
    changes?.save({});
  },
};

/** What a machine is, for "did it change": every property but raw data. */
function fingerprint({ _rawData: _raw, ...machine }: Entity): string {
  return stableStringify(machine);
}

/** Keys of the machines listed now exactly as the previous graph has them. */
async function unchangedMachines(
  previous: PreviousGraph,
  machines: Entity[],
): Promise<Set<string>> {
  const now = new Map(machines.map((m) => [m._key, fingerprint(m)]));
  const unchanged = new Set<string>();
  await previous.iterateEntities({ _type: ENTITIES.MACHINE._type }, (m) => {
    if (now.get(m._key) === fingerprint(m)) unchanged.add(m._key);
  });
  return unchanged;
}

/**
 * Carries the unchanged machines' pairs over and counts each as a record of its account, so the
 * logon-user entity merges the same records a full sync would: the pair keeps the machine's
 * `isDomainAdmin` and `accountSid`.
 */
async function carryPairs(
  previous: PreviousGraph,
  unchanged: Set<string>,
  record: (key: string, user: DefenderLogonUser) => void,
  write: (relationships: GraphRelationship[]) => Promise<void>,
): Promise<void> {
  const known = new Map<string, Entity>();
  await previous.iterateEntities({ _type: ENTITIES.LOGON_USER._type }, (u) => {
    known.set(u._key, u);
  });
  await carryRelationships(
    previous,
    [RELATIONSHIPS.MACHINE_HAS_LOGON_USER._type],
    (pair) => {
      const account = known.get(String(pair._toEntityKey));
      if (!unchanged.has(String(pair._fromEntityKey)) || !account) return false;
      record(account._key, {
        id: String(account.id),
        accountName: String(account.accountName),
        accountDomain: String(account.accountDomain),
        accountSid: (pair.accountSid as string | undefined) ?? null,
        isDomainAdmin: (pair.isDomainAdmin as boolean | undefined) ?? null,
      });
      return true;
    },
    write,
  );
}
