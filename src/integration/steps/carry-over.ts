import {
  isMappedRelationship,
  type Entity,
  type GraphRelationship,
  type PreviousGraph,
} from '../../graph/types.js';

/** Objects written per batch while carrying the previous graph over (memory stays flat). */
const BATCH = 1000;

/**
 * Writes the previous graph's entities of `type` that `keep` accepts: what an incremental run did
 * not list again because nothing changed. The account tag is dropped, since `addEntities` adds it
 * as the configuration says now.
 */
export async function carryEntities(
  previous: PreviousGraph,
  type: string,
  keep: (entity: Entity) => boolean,
  write: (entities: Entity[]) => Promise<void>,
): Promise<void> {
  const batch: Entity[] = [];
  await previous.iterateEntities({ _type: type }, async (entity) => {
    if (!keep(entity)) return;
    const untagged = { ...entity };
    delete untagged['tag.AccountName'];
    batch.push(untagged);
    if (batch.length >= BATCH) await write(batch.splice(0));
  });
  if (batch.length > 0) await write(batch);
}

/** Writes the previous graph's relationships of `types` that `keep` accepts. */
export async function carryRelationships(
  previous: PreviousGraph,
  types: string[],
  keep: (relationship: GraphRelationship) => boolean,
  write: (relationships: GraphRelationship[]) => Promise<void>,
): Promise<void> {
  const batch: GraphRelationship[] = [];
  for (const type of types) {
    await previous.iterateRelationships({ _type: type }, async (relationship) => {
      if (!keep(relationship)) return;
      batch.push(relationship);
      if (batch.length >= BATCH) await write(batch.splice(0));
    });
  }
  if (batch.length > 0) await write(batch);
}

/** The key of the entity a relationship starts from, mapped or direct. */
export function fromKeyOf(relationship: GraphRelationship): string {
  return isMappedRelationship(relationship)
    ? relationship._mapping.sourceEntityKey
    : relationship._fromEntityKey;
}
