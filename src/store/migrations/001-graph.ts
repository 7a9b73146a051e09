import type { ColumnTypes } from './column-types.js';

/** Metadata and payload columns shared by current objects, their history and staging. */
function objectColumns(t: ColumnTypes): string {
  return `
  properties ${t.json} NOT NULL,
  raw ${t.blob},
  hash TEXT NOT NULL,
  version INTEGER NOT NULL,
  created_on ${t.time} NOT NULL,
  begin_on ${t.time} NOT NULL,
  end_on ${t.time},
  deleted ${t.flag} NOT NULL,
  source TEXT NOT NULL,
  sync_id INTEGER NOT NULL`;
}

const entityIdentity = (t: ColumnTypes, idUnique: boolean) => `
  instance_id TEXT NOT NULL,
  key TEXT NOT NULL,
  id TEXT NOT NULL${idUnique ? ' UNIQUE' : ''},
  type TEXT NOT NULL,
  classes ${t.json} NOT NULL,`;

const relationshipIdentity = (idUnique: boolean) => `
  instance_id TEXT NOT NULL,
  key TEXT NOT NULL,
  id TEXT NOT NULL${idUnique ? ' UNIQUE' : ''},
  type TEXT NOT NULL,
  class TEXT NOT NULL,
  from_key TEXT NOT NULL,
  to_key TEXT NOT NULL,`;

/** The graph schema of the shared contract, the sync record, staging and instance locks. */
export function graphSchema(t: ColumnTypes): string[] {
  return [
    `CREATE TABLE instances (id TEXT PRIMARY KEY, name TEXT UNIQUE NOT NULL)`,

    `CREATE TABLE entities (${entityIdentity(t, true)}${objectColumns(t)},
  PRIMARY KEY (instance_id, key))`,
    `CREATE INDEX entities_type ON entities (type)`,
    `CREATE INDEX entities_instance_type ON entities (instance_id, type)`,
    `CREATE INDEX entities_sync ON entities (sync_id)`,
    `CREATE TABLE entity_classes (instance_id TEXT NOT NULL, key TEXT NOT NULL, class TEXT NOT NULL,
  PRIMARY KEY (instance_id, key, class))`,
    `CREATE INDEX entity_classes_class ON entity_classes (class)`,
    `CREATE TABLE entity_versions (${entityIdentity(t, false)}${objectColumns(t)},
  PRIMARY KEY (instance_id, key, version))`,
    `CREATE INDEX entity_versions_sync ON entity_versions (sync_id)`,

    `CREATE TABLE relationships (${relationshipIdentity(true)}${objectColumns(t)},
  PRIMARY KEY (instance_id, key))`,
    `CREATE INDEX relationships_from ON relationships (instance_id, from_key)`,
    `CREATE INDEX relationships_to ON relationships (instance_id, to_key)`,
    `CREATE INDEX relationships_type ON relationships (type)`,
    `CREATE INDEX relationships_class ON relationships (class)`,
    `CREATE INDEX relationships_sync ON relationships (sync_id)`,
    `CREATE TABLE relationship_versions (${relationshipIdentity(false)}${objectColumns(t)},
  PRIMARY KEY (instance_id, key, version))`,
    `CREATE INDEX relationship_versions_sync ON relationship_versions (sync_id)`,

    `CREATE TABLE syncs (
  id ${t.autoId},
  instance_id TEXT NOT NULL,
  status TEXT NOT NULL,
  started_on ${t.time} NOT NULL,
  ended_on ${t.time},
  holder ${t.json} NOT NULL,
  heartbeat_on ${t.time} NOT NULL,
  max_delete_share REAL NOT NULL,
  step_results ${t.json},
  type_counts ${t.json},
  held_back ${t.json},
  api_calls ${t.json},
  partial_types ${t.json},
  error TEXT)`,
    `CREATE INDEX syncs_instance_status ON syncs (instance_id, status)`,

    // Staging: this run's objects, read back by later steps and diffed at commit.
    `CREATE TABLE staged_entities (
  sync_id INTEGER NOT NULL, key TEXT NOT NULL, step_id TEXT NOT NULL, type TEXT NOT NULL,
  classes ${t.json} NOT NULL, properties ${t.json} NOT NULL, raw ${t.blob}, hash TEXT NOT NULL,
  source TEXT NOT NULL,
  PRIMARY KEY (sync_id, key))`,
    `CREATE INDEX staged_entities_type ON staged_entities (sync_id, type, key)`,
    `CREATE TABLE staged_relationships (
  sync_id INTEGER NOT NULL, key TEXT NOT NULL, step_id TEXT NOT NULL, type TEXT NOT NULL,
  class TEXT NOT NULL, from_key TEXT, to_key TEXT, mapping ${t.json},
  properties ${t.json} NOT NULL, raw ${t.blob}, hash TEXT NOT NULL,
  PRIMARY KEY (sync_id, key))`,
    `CREATE INDEX staged_relationships_type ON staged_relationships (sync_id, type, key)`,

    // SQLite's lock row; PostgreSQL uses advisory locks instead.
    `CREATE TABLE instance_locks (
  instance_id TEXT PRIMARY KEY, sync_id INTEGER NOT NULL, holder ${t.json} NOT NULL,
  heartbeat_on ${t.time} NOT NULL)`,
  ];
}
