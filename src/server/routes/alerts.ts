/**
 * Alerts (list, detail with the rows that triggered them, acknowledge, dismiss) and rules (list,
 * enable or disable): the same functions the CLI's `alerts` and `rules` commands call.
 */
import {
  acknowledgeAlert,
  dismissAlert,
  getAlert,
  listAlerts,
  listRules,
  setRuleEnabled,
  AlertNotFoundError,
  type StoredRule,
} from '../../alerts/index.js';
import type { Action } from '../../alerts/rule-format.js';
import { CHANNELS } from '../../notify/types.js';
import { ApiError } from '../errors.js';
import { requireAction } from '../auth/plugin.js';
import type { ApiApp, RouteContext } from '../context.js';
import {
  AlertDetailView,
  AlertId,
  AlertList,
  AlertListQuery,
  AlertNoteBody,
  AlertView,
  RuleEnabledBody,
  RuleId,
  RuleList,
  RuleView,
  errorResponses,
} from '../schemas.js';

const DELIVERY = new Set<string>(CHANNELS);

/** Delivery actions name endpoints, headers and addresses that may carry secrets: only their type leaves. */
function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  if (typeof object.type === 'string' && DELIVERY.has(object.type))
    return { type: (object as Action).type };
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, withoutSecrets(v)]));
}

export function ruleView(rule: StoredRule) {
  return { ...rule, definition: withoutSecrets(rule.definition) as Record<string, unknown> };
}

/** The store's "no such alert or rule" becomes the API's 404. */
async function orNotFound<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof AlertNotFoundError) throw new ApiError(404, 'not_found', err.message);
    throw err;
  }
}

export function alertRoutes(app: ApiApp, ctx: RouteContext): void {
  const { store } = ctx;

  app.get(
    '/api/v1/alerts',
    {
      schema: {
        tags: ['alerts'],
        summary: 'Alerts, newest first (open ones unless open=false)',
        querystring: AlertListQuery,
        response: { 200: AlertList, ...errorResponses(400) },
      },
    },
    async (request) => ({ alerts: await listAlerts(store, request.query) }),
  );

  app.get(
    '/api/v1/alerts/:id',
    {
      schema: {
        tags: ['alerts'],
        summary: 'One alert with the rows that triggered it and its evaluations',
        params: AlertId,
        response: { 200: AlertDetailView, ...errorResponses(400, 404) },
      },
    },
    async (request) => orNotFound(() => getAlert(store, request.params.id)),
  );

  for (const [verb, decide] of [
    ['acknowledge', acknowledgeAlert],
    ['dismiss', dismissAlert],
  ] as const)
    app.post(
      `/api/v1/alerts/:id/${verb}`,
      {
        onRequest: requireAction('alert.acknowledge'),
        schema: {
          tags: ['alerts'],
          summary:
            verb === 'acknowledge'
              ? 'Acknowledge an open alert with a note (admin); it keeps notifying'
              : 'Dismiss an open alert with a note (admin); quiet until its condition stops holding',
          params: AlertId,
          body: AlertNoteBody,
          response: { 200: AlertView, ...errorResponses(400, 404, 409) },
        },
      },
      async (request) => {
        const { id } = request.params;
        const alert = await orNotFound(() => getAlert(store, id));
        if (alert.resolvedOn !== undefined)
          throw new ApiError(409, 'conflict', `alert ${id} is already resolved`);
        return decide(store, id, request.body.note, request.principal!.name, Date.now());
      },
    );

  app.get(
    '/api/v1/rules',
    {
      schema: {
        tags: ['alerts'],
        summary: 'Every alert rule with its state and last evaluation',
        response: { 200: RuleList },
      },
    },
    async () => ({ rules: (await listRules(store)).map(ruleView) }),
  );

  app.post(
    '/api/v1/rules/:id/enabled',
    {
      onRequest: requireAction('rule.edit'),
      schema: {
        tags: ['alerts'],
        summary: 'Enable or disable a rule (admin); kept across imports',
        params: RuleId,
        body: RuleEnabledBody,
        response: { 200: RuleView, ...errorResponses(400, 404) },
      },
    },
    async (request) =>
      ruleView(
        await orNotFound(() => setRuleEnabled(store, request.params.id, request.body.enabled)),
      ),
  );
}
