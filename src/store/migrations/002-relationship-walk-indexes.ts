/**
 * Covering indexes for graph walks (J1QL traversals, orphan checks): a hop from a known entity
 * finds its relationships by instance and the key at that end, and tests class, deleted and the
 * other end inside the index, never reading the wide relationship row (properties, gzip'd raw
 * data). They start with the columns of 001's `relationships_from`/`_to`, which they replace.
 */
export function relationshipWalkIndexes(): string[] {
  return [
    `CREATE INDEX relationships_from_walk ON relationships (instance_id, from_key, class, deleted, to_key)`,
    `CREATE INDEX relationships_to_walk ON relationships (instance_id, to_key, class, deleted, from_key)`,
    `DROP INDEX relationships_from`,
    `DROP INDEX relationships_to`,
  ];
}
