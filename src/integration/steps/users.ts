import { createUserEntity } from '../converters/user.js';
import { STEP_IDS } from '../declarations.js';
import type { IntegrationStep } from '../step.js';
import { accountHas, findAccount } from './account.js';
import { declaration } from './declaration.js';
import { unseen } from './unseen.js';

export const usersStep: IntegrationStep = {
  ...declaration(STEP_IDS.USERS),
  async executionHandler({ graph, jobState, progress }) {
    const account = await findAccount(jobState);
    const seen = new Set<string>();
    for await (const page of graph.users()) {
      const users = unseen(page, seen).map(createUserEntity);
      await jobState.addEntities(users);
      await jobState.addRelationships(accountHas(account, users));
      progress(seen.size);
    }
  },
};
