/**
 * Rules, evaluations, alerts and entity tags in the store, as plain async functions of the store:
 * the CLI and the HTTP API call these same functions.
 */
import { randomUUID } from 'node:crypto';
import stableStringify from 'fast-json-stable-stringify';
import type { GraphStore, SqlConnection } from '../store/index.js';
import { parseJson } from '../store/rows.js';
import { lockForTransaction } from '../store/sql/advisory.js';
import { omit } from '../util/omit.js';
import type { SavedQuestion, LoadedRules } from './load.js';
import type { AlertStatus } from './lifecycle.js';
import type { LoadedRule } from './rule-format.js';

export class AlertNotFoundError extends Error {
  override name = 'AlertNotFoundError';
}

export interface StoredRule {
  id: string;
  name: string;
  kind: 'query' | 'change';
  origin: string;
  enabled: boolean;
  importedOn: number;
  lastEvaluatedOn?: number;
  lastStatus?: string;
  lastError?: string;
  definition: LoadedRule['rule'];
}

interface RuleRow {
  id: string;
  name: string;
  kind: 'query' | 'change';
  origin: string;
  definition: unknown;
  enabled: number | boolean;
  imported_on: number | string;
  last_evaluated_on: number | string | null;
  last_status: string | null;
  last_error: string | null;
  previous_keys: unknown;
}

function ruleFromRow(row: RuleRow): StoredRule {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    origin: row.origin,
    enabled: Boolean(row.enabled),
    importedOn: Number(row.imported_on),
    ...(row.last_evaluated_on !== null && { lastEvaluatedOn: Number(row.last_evaluated_on) }),
    ...(row.last_status !== null && { lastStatus: row.last_status }),
    ...(row.last_error !== null && { lastError: row.last_error }),
    definition: parseJson<LoadedRule['rule']>(row.definition),
  };
}

export interface ImportSummary {
  added: string[];
  updated: string[];
  unchanged: string[];
  questions: number;
}

/**
 * Adds or replaces rules by name (a rule keeps its id, enabled flag and history across imports)
 * and saved questions by id.
 */
export async function importRules(
  store: GraphStore,
  loaded: LoadedRules,
  now: number,
): Promise<ImportSummary> {
  const db = await store.state();
  const summary: ImportSummary = { added: [], updated: [], unchanged: [], questions: 0 };
  await db.transaction(async () => {
    await lockForTransaction(db, 'import rules');
    for (const rule of loaded.rules) {
      const definition = stableStringify(rule.rule);
      const [known] = await db.all<{ id: string; definition: unknown; origin: string }>(
        'SELECT id, definition, origin FROM alert_rules WHERE name = ?',
        [rule.name],
      );
      if (!known) {
        const id = (rule.kind === 'query' && rule.rule.id) || randomUUID();
        await db.run(
          `INSERT INTO alert_rules (id, name, kind, origin, definition, enabled, imported_on)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
          [id, rule.name, rule.kind, rule.origin, definition, true, now],
        );
        summary.added.push(rule.name);
      } else if (
        stableStringify(parseJson(known.definition)) !== definition ||
        known.origin !== rule.origin
      ) {
        await db.run(
          'UPDATE alert_rules SET kind = ?, origin = ?, definition = ?, imported_on = ? WHERE id = ?',
          [rule.kind, rule.origin, definition, now, known.id],
        );
        summary.updated.push(rule.name);
      } else summary.unchanged.push(rule.name);
    }
    for (const question of loaded.questions) await saveQuestion(db, question);
    summary.questions = loaded.questions.length;
  });
  return summary;
}

async function saveQuestion(db: SqlConnection, question: SavedQuestion): Promise<void> {
  await db.run(
    `INSERT INTO saved_questions (id, title, origin, definition) VALUES (?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET title = excluded.title, definition = excluded.definition`,
    [question.id, question.title, 'import', JSON.stringify(question)],
  );
}

export async function savedQuestion(
  store: GraphStore,
  id: string,
): Promise<SavedQuestion | undefined> {
  const [row] = await (
    await store.state()
  ).all<{ definition: unknown }>('SELECT definition FROM saved_questions WHERE id = ?', [id]);
  return row && parseJson<SavedQuestion>(row.definition);
}

const RULE_SELECT = `SELECT id, name, kind, origin, definition, enabled, imported_on, last_evaluated_on,
  last_status, last_error, previous_keys FROM alert_rules`;

export async function listRules(store: GraphStore): Promise<StoredRule[]> {
  const rows = await (await store.state()).all<RuleRow>(`${RULE_SELECT} ORDER BY name`);
  return rows.map(ruleFromRow);
}

/** A rule by id or name. */
export async function findRule(
  store: GraphStore,
  idOrName: string,
): Promise<StoredRule | undefined> {
  const [row] = await (
    await store.state()
  ).all<RuleRow>(`${RULE_SELECT} WHERE id = ? OR name = ?`, [idOrName, idOrName]);
  return row && ruleFromRow(row);
}

export async function setRuleEnabled(
  store: GraphStore,
  idOrName: string,
  enabled: boolean,
): Promise<StoredRule> {
  const rule = await findRule(store, idOrName);
  if (!rule) throw new AlertNotFoundError(`no rule with id or name "${idOrName}"`);
  await (
    await store.state()
  ).run('UPDATE alert_rules SET enabled = ? WHERE id = ?', [enabled, rule.id]);
  return { ...rule, enabled };
}

/** Item keys of the rule's last successful evaluation (`triggerActionsOnNewEntitiesOnly`). */
export async function previousKeys(
  db: SqlConnection,
  ruleId: string,
): Promise<string[] | undefined> {
  const [row] = await db.all<{ previous_keys: unknown }>(
    'SELECT previous_keys FROM alert_rules WHERE id = ?',
    [ruleId],
  );
  return row?.previous_keys === null || row?.previous_keys === undefined
    ? undefined
    : parseJson<string[]>(row.previous_keys);
}

export interface Alert {
  id: number;
  ruleId: string;
  ruleName: string;
  level: string;
  status: AlertStatus;
  openedOn: number;
  lastSeenOn: number;
  resolvedOn?: number;
  resultSize: number;
  note?: string;
  notedBy?: string;
  notedOn?: number;
}

export interface AlertDetail extends Alert {
  /** The rows that triggered it, per query (as of its last evaluation while open). */
  rows: Record<string, unknown[]>;
  evaluations: {
    id: number;
    trigger: string;
    startedOn: number;
    status: string;
    resultSize: number;
    conditionMet: boolean;
    error?: string;
  }[];
}

interface AlertRow {
  id: number | string;
  rule_id: string;
  rule_name: string;
  level: string;
  status: AlertStatus;
  opened_on: number | string;
  last_seen_on: number | string;
  resolved_on: number | string | null;
  result_size: number | string;
  note: string | null;
  noted_by: string | null;
  noted_on: number | string | null;
  rows?: unknown;
}

function alertFromRow(row: AlertRow): Alert {
  return {
    id: Number(row.id),
    ruleId: row.rule_id,
    ruleName: row.rule_name,
    level: row.level,
    status: row.status,
    openedOn: Number(row.opened_on),
    lastSeenOn: Number(row.last_seen_on),
    ...(row.resolved_on !== null && { resolvedOn: Number(row.resolved_on) }),
    resultSize: Number(row.result_size),
    ...(row.note !== null && { note: row.note }),
    ...(row.noted_by !== null && { notedBy: row.noted_by }),
    ...(row.noted_on !== null && { notedOn: Number(row.noted_on) }),
  };
}

const ALERT_COLUMNS = `id, rule_id, rule_name, level, status, opened_on, last_seen_on, resolved_on,
  result_size, note, noted_by, noted_on`;

export interface AlertFilter {
  /** Only alerts not yet resolved (the default), or every alert. */
  open?: boolean;
  status?: AlertStatus;
  rule?: string;
  level?: string;
  limit?: number;
}

export async function listAlerts(store: GraphStore, filter: AlertFilter = {}): Promise<Alert[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.open ?? true) where.push('resolved_on IS NULL');
  if (filter.status) {
    where.push('status = ?');
    params.push(filter.status);
  }
  if (filter.rule) {
    where.push('(rule_id = ? OR rule_name = ?)');
    params.push(filter.rule, filter.rule);
  }
  if (filter.level) {
    where.push('level = ?');
    params.push(filter.level.toUpperCase());
  }
  params.push(filter.limit ?? 1000);
  const rows = await (
    await store.state()
  ).all<AlertRow>(
    `SELECT ${ALERT_COLUMNS} FROM alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY id DESC LIMIT ?`,
    params,
  );
  return rows.map(alertFromRow);
}

export async function getAlert(store: GraphStore, id: number): Promise<AlertDetail> {
  const db = await store.state();
  const [row] = await db.all<AlertRow>(`SELECT ${ALERT_COLUMNS}, rows FROM alerts WHERE id = ?`, [
    id,
  ]);
  if (!row) throw new AlertNotFoundError(`no alert with id ${id}`);
  const alert = alertFromRow(row);
  const evaluations = await db.all<{
    id: number | string;
    trigger: string;
    started_on: number | string;
    status: string;
    result_size: number | string;
    condition_met: number | boolean;
    error: string | null;
  }>(
    `SELECT id, trigger, started_on, status, result_size, condition_met, error FROM rule_evaluations
     WHERE rule_id = ? AND started_on >= ? AND started_on <= ? ORDER BY id`,
    [alert.ruleId, alert.openedOn, alert.resolvedOn ?? Number.MAX_SAFE_INTEGER],
  );
  return {
    ...alert,
    rows: parseJson<Record<string, unknown[]>>(row.rows),
    evaluations: evaluations.map((e) => ({
      id: Number(e.id),
      trigger: e.trigger,
      startedOn: Number(e.started_on),
      status: e.status,
      resultSize: Number(e.result_size),
      conditionMet: Boolean(e.condition_met),
      ...(e.error !== null && { error: e.error }),
    })),
  };
}

/**
 * A person's verdict on an open alert, with a note: acknowledged (it stays open and keeps
 * notifying) or dismissed (it stays quiet until its condition stops holding).
 */
export async function noteAlert(
  store: GraphStore,
  id: number,
  verdict: 'acknowledged' | 'dismissed',
  note: string,
  by: string,
  now: number,
): Promise<Alert> {
  if (note.trim() === '') throw new AlertNotFoundError('a note is required');
  const db = await store.state();
  const changed = await db.run(
    `UPDATE alerts SET status = ?, note = ?, noted_by = ?, noted_on = ? WHERE id = ? AND resolved_on IS NULL`,
    [verdict, note, by, now, id],
  );
  if (changed === 0) {
    const [row] = await db.all<{ id: number }>('SELECT id FROM alerts WHERE id = ?', [id]);
    throw new AlertNotFoundError(
      row ? `alert ${id} is already resolved` : `no alert with id ${id}`,
    );
  }
  return omit(await getAlert(store, id), 'rows', 'evaluations');
}

export const acknowledgeAlert = (
  store: GraphStore,
  id: number,
  note: string,
  by: string,
  now: number,
) => noteAlert(store, id, 'acknowledged', note, by, now);

export const dismissAlert = (
  store: GraphStore,
  id: number,
  note: string,
  by: string,
  now: number,
) => noteAlert(store, id, 'dismissed', note, by, now);

/**
 * Sets tags on entities by `_id`: kept in `entity_tags` and written into the entity's properties
 * as `tag.<name>` (so J1QL reads them); a null value removes the tag. The commit replaces a
 * changed entity's properties, so `reapplyTags` runs after each commit.
 */
export async function tagEntities(
  store: GraphStore,
  entityIds: string[],
  tags: { name: string; value: unknown }[],
  ruleId: string,
  now: number,
): Promise<number> {
  const db = await store.state();
  let tagged = 0;
  await db.transaction(async () => {
    for (const id of entityIds) {
      const [entity] = await db.all<{ instance_id: string; key: string; properties: unknown }>(
        'SELECT instance_id, key, properties FROM entities WHERE id = ?',
        [id],
      );
      if (!entity) continue;
      const properties = parseJson<Record<string, unknown>>(entity.properties);
      for (const tag of tags) {
        if (tag.value === null || tag.value === undefined) {
          delete properties[`tag.${tag.name}`];
          await db.run(
            'DELETE FROM entity_tags WHERE instance_id = ? AND entity_key = ? AND name = ?',
            [entity.instance_id, entity.key, tag.name],
          );
        } else {
          properties[`tag.${tag.name}`] = tag.value;
          await db.run(
            `INSERT INTO entity_tags (instance_id, entity_key, name, value_json, rule_id, tagged_on)
             VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (instance_id, entity_key, name) DO UPDATE SET value_json = excluded.value_json,
               rule_id = excluded.rule_id, tagged_on = excluded.tagged_on`,
            [entity.instance_id, entity.key, tag.name, JSON.stringify(tag.value), ruleId, now],
          );
        }
      }
      await db.run('UPDATE entities SET properties = ? WHERE id = ?', [
        JSON.stringify(properties),
        id,
      ]);
      tagged++;
    }
  });
  return tagged;
}

/** Writes the stored tags back into entities a commit rewrote (their properties lost them). */
export async function reapplyTags(store: GraphStore, instanceId: string): Promise<number> {
  const db = await store.state();
  // A JSON string value in a jsonb column would come back already parsed: the value is JSON text.
  const tags = await db.all<{ entity_key: string; name: string; value_json: string }>(
    'SELECT entity_key, name, value_json FROM entity_tags WHERE instance_id = ? ORDER BY entity_key',
    [instanceId],
  );
  const byEntity = new Map<string, { name: string; value: unknown }[]>();
  for (const t of tags)
    byEntity.set(t.entity_key, [
      ...(byEntity.get(t.entity_key) ?? []),
      { name: t.name, value: JSON.parse(t.value_json) as unknown },
    ]);
  let rewritten = 0;
  await db.transaction(async () => {
    for (const [key, entityTags] of byEntity) {
      const [entity] = await db.all<{ properties: unknown }>(
        'SELECT properties FROM entities WHERE instance_id = ? AND key = ?',
        [instanceId, key],
      );
      if (!entity) continue;
      const properties = parseJson<Record<string, unknown>>(entity.properties);
      if (
        entityTags.every(
          (t) => stableStringify(properties[`tag.${t.name}`]) === stableStringify(t.value),
        )
      )
        continue;
      for (const t of entityTags) properties[`tag.${t.name}`] = t.value;
      await db.run('UPDATE entities SET properties = ? WHERE instance_id = ? AND key = ?', [
        JSON.stringify(properties),
        instanceId,
        key,
      ]);
      rewritten++;
    }
  });
  return rewritten;
}
