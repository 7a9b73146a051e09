import { createDeviceEntity, createMachineEntity } from '../converters/machine.js';
import { STEP_IDS } from '../declarations.js';
import { directRelationship } from '../relationships.js';
import type { IntegrationStep } from '../step.js';
import { accountHas, findAccount } from './account.js';
import { declaration } from './declaration.js';
import { unseen } from './unseen.js';

export const machinesStep: IntegrationStep = {
  ...declaration(STEP_IDS.MACHINES),
  async executionHandler({ defender, jobState, progress }) {
    const account = await findAccount(jobState);
    const seen = new Set<string>();
    for await (const page of defender.machines()) {
      const fresh = unseen(page, seen);
      const machines = fresh.map(createMachineEntity);
      const devices = fresh.map(createDeviceEntity);
      await jobState.addEntities([...machines, ...devices]);
      await jobState.addRelationships([
        ...accountHas(account, machines),
        ...machines.map((m, i) => directRelationship('MANAGES', m, devices[i]!)),
      ]);
      progress(seen.size);
    }
  },
};
