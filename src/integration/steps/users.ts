import { createUserEntity } from '../converters/user.js';
import { STEP_IDS } from '../declarations.js';
import { directRelationship } from '../relationships.js';
import type { IntegrationStep } from '../step.js';
import { findAccount } from './account.js';
import { declaration } from './declaration.js';

export const usersStep: IntegrationStep = {
  ...declaration(STEP_IDS.USERS),
  async executionHandler({ graph, jobState, progress }) {
    const account = await findAccount(jobState);
    const seen = new Set<string>();
    for await (const page of graph.users()) {
      const users = page.filter((u) => !seen.has(u.id)).map(createUserEntity);
      users.forEach((u) => seen.add(String(u.id)));
      await jobState.addEntities(users);
      if (account)
        await jobState.addRelationships(users.map((u) => directRelationship('HAS', account, u)));
      progress(seen.size);
    }
  },
};
