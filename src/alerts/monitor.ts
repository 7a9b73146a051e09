/**
 * Runs the stored rules and applies what they decide: after each committed sync (query rules on
 * the new graph, change rules on the sync's diff) and on each rule's own pollingInterval. Each
 * evaluation, the alert lifecycle and the notifications it enqueues are one transaction.
 */
import type { MonitoringConfig } from '../config/instance-config.js';
import { runQuery } from '../query/engine.js';
import type { QueryResult } from '../query/results.js';
import type { ParameterValue } from '../query/values.js';
import { nextRunAt } from '../config/schedule.js';
import type { GraphStore } from '../store/index.js';
import type { SyncRecord } from '../store/sync-record.js';
import { enqueue } from '../notify/outbox.js';
import {
  findRule,
  listRules,
  previousKeys,
  reapplyTags,
  savedQuestion,
  tagEntities,
  type StoredRule,
} from './alert-store.js';
import {
  changeItemsOfSync,
  defaultChangeOperations,
  matchChangeRule,
  type ChangeItem,
} from './change-rules.js';
import {
  emptyOutcome,
  evaluateQueryRule,
  failedOutcome,
  runOperations,
  type EvaluationOutcome,
  type QueryData,
  type RuleMeta,
  type RuleQueryRunner,
} from './evaluate.js';
import { decideAlert, notifies, type AlertStatus } from './lifecycle.js';
import type { ChangeRule, RuleObject } from './rule-format.js';

/** Rows of the triggering result kept on an alert (per query); the size is always kept whole. */
const KEPT_ROWS = 100;

export interface MonitorOptions {
  store: GraphStore;
  monitoring: Pick<MonitoringConfig, 'params' | 'webLink'>;
  now: () => number;
}

export type EvaluationTrigger =
  | { kind: 'sync'; syncId: number; instanceId: string; changes: ChangeItem[] }
  | { kind: 'schedule' | 'manual' };

export interface EvaluationSummary {
  ruleId: string;
  ruleName: string;
  evaluationId: number;
  status: 'success' | 'failed';
  resultSize: number;
  alertRaised: boolean;
  alertId?: number;
  alertStatus?: AlertStatus;
  notificationsQueued: number;
  error?: string;
}

function dataOf(result: QueryResult): QueryData {
  const data = result.type === 'tree' ? result.data.vertices : result.data;
  return { total: data.length, data };
}

function queryRunner(options: MonitorOptions): RuleQueryRunner {
  return async (text, { includeDeleted }) =>
    dataOf(
      await runQuery(options.store, text, {
        includeDeleted,
        params: options.monitoring.params as Record<string, ParameterValue>,
        now: options.now(),
      }),
    );
}

function metaOf(rule: StoredRule, options: MonitorOptions): RuleMeta {
  const definition = rule.definition as RuleObject & ChangeRule;
  return {
    id: rule.id,
    name: rule.name,
    description: definition.description,
    webLink:
      options.monitoring.webLink &&
      `${options.monitoring.webLink.replace(/\/$/, '')}/alerts?rule=${rule.id}`,
    notifyOnFailure: definition.notifyOnFailure,
    triggerActionsOnNewEntitiesOnly: definition.triggerActionsOnNewEntitiesOnly,
    ignorePreviousResults: definition.ignorePreviousResults,
  };
}

/** A rule referring to a saved question runs that question's queries. */
async function withQuestion(store: GraphStore, rule: RuleObject): Promise<RuleObject> {
  if (rule.question || !rule.questionId) return rule;
  const question = await savedQuestion(store, rule.questionId);
  if (!question) throw new Error(`questionId "${rule.questionId}": no saved question with that id`);
  return {
    ...rule,
    question: {
      queries: question.queries.map((q, i) => ({ name: q.name ?? `query${i}`, query: q.query })),
    },
  };
}

async function evaluate(
  rule: StoredRule,
  trigger: EvaluationTrigger,
  options: MonitorOptions,
): Promise<EvaluationOutcome> {
  const meta = metaOf(rule, options);
  const runner = queryRunner(options);
  const db = await options.store.state();
  if (rule.kind === 'query') {
    const definition = rule.definition as RuleObject;
    let resolved: RuleObject;
    try {
      resolved = await withQuestion(options.store, definition);
    } catch (err) {
      return failedOutcome(definition.operations ?? [], meta, err);
    }
    return evaluateQueryRule(resolved, meta, {
      runQuery: runner,
      params: options.monitoring.params,
      previousKeys: await previousKeys(db, rule.id),
    });
  }
  const definition = rule.definition as ChangeRule;
  const operations = definition.operations ?? defaultChangeOperations(definition);
  const outcome = emptyOutcome();
  outcome.alertLevel = definition.alertLevel;
  try {
    const changes =
      trigger.kind === 'sync'
        ? await matchChangeRule(definition, trigger.changes, async (query) => {
            const result = await runQuery(options.store, query, {
              includeDeleted: true,
              params: options.monitoring.params as Record<string, ParameterValue>,
              instance: undefined,
              defaultLimit: Number.MAX_SAFE_INTEGER,
              now: options.now(),
            });
            const keys = new Set<string>();
            if (result.type === 'list')
              for (const item of result.data) keys.add(String(item.entity._key));
            return keys;
          })
        : { total: 0, data: [] };
    outcome.resultSize = changes.total;
    outcome.rows = { changes: changes.data };
    outcome.itemKeys = changes.data.map(
      (c) => `${(c as ChangeItem).change}:${(c as ChangeItem).id}`,
    );
    await runOperations({
      rule: meta,
      operations,
      templates: definition.templates ?? {},
      queries: { changes },
      params: options.monitoring.params,
      runQuery: runner,
      outcome,
    });
  } catch (err) {
    return failedOutcome(operations, meta, err, outcome.resultSize);
  }
  return outcome;
}

interface CurrentAlert {
  id: number | string;
  status: AlertStatus;
}

/** Evaluates one stored rule and records everything it decided. */
export async function evaluateStoredRule(
  rule: StoredRule,
  trigger: EvaluationTrigger,
  options: MonitorOptions,
): Promise<EvaluationSummary> {
  const startedOn = options.now();
  const outcome = await evaluate(rule, trigger, options);
  const endedOn = options.now();
  const db = await options.store.state();
  const summary = await db.transaction(async () => {
    const [evaluation] = await db.all<{ id: number | string }>(
      `INSERT INTO rule_evaluations (rule_id, instance_id, sync_id, trigger, started_on, ended_on, status,
         result_size, condition_met, error)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      [
        rule.id,
        trigger.kind === 'sync' ? trigger.instanceId : null,
        trigger.kind === 'sync' ? trigger.syncId : null,
        trigger.kind,
        startedOn,
        endedOn,
        outcome.status,
        outcome.resultSize,
        outcome.alertRaised,
        outcome.error ?? null,
      ],
    );
    const evaluationId = Number(evaluation!.id);
    await db.run(
      `UPDATE alert_rules SET last_evaluated_on = ?, last_status = ?, last_error = ?,
         previous_keys = CASE WHEN ? THEN ? ELSE previous_keys END WHERE id = ?`,
      [
        startedOn,
        outcome.status,
        outcome.error ?? null,
        outcome.status === 'success',
        JSON.stringify(outcome.itemKeys),
        rule.id,
      ],
    );
    const result: EvaluationSummary = {
      ruleId: rule.id,
      ruleName: rule.name,
      evaluationId,
      status: outcome.status,
      resultSize: outcome.resultSize,
      alertRaised: outcome.alertRaised,
      notificationsQueued: 0,
      ...(outcome.error !== undefined && { error: outcome.error }),
    };
    let alertId: number | undefined;
    let alertStatus: AlertStatus | undefined;
    if (outcome.status === 'success') {
      const [current] = await db.all<CurrentAlert>(
        'SELECT id, status FROM alerts WHERE rule_id = ? AND resolved_on IS NULL ORDER BY id DESC LIMIT 1',
        [rule.id],
      );
      const decision = decideAlert(current, outcome.alertRaised);
      const rows = JSON.stringify(
        Object.fromEntries(
          Object.entries(outcome.rows).map(([n, r]) => [n, r.slice(0, KEPT_ROWS)]),
        ),
      );
      if (decision.action === 'open') {
        const [opened] = await db.all<{ id: number | string }>(
          `INSERT INTO alerts (rule_id, rule_name, instance_id, level, status, opened_on, last_seen_on,
             evaluation_id, result_size, rows)
           VALUES (?, ?, ?, ?, 'new', ?, ?, ?, ?, ?) RETURNING id`,
          [
            rule.id,
            rule.name,
            trigger.kind === 'sync' ? trigger.instanceId : null,
            outcome.alertLevel,
            startedOn,
            startedOn,
            evaluationId,
            outcome.resultSize,
            rows,
          ],
        );
        alertId = Number(opened!.id);
        alertStatus = 'new';
      } else if (decision.action === 'continue') {
        alertId = Number(current!.id);
        alertStatus = decision.status;
        await db.run(
          `UPDATE alerts SET status = ?, level = ?, last_seen_on = ?, evaluation_id = ?, result_size = ?,
             rows = ? WHERE id = ?`,
          [
            decision.status,
            outcome.alertLevel,
            startedOn,
            evaluationId,
            outcome.resultSize,
            rows,
            alertId,
          ],
        );
      } else if (decision.action === 'resolve') {
        await db.run('UPDATE alerts SET status = ?, resolved_on = ? WHERE id = ?', [
          decision.status,
          startedOn,
          Number(current!.id),
        ]);
      }
      if (alertId !== undefined) Object.assign(result, { alertId, alertStatus });
    }
    if (outcome.notifications.length > 0 && notifies(alertStatus)) {
      const definition = rule.definition as { description?: string | null };
      result.notificationsQueued = await enqueue(
        db,
        outcome.notifications.map((n) => ({
          dedupeKey: `${rule.id}:${evaluationId}:${n.position}`,
          ruleId: rule.id,
          alertId,
          notification: {
            channel: n.channel,
            fields: n.fields,
            ...(outcome.status === 'failed' && { failure: true }),
            alert: {
              ...(alertId !== undefined && { id: alertId }),
              ruleId: rule.id,
              ruleName: rule.name,
              ...(definition.description && { description: definition.description }),
              level: outcome.alertLevel,
              status: outcome.status === 'failed' ? 'failed' : (alertStatus ?? 'new'),
              resultSize: outcome.resultSize,
              ...(options.monitoring.webLink && {
                webLink: `${options.monitoring.webLink.replace(/\/$/, '')}/alerts/${alertId ?? ''}`,
              }),
            },
          },
        })),
        endedOn,
      );
    }
    return result;
  });
  for (const tag of outcome.tags)
    await tagEntities(options.store, tag.entityIds, tag.tags, rule.id, endedOn);
  return summary;
}

/**
 * After a sync: nothing when it failed; otherwise the rules' tags are written back, then every
 * enabled query rule runs on the new graph and every change rule on the sync's changes.
 */
/** Whether any rule was evaluated after sync `syncId`. */
export async function syncEvaluated(store: GraphStore, syncId: number): Promise<boolean> {
  const state = await store.state();
  const [row] = await state.all<{ n: number | string }>(
    'SELECT COUNT(*) AS n FROM rule_evaluations WHERE sync_id = ?',
    [syncId],
  );
  return Number(row?.n ?? 0) > 0;
}

export async function evaluateAfterSync(
  record: SyncRecord,
  options: MonitorOptions,
): Promise<EvaluationSummary[]> {
  if (record.status !== 'success' && record.status !== 'partial') return [];
  await reapplyTags(options.store, record.instanceId);
  // A retried evaluation (its process died: a job queue runs it again) skips the rules already
  // evaluated for this sync, whose evaluation, alert change and outbox rows committed together,
  // so no notification is queued twice under a new delivery id.
  const state = await options.store.state();
  const evaluated = await state.all<{ rule_id: string }>(
    'SELECT DISTINCT rule_id FROM rule_evaluations WHERE sync_id = ?',
    [record.id],
  );
  const done = new Set(evaluated.map((r) => r.rule_id));
  const rules = (await listRules(options.store)).filter((r) => r.enabled && !done.has(r.id));
  const changes = rules.some((r) => r.kind === 'change')
    ? await changeItemsOfSync(options.store, record.id)
    : [];
  const trigger: EvaluationTrigger = {
    kind: 'sync',
    syncId: record.id,
    instanceId: record.instanceId,
    changes,
  };
  const summaries: EvaluationSummary[] = [];
  for (const rule of rules) summaries.push(await evaluateStoredRule(rule, trigger, options));
  return summaries;
}

/** Query rules whose own pollingInterval is due (DISABLED: only after syncs). */
export async function evaluateDueRules(options: MonitorOptions): Promise<EvaluationSummary[]> {
  const now = options.now();
  const summaries: EvaluationSummary[] = [];
  for (const rule of await listRules(options.store)) {
    if (!rule.enabled || rule.kind !== 'query') continue;
    const interval = (rule.definition as RuleObject).pollingInterval ?? 'ONE_DAY';
    const next = nextRunAt({ pollingInterval: interval }, rule.lastEvaluatedOn, now);
    if (next !== undefined && next <= now)
      summaries.push(await evaluateStoredRule(rule, { kind: 'schedule' }, options));
  }
  return summaries;
}

/** `rules run NAME` and the API: one rule now. */
export async function evaluateRuleNow(
  idOrName: string,
  options: MonitorOptions,
): Promise<EvaluationSummary | undefined> {
  const rule = await findRule(options.store, idOrName);
  return rule && evaluateStoredRule(rule, { kind: 'manual' }, options);
}
