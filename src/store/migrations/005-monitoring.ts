import type { ColumnTypes } from './column-types.js';

/**
 * The service's own tables: sync requests (`run INSTANCE`), alert rules, saved questions, rule
 * evaluations,
 * alerts, entity tags set by rules, and the notification outbox with every delivery attempt.
 */
export function monitoringSchema(t: ColumnTypes): string[] {
  return [
    `CREATE TABLE sync_requests (
  id ${t.autoId},
  instance_name TEXT NOT NULL,
  requested_on ${t.time} NOT NULL,
  requested_by TEXT NOT NULL)`,
    `CREATE INDEX sync_requests_instance ON sync_requests (instance_name)`,

    `CREATE TABLE alert_rules (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  origin TEXT NOT NULL,
  definition ${t.json} NOT NULL,
  enabled ${t.flag} NOT NULL,
  imported_on ${t.time} NOT NULL,
  last_evaluated_on ${t.time},
  last_status TEXT,
  last_error TEXT,
  previous_keys ${t.json})`,

    `CREATE TABLE saved_questions (
  id TEXT PRIMARY KEY,
  title TEXT NOT NULL,
  origin TEXT NOT NULL,
  definition ${t.json} NOT NULL)`,

    `CREATE TABLE rule_evaluations (
  id ${t.autoId},
  rule_id TEXT NOT NULL,
  instance_id TEXT,
  sync_id INTEGER,
  trigger TEXT NOT NULL,
  started_on ${t.time} NOT NULL,
  ended_on ${t.time} NOT NULL,
  status TEXT NOT NULL,
  result_size INTEGER NOT NULL,
  condition_met ${t.flag} NOT NULL,
  error TEXT)`,
    `CREATE INDEX rule_evaluations_rule ON rule_evaluations (rule_id, id)`,

    `CREATE TABLE alerts (
  id ${t.autoId},
  rule_id TEXT NOT NULL,
  rule_name TEXT NOT NULL,
  instance_id TEXT,
  level TEXT NOT NULL,
  status TEXT NOT NULL,
  opened_on ${t.time} NOT NULL,
  last_seen_on ${t.time} NOT NULL,
  resolved_on ${t.time},
  evaluation_id INTEGER NOT NULL,
  result_size INTEGER NOT NULL,
  rows ${t.json} NOT NULL,
  note TEXT,
  noted_by TEXT,
  noted_on ${t.time})`,
    `CREATE INDEX alerts_rule_status ON alerts (rule_id, status)`,
    `CREATE INDEX alerts_status ON alerts (status)`,

    `CREATE TABLE entity_tags (
  instance_id TEXT NOT NULL,
  entity_key TEXT NOT NULL,
  name TEXT NOT NULL,
  value_json TEXT NOT NULL,
  rule_id TEXT NOT NULL,
  tagged_on ${t.time} NOT NULL,
  PRIMARY KEY (instance_id, entity_key, name))`,

    `CREATE TABLE outbox (
  id ${t.autoId},
  dedupe_key TEXT NOT NULL UNIQUE,
  alert_id INTEGER,
  rule_id TEXT NOT NULL,
  channel TEXT NOT NULL,
  target TEXT NOT NULL,
  payload ${t.json} NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt_on ${t.time} NOT NULL,
  created_on ${t.time} NOT NULL,
  delivered_on ${t.time},
  last_error TEXT,
  claimed_by TEXT,
  claimed_until ${t.time})`,
    `CREATE INDEX outbox_due ON outbox (status, next_attempt_on)`,

    `CREATE TABLE delivery_attempts (
  id ${t.autoId},
  outbox_id INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  attempted_on ${t.time} NOT NULL,
  outcome TEXT NOT NULL,
  detail TEXT)`,
    `CREATE INDEX delivery_attempts_outbox ON delivery_attempts (outbox_id)`,
  ];
}
