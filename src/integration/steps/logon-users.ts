import type { Entity } from '../../graph/types.js';
import { MicrosoftApiError } from '../../microsoft/errors.js';
import type { DefenderLogonUser } from '../../microsoft/types.js';
import {
  createLogonUserEntity,
  createMachineLogonUserRelationship,
  logonUserKey,
  mergeLogonUserRecords,
} from '../converters/logon-user.js';
import { ENTITIES, STEP_IDS } from '../declarations.js';
import type { IntegrationStep } from '../step.js';
import { forEachConcurrently } from './concurrency.js';
import { declaration } from './declaration.js';

/** Requests in flight at once; the pacer, not this, keeps the rate under the quota. */
const CONCURRENCY = 8;

/**
 * Every machine × logon-user pair (the reference linked each logon user to one machine only).
 * No bulk endpoint exists, so one paced call per machine: ≈ machines / 1,500 hours at real quotas.
 */
export const logonUsersStep: IntegrationStep = {
  ...declaration(STEP_IDS.LOGON_USERS),
  async executionHandler({ defender, jobState, progress, logger }) {
    const machines: Entity[] = [];
    await jobState.iterateEntities({ _type: ENTITIES.MACHINE._type }, (m) => {
      machines.push(m);
    });
    // Entities are written once every machine has answered, so each is the same whatever the order.
    const accounts = new Map<string, DefenderLogonUser>();
    let done = 0;
    await forEachConcurrently(machines, CONCURRENCY, async (machine) => {
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
      for (const [key, record] of pairs) {
        const known = accounts.get(key);
        accounts.set(key, known ? mergeLogonUserRecords(known, record) : record);
      }
      await jobState.addRelationships(
        [...pairs.values()].map((u) => createMachineLogonUserRelationship(machine, u)),
      );
      progress(++done, machines.length);
    });
    await jobState.addEntities([...accounts.values()].map(createLogonUserEntity));
  },
};
