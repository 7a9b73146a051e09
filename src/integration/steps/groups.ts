import type { GraphRelationship } from '../../graph/types.js';
import { createGroupEntity, createGroupMemberRelationship } from '../converters/group.js';
import { STEP_IDS } from '../declarations.js';
import type { IntegrationStep } from '../step.js';
import { accountHas, findAccount } from './account.js';
import { forEachConcurrently } from './concurrency.js';
import { declaration } from './declaration.js';
import { unseen } from './unseen.js';

/** Member listings in flight at once; the shared Graph bucket paces them. */
const MEMBER_CONCURRENCY = 4;

export const groupsStep: IntegrationStep = {
  ...declaration(STEP_IDS.GROUPS),
  async executionHandler({ graph, jobState, progress }) {
    const account = await findAccount(jobState);
    const groups = [];
    const seen = new Set<string>();
    for await (const page of graph.groups()) {
      const entities = unseen(page, seen).map(createGroupEntity);
      await jobState.addEntities(entities);
      await jobState.addRelationships(accountHas(account, entities));
      groups.push(...entities);
    }
    let done = 0;
    await forEachConcurrently(groups, MEMBER_CONCURRENCY, async (group) => {
      const keys = new Set<string>();
      for await (const page of graph.groupMembers(String(group.id))) {
        const relationships: GraphRelationship[] = [];
        for (const member of page) {
          const relationship = createGroupMemberRelationship(group, member);
          if (keys.has(relationship._key)) continue;
          keys.add(relationship._key);
          relationships.push(relationship);
        }
        await jobState.addRelationships(relationships);
      }
      progress(++done, groups.length);
    });
  },
};
