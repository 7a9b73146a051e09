import type { Entity } from '../../graph/types.js';
import { isExpiredDeltaToken } from '../../microsoft/paging.js';
import { createUserEntity } from '../converters/user.js';
import { ENTITIES, STEP_IDS } from '../declarations.js';
import type { IntegrationStep, StepContext } from '../step.js';
import { accountHas, findAccount } from './account.js';
import { carryEntities } from './carry-over.js';
import { declaration } from './declaration.js';
import { unseen } from './unseen.js';

/**
 * Users and account HAS user. In full, the listing; in an incremental sync, the users delta since
 * the saved deltaLink (changed users listed again, `@removed` ones left out) and every other user
 * carried over from the previous graph. An expired delta token falls back to the full listing.
 */
export const usersStep: IntegrationStep = {
  ...declaration(STEP_IDS.USERS),
  async executionHandler(context) {
    const { graph, jobState, progress, changes, logger } = context;
    const account = await findAccount(jobState);
    const write = async (users: Entity[]) => {
      await jobState.addEntities(users);
      await jobState.addRelationships(accountHas(account, users));
    };
    // Ids already written: a full listing after an expired token must not write them again.
    const seen = new Set<string>();
    const deltaLink = changes?.since?.state.deltaLink;
    if (changes?.since && deltaLink) {
      try {
        const next = await incremental(context, deltaLink, seen, write);
        changes.save({ deltaLink: next });
        return;
      } catch (err) {
        if (!isExpiredDeltaToken(err)) throw err;
        logger?.warn({ step: STEP_IDS.USERS }, 'users delta token expired: listing every user');
      }
    }
    const next = changes && (await graph.latestDeltaLink('users'));
    for await (const page of graph.users()) {
      await write(unseen(page, seen).map(createUserEntity));
      progress(seen.size);
    }
    if (next) changes.save({ deltaLink: next });
  },
};

async function incremental(
  { graph, changes, progress }: StepContext,
  deltaLink: string,
  seen: Set<string>,
  write: (users: Entity[]) => Promise<void>,
): Promise<string> {
  const removed = new Set<string>();
  const next = await graph.usersDelta(deltaLink, async (items) => {
    for (const item of items) if (item['@removed']) removed.add(item.id);
    await write(
      unseen(
        items.filter((item) => !item['@removed']),
        seen,
      ).map(createUserEntity),
    );
    progress(seen.size);
  });
  await carryEntities(
    changes!.since!.previous,
    ENTITIES.USER._type,
    (user) => !seen.has(String(user.id)) && !removed.has(String(user.id)),
    async (users) => {
      users.forEach((u) => seen.add(String(u.id)));
      await write(users);
    },
  );
  return next;
}
