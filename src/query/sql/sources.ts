import type { Dialect, Params, ValueKind, ValueSource } from './dialect.js';

export type ObjectKind = 'entity' | 'relationship';

interface MetadataColumn {
  column: string;
  kind: ValueKind | 'boolean' | 'jsonArray';
  nullable?: boolean;
}

const common: Record<string, MetadataColumn> = {
  _id: { column: 'id', kind: 'string' },
  _key: { column: 'key', kind: 'string' },
  _type: { column: 'type', kind: 'string' },
  _source: { column: 'source', kind: 'string' },
  _createdOn: { column: 'created_on', kind: 'number' },
  _beginOn: { column: 'begin_on', kind: 'number' },
  _endOn: { column: 'end_on', kind: 'number', nullable: true },
  _version: { column: 'version', kind: 'number' },
  _deleted: { column: 'deleted', kind: 'boolean' },
  _integrationInstanceId: { column: 'instance_id', kind: 'string' },
};

/** Metadata properties live in the schema's columns; everything else is in `properties`. */
const metadataColumns: Record<ObjectKind, Record<string, MetadataColumn>> = {
  entity: { ...common, _class: { column: 'classes', kind: 'jsonArray' } },
  relationship: {
    ...common,
    _class: { column: 'class', kind: 'string' },
    _fromEntityKey: { column: 'from_key', kind: 'string' },
    _toEntityKey: { column: 'to_key', kind: 'string' },
  },
};

/** The value source of `property` on the row `table` (an entity or relationship table alias). */
export function propertySource(
  dialect: Dialect,
  params: Params,
  table: string,
  kind: ObjectKind,
  property: string,
): ValueSource {
  if (property === '_integrationName')
    return dialect.columnSource(
      `(SELECT name FROM instances WHERE instances.id = ${table}.instance_id)`,
      'string',
      false,
      params,
    );
  const metadata = Object.hasOwn(metadataColumns[kind], property)
    ? metadataColumns[kind][property]
    : undefined;
  if (!metadata) return dialect.jsonSource(`${table}.properties`, property, params);
  if (metadata.kind === 'jsonArray')
    return dialect.jsonSource(`${table}.${metadata.column}`, undefined, params);
  return dialect.columnSource(
    `${table}.${metadata.column}`,
    metadata.kind,
    metadata.nullable ?? false,
    params,
  );
}
