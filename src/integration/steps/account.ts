import type { Entity, Relationship } from '../../graph/types.js';
import { createAccountEntity } from '../converters/account.js';
import { ENTITIES, STEP_IDS } from '../declarations.js';
import { directRelationship } from '../relationships.js';
import type { IntegrationStep, JobState, StepContext } from '../step.js';
import { declaration } from './declaration.js';

export const accountStep: IntegrationStep = {
  ...declaration(STEP_IDS.ACCOUNT),
  async executionHandler({ graph, jobState, instance }: StepContext) {
    await jobState.addEntities([createAccountEntity(await graph.organization(), instance.name)]);
  },
};

/** The account entity, if the account step produced one (dependents still run when it failed). */
export async function findAccount(jobState: JobState): Promise<Entity | undefined> {
  let account: Entity | undefined;
  await jobState.iterateEntities({ _type: ENTITIES.ACCOUNT._type }, (e) => {
    account ??= e;
  });
  return account;
}

/** Account HAS each entity; none when the account step produced no account. */
export function accountHas(account: Entity | undefined, entities: Entity[]): Relationship[] {
  return account ? entities.map((e) => directRelationship('HAS', account, e)) : [];
}
