import type { Entity, GraphRelationship } from '../../graph/types.js';
import { isExpiredDeltaToken } from '../../microsoft/paging.js';
import type { GraphDirectoryObject, GraphGroupDelta } from '../../microsoft/types.js';
import { createGroupEntity, createGroupMemberRelationship, groupKey } from '../converters/group.js';
import { ENTITIES, STEP_IDS } from '../declarations.js';
import type { IntegrationStep, StepContext } from '../step.js';
import { accountHas, findAccount } from './account.js';
import { carryEntities, carryRelationships, fromKeyOf } from './carry-over.js';
import { forEachConcurrently } from './concurrency.js';
import { declaration, declaredMemberTypes } from './declaration.js';
import { unseen } from './unseen.js';

/** Member listings in flight at once; the shared Graph bucket paces them. */
const MEMBER_CONCURRENCY = 4;

type Write = (groups: Entity[]) => Promise<void>;

/**
 * Groups, account HAS group, and group HAS member. In full, the group listing and each group's
 * members; in an incremental sync, the groups delta since the saved deltaLink (changed groups, and
 * `members@delta`: members that joined, or left with `@removed`) and everything else carried over
 * from the previous graph. An expired delta token falls back to the full listing.
 */
export const groupsStep: IntegrationStep = {
  ...declaration(STEP_IDS.GROUPS),
  async executionHandler(context) {
    const { graph, jobState, progress, changes, logger } = context;
    const account = await findAccount(jobState);
    const write: Write = async (groups) => {
      await jobState.addEntities(groups);
      await jobState.addRelationships(accountHas(account, groups));
    };
    const deltaLink = changes?.since?.state.deltaLink;
    if (changes?.since && deltaLink) {
      try {
        changes.save({ deltaLink: await incremental(context, deltaLink, write) });
        return;
      } catch (err) {
        if (!isExpiredDeltaToken(err)) throw err;
        logger?.warn({ step: STEP_IDS.GROUPS }, 'groups delta token expired: listing every group');
      }
    }
    const next = changes && (await graph.latestDeltaLink('groups'));
    const groups: Entity[] = [];
    const seen = new Set<string>();
    for await (const page of graph.groups()) {
      const entities = unseen(page, seen).map(createGroupEntity);
      await write(entities);
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
    if (next) changes.save({ deltaLink: next });
  },
};

/** One delta round: the same group can come on several pages, so items are merged by id (§5.6). */
async function incremental(
  { graph, jobState, changes }: StepContext,
  deltaLink: string,
  write: Write,
): Promise<string> {
  const changed = new Map<string, GraphGroupDelta>();
  const removedGroups = new Set<string>();
  /** Group id → member id → the member's last word in this round (joined, or left). */
  const memberChanges = new Map<string, Map<string, GraphDirectoryObject & { left: boolean }>>();
  const next = await graph.groupsDelta(deltaLink, async (items) => {
    for (const { 'members@delta': members, ...item } of items) {
      if (item['@removed']) {
        removedGroups.add(item.id);
        continue;
      }
      changed.set(item.id, { ...changed.get(item.id), ...item });
      const byMember = memberChanges.get(item.id) ?? new Map();
      for (const member of members ?? [])
        byMember.set(member.id, { ...member, left: Boolean(member['@removed']) });
      memberChanges.set(item.id, byMember);
    }
  });
  const groups = [...changed.values()].map(createGroupEntity);
  await write(groups);
  const previous = changes!.since!.previous;
  await carryEntities(
    previous,
    ENTITIES.GROUP._type,
    (group) => !changed.has(String(group.id)) && !removedGroups.has(String(group.id)),
    write,
  );

  const written = new Set<string>();
  const left = new Set<string>();
  for (const [groupId, members] of memberChanges) {
    const group = { _type: ENTITIES.GROUP._type, _key: groupKey(groupId) };
    const joined: GraphRelationship[] = [];
    for (const { left: hasLeft, ...member } of members.values()) {
      const relationship = createGroupMemberRelationship(group, member);
      if (hasLeft) left.add(relationship._key);
      else if (!written.has(relationship._key)) {
        written.add(relationship._key);
        joined.push(relationship);
      }
    }
    await jobState.addRelationships(joined);
  }
  const goneGroups = new Set([...removedGroups].map(groupKey));
  await carryRelationships(
    previous,
    declaredMemberTypes(STEP_IDS.GROUPS),
    (r) =>
      !written.has(r._key) &&
      !left.has(r._key) &&
      !goneGroups.has(fromKeyOf(r)) &&
      !goneGroups.has(String(r._toEntityKey)),
    (relationships) => jobState.addRelationships(relationships),
  );
  return next;
}
