import { createDeviceEntity, createMachineEntity } from '../converters/machine.js';
import { STEP_IDS } from '../declarations.js';
import { directRelationship } from '../relationships.js';
import type { IntegrationStep } from '../step.js';
import { findAccount } from './account.js';
import { declaration } from './declaration.js';

export const machinesStep: IntegrationStep = {
  ...declaration(STEP_IDS.MACHINES),
  async executionHandler({ defender, jobState, progress }) {
    const account = await findAccount(jobState);
    // $skip paging over a changing list can repeat a row (defender-api.md §3.3): dedupe by id.
    const seen = new Set<string>();
    for await (const page of defender.machines()) {
      const fresh = page.filter((m) => !seen.has(m.id) && seen.add(m.id));
      const machines = fresh.map(createMachineEntity);
      const devices = fresh.map(createDeviceEntity);
      await jobState.addEntities([...machines, ...devices]);
      await jobState.addRelationships([
        ...(account ? machines.map((m) => directRelationship('HAS', account, m)) : []),
        ...machines.map((m, i) => directRelationship('MANAGES', m, devices[i]!)),
      ]);
      progress(seen.size);
    }
  },
};
