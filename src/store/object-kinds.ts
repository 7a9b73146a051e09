/**
 * Entities and relationships share every lifecycle rule; they differ only in tables and in the
 * columns that identify what the object is. The commit and the history queries take one of these.
 */
export interface ObjectKind {
  name: 'entity' | 'relationship';
  table: 'entities' | 'relationships';
  versions: 'entity_versions' | 'relationship_versions';
  staged: 'staged_entities' | 'staged_relationships';
  /** Columns between `id` and `properties`, in table order. */
  identity: string[];
  /** `_source` of a staged row. */
  stagedSource: string;
}

export const ENTITY_KIND: ObjectKind = {
  name: 'entity',
  table: 'entities',
  versions: 'entity_versions',
  staged: 'staged_entities',
  identity: ['type', 'classes'],
  stagedSource: 's.source',
};

export const RELATIONSHIP_KIND: ObjectKind = {
  name: 'relationship',
  table: 'relationships',
  versions: 'relationship_versions',
  staged: 'staged_relationships',
  identity: ['type', 'class', 'from_key', 'to_key'],
  stagedSource: "'integration-managed'",
};

export const OBJECT_KINDS = [ENTITY_KIND, RELATIONSHIP_KIND];

/** Every column of a committed row, in table order (current and versions tables alike). */
export function committedColumns(kind: ObjectKind): string[] {
  return [
    'instance_id',
    'key',
    'id',
    ...kind.identity,
    'properties',
    'raw',
    'hash',
    'version',
    'created_on',
    'begin_on',
    'end_on',
    'deleted',
    'source',
    'sync_id',
  ];
}
