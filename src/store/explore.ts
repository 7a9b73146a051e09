/**
 * Reads for browsing the committed graph one object at a time (the HTTP API's entity pages,
 * neighbours, counts and the query editor's vocabulary). J1QL covers questions; these cover
 * "show me this object and what touches it" with index lookups only.
 */
import type { RawDataEntry } from '../graph/types.js';
import type { SqlConnection } from './sql/connection.js';
import { jsonSql, jsonTypeName } from './sql/json.js';
import { decompressRaw, parseJson, type Properties } from './rows.js';

interface CommonRecord {
  id: string;
  instanceId: string;
  instanceName: string;
  key: string;
  type: string;
  properties: Properties;
  version: number;
  createdOn: number;
  beginOn: number;
  endOn?: number;
  deleted: boolean;
  source: string;
}

export interface EntityRecord extends CommonRecord {
  classes: string[];
  rawData?: RawDataEntry[];
}

export interface RelationshipRecord extends CommonRecord {
  class: string;
  fromKey: string;
  toKey: string;
}

export interface Neighbour {
  direction: 'out' | 'in';
  relationship: RelationshipRecord;
  entity: EntityRecord;
}

export interface TypeCount {
  kind: 'entity' | 'relationship';
  type: string;
  count: number;
}

export interface PropertyName {
  name: string;
  /** JSON types seen under this name: string, number, boolean, array, object, null. */
  types: string[];
}

const COMMON = ['id', 'instance_id', 'key', 'type', 'properties', 'version', 'created_on'];
const LIFECYCLE = ['begin_on', 'end_on', 'deleted', 'source'];
const ENTITY_COLUMNS = [...COMMON, 'classes', ...LIFECYCLE];
const RELATIONSHIP_COLUMNS = [...COMMON, 'class', 'from_key', 'to_key', ...LIFECYCLE];

/** `alias.column AS prefix_column` for each column: two objects in one row. */
const select = (alias: string, columns: string[], prefix = '') =>
  columns.map((c) => `${alias}.${c} AS ${prefix}${c}`).join(', ');

type Row = Record<string, unknown>;

function common(row: Row, prefix: string, instanceNames: Map<string, string>): CommonRecord {
  const at = (column: string) => row[`${prefix}${column}`];
  const instanceId = String(at('instance_id'));
  const record: CommonRecord = {
    id: String(at('id')),
    instanceId,
    instanceName: instanceNames.get(instanceId) ?? instanceId,
    key: String(at('key')),
    type: String(at('type')),
    properties: parseJson<Properties>(at('properties')),
    version: Number(at('version')),
    createdOn: Number(at('created_on')),
    beginOn: Number(at('begin_on')),
    deleted: Boolean(at('deleted')),
    source: String(at('source')),
  };
  if (at('end_on') !== null && at('end_on') !== undefined) record.endOn = Number(at('end_on'));
  return record;
}

export class GraphExplorer {
  private names: Map<string, string> | undefined;

  constructor(private readonly db: SqlConnection) {}

  /** Instances are only ever added: the cached names are read again when one is missing. */
  private async instanceNames(mustHave?: string): Promise<Map<string, string>> {
    if (!this.names || (mustHave !== undefined && !this.names.has(mustHave)))
      this.names = new Map(
        (await this.db.all<{ id: string; name: string }>('SELECT id, name FROM instances')).map(
          (i) => [i.id, i.name],
        ),
      );
    return this.names;
  }

  private async entityRecord(row: Row, prefix = ''): Promise<EntityRecord> {
    const names = await this.instanceNames(String(row[`${prefix}instance_id`]));
    const record: EntityRecord = {
      ...common(row, prefix, names),
      classes: parseJson<string[]>(row[`${prefix}classes`]),
    };
    const raw = row[`${prefix}raw`];
    if (raw !== undefined) {
      const rawData = decompressRaw(raw as Buffer | null);
      if (rawData) record.rawData = rawData;
    }
    return record;
  }

  private async relationshipRecord(row: Row, prefix = ''): Promise<RelationshipRecord> {
    return {
      ...common(row, prefix, await this.instanceNames(String(row[`${prefix}instance_id`]))),
      class: String(row[`${prefix}class`]),
      fromKey: String(row[`${prefix}from_key`]),
      toKey: String(row[`${prefix}to_key`]),
    };
  }

  /** Instances to look a `_key` up in: the given one, else every instance. */
  private async instanceIds(instanceId?: string): Promise<string[]> {
    return instanceId ? [instanceId] : [...(await this.instanceNames()).keys()];
  }

  /**
   * The row with this `_id`, else with this `_key` (in the first instance holding it unless one
   * is given); deleted ones too.
   */
  private async findRow(
    table: 'entities' | 'relationships',
    columns: string,
    idOrKey: string,
    instanceId: string | undefined,
  ): Promise<Row | undefined> {
    const [byId] = await this.db.all<Row>(`SELECT ${columns} FROM ${table} o WHERE o.id = ?`, [
      idOrKey,
    ]);
    if (byId && (!instanceId || byId.instance_id === instanceId)) return byId;
    for (const instance of await this.instanceIds(instanceId)) {
      const [row] = await this.db.all<Row>(
        `SELECT ${columns} FROM ${table} o WHERE o.instance_id = ? AND o.key = ?`,
        [instance, idOrKey],
      );
      if (row) return row;
    }
    return undefined;
  }

  async findEntity(
    idOrKey: string,
    options: { instanceId?: string; rawData?: boolean } = {},
  ): Promise<EntityRecord | undefined> {
    const columns = `${select('o', ENTITY_COLUMNS)}${options.rawData ? ', o.raw' : ''}`;
    const row = await this.findRow('entities', columns, idOrKey, options.instanceId);
    return row && this.entityRecord(row);
  }

  async findRelationship(
    idOrKey: string,
    options: { instanceId?: string } = {},
  ): Promise<RelationshipRecord | undefined> {
    const columns = select('o', RELATIONSHIP_COLUMNS);
    const row = await this.findRow('relationships', columns, idOrKey, options.instanceId);
    return row && this.relationshipRecord(row);
  }

  /**
   * Live relationships touching the entity and the live entity at their other end, outgoing then
   * incoming, optionally only of one relationship class and one class of the other end.
   */
  async neighbours(
    entity: { instanceId: string; key: string },
    options: { relationshipClass?: string; entityClass?: string; limit: number },
  ): Promise<{ neighbours: Neighbour[]; truncated: boolean }> {
    const neighbours: Neighbour[] = [];
    const directions = [
      { direction: 'out', here: 'from_key', there: 'to_key' },
      { direction: 'in', here: 'to_key', there: 'from_key' },
    ] as const;
    for (const { direction, here, there } of directions) {
      const remaining = options.limit + 1 - neighbours.length;
      if (remaining <= 0) break;
      const filters = [`r.instance_id = ?`, `r.${here} = ?`, `r.deleted = FALSE`];
      const params: unknown[] = [entity.instanceId, entity.key];
      if (options.relationshipClass) {
        filters.push('r.class = ?');
        params.push(options.relationshipClass);
      }
      if (options.entityClass) {
        filters.push(
          'EXISTS (SELECT 1 FROM entity_classes c WHERE c.instance_id = e.instance_id AND c.key = e.key AND c.class = ?)',
        );
        params.push(options.entityClass);
      }
      const rows = await this.db.all<Row>(
        `SELECT ${select('r', RELATIONSHIP_COLUMNS, 'r_')}, ${select('e', ENTITY_COLUMNS, 'e_')}
         FROM relationships r JOIN entities e ON e.instance_id = r.instance_id AND e.key = r.${there}
         WHERE ${filters.join(' AND ')} AND e.deleted = FALSE
         ORDER BY r.class, e.type, e.key LIMIT ?`,
        [...params, remaining],
      );
      for (const row of rows)
        neighbours.push({
          direction,
          relationship: await this.relationshipRecord(row, 'r_'),
          entity: await this.entityRecord(row, 'e_'),
        });
    }
    const truncated = neighbours.length > options.limit;
    return { neighbours: neighbours.slice(0, options.limit), truncated };
  }

  /** Live relationships whose two ends are both among `entities`. */
  async relationshipsAmong(
    entities: { instanceId: string; key: string }[],
  ): Promise<RelationshipRecord[]> {
    const keysByInstance = new Map<string, Set<string>>();
    for (const e of entities) {
      const keys = keysByInstance.get(e.instanceId) ?? new Set<string>();
      keys.add(e.key);
      keysByInstance.set(e.instanceId, keys);
    }
    const found: RelationshipRecord[] = [];
    const chunk = 500;
    for (const [instanceId, keys] of keysByInstance) {
      const all = [...keys];
      for (let start = 0; start < all.length; start += chunk) {
        const part = all.slice(start, start + chunk);
        const rows = await this.db.all<Row>(
          `SELECT ${select('r', RELATIONSHIP_COLUMNS)} FROM relationships r
           WHERE r.instance_id = ? AND r.deleted = FALSE
             AND r.from_key IN (${part.map(() => '?').join(', ')})`,
          [instanceId, ...part],
        );
        for (const row of rows)
          if (keys.has(String(row.to_key))) found.push(await this.relationshipRecord(row));
      }
    }
    return found;
  }

  /** Live objects per `_type`, largest first. */
  async typeCounts(): Promise<TypeCount[]> {
    const count = (kind: TypeCount['kind'], table: string) =>
      this.db
        .all<{ type: string; count: number | string }>(
          `SELECT type, COUNT(*) AS count FROM ${table} WHERE deleted = FALSE GROUP BY type`,
        )
        .then((rows) => rows.map((r) => ({ kind, type: r.type, count: Number(r.count) })));
    const counts = [
      ...(await count('entity', 'entities')),
      ...(await count('relationship', 'relationships')),
    ];
    return counts.sort((a, b) => b.count - a.count || a.type.localeCompare(b.type));
  }

  /** Live entities per `_class` (an entity with two classes counts in both), largest first. */
  async classCounts(): Promise<{ class: string; count: number }[]> {
    const rows = await this.db.all<{ class: string; count: number | string }>(
      `SELECT c.class, COUNT(*) AS count FROM entity_classes c
       JOIN entities e ON e.instance_id = c.instance_id AND e.key = c.key
       WHERE e.deleted = FALSE GROUP BY c.class`,
    );
    return rows
      .map((r) => ({ class: r.class, count: Number(r.count) }))
      .sort((a, b) => b.count - a.count || a.class.localeCompare(b.class));
  }

  /** Relationship classes in use, with their live counts. */
  async relationshipClassCounts(): Promise<{ class: string; count: number }[]> {
    const rows = await this.db.all<{ class: string; count: number | string }>(
      `SELECT class, COUNT(*) AS count FROM relationships WHERE deleted = FALSE GROUP BY class`,
    );
    return rows
      .map((r) => ({ class: r.class, count: Number(r.count) }))
      .sort((a, b) => b.count - a.count || a.class.localeCompare(b.class));
  }

  /** The classes of each `_type` (an entity type's `_class` list, a relationship type's verb). */
  async typeClasses(): Promise<Map<string, string[]>> {
    const classes = new Map<string, string[]>();
    const entityRows = await this.db.all<{ type: string; classes: unknown }>(
      'SELECT DISTINCT type, classes FROM entities',
    );
    for (const row of entityRows) classes.set(row.type, parseJson<string[]>(row.classes));
    const relationshipRows = await this.db.all<{ type: string; class: string }>(
      'SELECT DISTINCT type, class FROM relationships',
    );
    for (const row of relationshipRows) classes.set(row.type, [row.class]);
    return classes;
  }

  /** Every property name of live entities and relationships, with the JSON types seen under it. */
  async propertyNames(): Promise<PropertyName[]> {
    const members = jsonSql(this.db.dialect).objectMembers('o.properties');
    const types = new Map<string, Set<string>>();
    for (const table of ['entities', 'relationships']) {
      const rows = await this.db.all<{ name: string; type: string }>(
        `SELECT DISTINCT ${members.key} AS name, ${members.type} AS type
         FROM ${table} o, ${members.from} WHERE o.deleted = FALSE`,
      );
      for (const row of rows) {
        const seen = types.get(row.name) ?? new Set<string>();
        seen.add(jsonTypeName(row.type));
        types.set(row.name, seen);
      }
    }
    return [...types]
      .map(([name, seen]) => ({ name, types: [...seen].sort() }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }
}
