/**
 * One evaluation of a rule: run its queries (through an injected runner), build JupiterOne's
 * evaluation context, test each operation's `when` and carry out its actions. The outcome is data
 * (alert decision, tags to set, notifications to send); applying it is `monitor.ts`'s job.
 */
import stableStringify from 'fast-json-stable-stringify';
import { whenHolds } from './conditions.js';
import {
  ALERT_LEVELS,
  type Action,
  type AlertLevel,
  type Operation,
  type RuleObject,
} from './rule-format.js';
import { TemplateRenderer } from './templates.js';
import { omit } from '../util/omit.js';
import { CHANNELS, type Channel as DeliveryChannel } from '../notify/types.js';

export interface QueryData {
  total: number;
  data: unknown[];
}

export type RuleQueryRunner = (
  text: string,
  options: { includeDeleted: boolean },
) => Promise<QueryData>;

/** Actions that leave the service (the outbox's channels); everything else is done in the store. */
const DELIVERY_ACTIONS = CHANNELS;

/** A delivery action with its fields rendered (a `${ENV}` reference is kept as written). */
export interface Notification {
  channel: DeliveryChannel;
  /** Where in the operations it came from (`0.2`, `0.3.1[4]` inside FOR_EACH_ITEM): dedupes retries. */
  position: string;
  fields: Record<string, unknown>;
}

export interface TagRequest {
  /** Entity `_id`s. */
  entityIds: string[];
  tags: { name: string; value: unknown }[];
}

export interface RuleMeta {
  id: string;
  name: string;
  description?: string | null;
  webLink?: string;
  notifyOnFailure?: boolean | null;
  triggerActionsOnNewEntitiesOnly?: boolean | null;
  ignorePreviousResults?: boolean | null;
}

export interface EvaluationOutcome {
  status: 'success' | 'failed';
  error?: string;
  /** Rows of every query of the question (the result size kept per evaluation). */
  resultSize: number;
  /** A CREATE_ALERT was reached: the alert opens or stays open. */
  alertRaised: boolean;
  alertLevel: AlertLevel;
  /** The rows that triggered the alert (each query's data, keyed by query name). */
  rows: Record<string, unknown[]>;
  /** Identity of every item now, for `triggerActionsOnNewEntitiesOnly` next time. */
  itemKeys: string[];
  notifications: Notification[];
  tags: TagRequest[];
  /** Actions recognised but not carried out here, with why. */
  skipped: string[];
}

const UNSUPPORTED: Record<string, string> = {
  CREATE_JIRA_TICKET: 'Jira is not connected to this service',
  PUBLISH_SNS_MESSAGE: 'AWS SNS is not connected to this service',
  SEND_SQS_MESSAGE: 'AWS SQS is not connected to this service',
  SEND_TO_S3: 'AWS S3 is not connected to this service',
};

/** A result item's identity: an entity's id, else the row's content. */
export function itemKey(item: unknown): string {
  if (
    typeof item === 'object' &&
    item !== null &&
    typeof (item as { id?: unknown }).id === 'string'
  )
    return (item as { id: string }).id;
  return stableStringify(item);
}

function levelOf(value: unknown): AlertLevel {
  const upper = String(value ?? '').toUpperCase();
  return (ALERT_LEVELS as readonly string[]).includes(upper) ? (upper as AlertLevel) : 'HIGH';
}

function entityIdsOf(value: unknown): string[] {
  const items = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  const ids: string[] = [];
  for (const item of items) {
    if (typeof item !== 'object' || item === null) continue;
    const record = item as Record<string, unknown>;
    const entity = record.entity as Record<string, unknown> | undefined;
    const id = entity?._id ?? record._id ?? record.id;
    if (typeof id === 'string') ids.push(id);
  }
  return ids;
}

/** FOR_EACH_ITEM's nested actions. */
function childActions(action: Action): Action[] {
  return Array.isArray(action.actions) ? (action.actions as Action[]) : [];
}

interface Run {
  templates: TemplateRenderer;
  runQuery: RuleQueryRunner;
  /** The context actions render with (with only new items under `triggerActionsOnNewEntitiesOnly`). */
  actionContext: Record<string, unknown>;
  /** No new items under `triggerActionsOnNewEntitiesOnly`: deliveries and tags wait. */
  quiet: boolean;
  outcome: EvaluationOutcome;
}

async function runActions(actions: Action[], position: string, run: Run): Promise<void> {
  // JUPITERONE_QUERY children run first, so their results are in scope for the others.
  const ordered = [
    ...actions.map((a, i) => [a, i] as const).filter(([a]) => a.type === 'JUPITERONE_QUERY'),
    ...actions.map((a, i) => [a, i] as const).filter(([a]) => a.type !== 'JUPITERONE_QUERY'),
  ];
  for (const [action, index] of ordered) await runAction(action, `${position}.${index}`, run);
}

async function runAction(action: Action, position: string, run: Run): Promise<void> {
  const { templates, actionContext: context, outcome } = run;
  switch (action.type) {
    case 'SET_PROPERTY': {
      const value = templates.renderDeep(action.targetValue, context);
      context[String(action.targetProperty)] = value;
      if (action.targetProperty === 'alertLevel') outcome.alertLevel = levelOf(value);
      return;
    }
    case 'CREATE_ALERT':
      outcome.alertRaised = true;
      return;
    case 'JUPITERONE_QUERY': {
      const name = String(action.name ?? 'query');
      const text = String(templates.render(String(action.query ?? ''), context));
      const queries = context.queries as Record<string, QueryData>;
      queries[name] = await run.runQuery(text, { includeDeleted: action.includeDeleted === true });
      return;
    }
    case 'FOR_EACH_ITEM': {
      if (run.quiet) return;
      const value = templates.render(String(action.items ?? ''), context);
      const items = Array.isArray(value)
        ? value
        : value === undefined || value === null
          ? []
          : [value];
      const ref = typeof action.itemRef === 'string' && action.itemRef ? action.itemRef : 'item';
      const outer = context[ref];
      for (const [i, item] of items.entries()) {
        context[ref] = item;
        await runActions(childActions(action), `${position}[${i}]`, run);
      }
      context[ref] = outer;
      return;
    }
    case 'TAG_ENTITIES': {
      if (run.quiet) return;
      const entityIds = entityIdsOf(templates.render(String(action.entities ?? ''), context));
      const tags = (Array.isArray(action.tags) ? action.tags : []).map((t: unknown) => {
        const tag = templates.renderDeep(t, context) as { name?: unknown; value?: unknown };
        return { name: String(tag.name), value: tag.value ?? null };
      });
      if (entityIds.length > 0 && tags.length > 0) outcome.tags.push({ entityIds, tags });
      return;
    }
    default: {
      if ((DELIVERY_ACTIONS as readonly string[]).includes(action.type)) {
        if (run.quiet) return;
        outcome.notifications.push({
          channel: action.type as DeliveryChannel,
          position,
          fields: templates.renderDeep(omit(action, 'type', 'id'), context) as Record<
            string,
            unknown
          >,
        });
        return;
      }
      outcome.skipped.push(
        `${position} ${action.type}: ${UNSUPPORTED[action.type] ?? 'unknown action type'}`,
      );
    }
  }
}

/** Runs the operations over a prepared context (shared by query rules and change rules). */
export async function runOperations(options: {
  rule: RuleMeta;
  operations: Operation[];
  templates: Record<string, string>;
  queries: Record<string, QueryData>;
  /** Per query name, the items to act on (new ones only, when so configured). */
  actionData?: Record<string, QueryData>;
  params: Record<string, unknown>;
  runQuery: RuleQueryRunner;
  outcome: EvaluationOutcome;
}): Promise<void> {
  const templates = new TemplateRenderer(options.templates);
  const base = {
    param: options.params,
    alertRuleName: options.rule.name,
    alertRuleId: options.rule.id,
    alertRuleDescription: options.rule.description ?? '',
    alertWebLink: options.rule.webLink ?? '',
  };
  const actionQueries = { ...options.queries, ...options.actionData };
  const run: Run = {
    templates,
    runQuery: options.runQuery,
    actionContext: { ...base, queries: actionQueries },
    quiet:
      Object.values(actionQueries).every((q) => q.data.length === 0) &&
      options.actionData !== undefined,
    outcome: options.outcome,
  };
  for (const [index, operation] of options.operations.entries()) {
    // Conditions see every row and what SET_PROPERTY has set so far; actions may see fewer rows.
    const holds = whenHolds(
      operation.when as Parameters<typeof whenHolds>[0],
      { ...run.actionContext, queries: options.queries },
      templates,
    );
    if (holds) await runActions(operation.actions as Action[], String(index), run);
  }
}

export function emptyOutcome(): EvaluationOutcome {
  return {
    status: 'success',
    resultSize: 0,
    alertRaised: false,
    alertLevel: 'HIGH',
    rows: {},
    itemKeys: [],
    notifications: [],
    tags: [],
    skipped: [],
  };
}

/** Only the items not seen last time (all of them when there is no last time to compare with). */
export function newItems(data: QueryData, previous: Set<string> | undefined): QueryData {
  if (!previous) return data;
  const fresh = data.data.filter((item) => !previous.has(itemKey(item)));
  return { total: fresh.length, data: fresh };
}

/** Evaluates a JupiterOne query rule. A query or template error makes the outcome `failed`. */
export async function evaluateQueryRule(
  rule: RuleObject,
  meta: RuleMeta,
  env: {
    runQuery: RuleQueryRunner;
    params: Record<string, unknown>;
    /** Item keys of the previous evaluation (undefined: none yet). */
    previousKeys?: string[];
  },
): Promise<EvaluationOutcome> {
  const outcome = emptyOutcome();
  try {
    const queries: Record<string, QueryData> = {};
    for (const [i, q] of (rule.question?.queries ?? []).entries()) {
      const name = q.name ?? `query${i}`;
      queries[name] = await env.runQuery(q.query, { includeDeleted: q.includeDeleted === true });
    }
    outcome.resultSize = Object.values(queries).reduce((n, q) => n + q.total, 0);
    outcome.itemKeys = Object.values(queries).flatMap((q) => q.data.map(itemKey));
    outcome.rows = Object.fromEntries(Object.entries(queries).map(([n, q]) => [n, q.data]));
    let actionData: Record<string, QueryData> | undefined;
    if (rule.triggerActionsOnNewEntitiesOnly) {
      const previous =
        rule.ignorePreviousResults || !env.previousKeys ? undefined : new Set(env.previousKeys);
      actionData = Object.fromEntries(
        Object.entries(queries).map(([n, q]) => [n, newItems(q, previous)]),
      );
    }
    await runOperations({
      rule: meta,
      operations: rule.operations ?? [],
      templates: rule.templates ?? {},
      queries,
      actionData,
      params: env.params,
      runQuery: env.runQuery,
      outcome,
    });
  } catch (err) {
    return failedOutcome(rule.operations ?? [], meta, err, outcome.resultSize);
  }
  return outcome;
}

/** Every delivery action of the operations, however nested. */
function deliveryActions(
  actions: Action[],
  position: string,
): { action: Action; position: string }[] {
  return actions.flatMap((action, i) => [
    ...((DELIVERY_ACTIONS as readonly string[]).includes(action.type)
      ? [{ action, position: `${position}.${i}` }]
      : []),
    ...deliveryActions(childActions(action), `${position}.${i}`),
  ]);
}

/**
 * A failed evaluation. With `notifyOnFailure`, each of the rule's delivery actions gets a
 * failure notice (its target fields, the error as the body): templates are not rendered, since the
 * data they read is what failed.
 */
export function failedOutcome(
  operations: Operation[],
  meta: RuleMeta,
  err: unknown,
  resultSize = 0,
): EvaluationOutcome {
  const error = err instanceof Error ? err.message : String(err);
  const outcome: EvaluationOutcome = { ...emptyOutcome(), status: 'failed', error, resultSize };
  if (!meta.notifyOnFailure) return outcome;
  const body = `Alert rule "${meta.name}" failed to evaluate: ${error}`;
  outcome.notifications = operations
    .flatMap((op, i) => deliveryActions(op.actions as Action[], `failure.${i}`))
    .map(({ action, position }) => {
      return {
        channel: action.type as DeliveryChannel,
        position,
        fields: { ...omit(action, 'type', 'id', 'body'), body },
      };
    });
  return outcome;
}
