import { z } from 'zod';
import { json, type Reply, type RequestContext, type Route } from './http.js';
import type { ChurnSizes } from './tenant/churn.js';
import { faultsSchema } from './faults.js';
import type { EmulatorServices, FamilyResponses } from './services.js';
import { rosterCsv } from './roster-file.js';

/** The Admin API under `/admin`: ground truth, churn, faults and stats. No auth: loopback only. */

function adminError(status: number, message: string, headers: Record<string, string> = {}): Reply {
  return json(
    status,
    { error: { code: status === 404 ? 'NotFound' : 'BadRequest', message } },
    headers,
  );
}

/** Parses an admin body (empty = `{}`) with `schema`; a refusal names the field. */
function parseBody<T>(
  ctx: RequestContext,
  schema: z.ZodType<T>,
  what: string,
): { ok: true; value: T } | { ok: false; reply: Reply } {
  let body: unknown;
  try {
    body = ctx.body.trim() === '' ? {} : JSON.parse(ctx.body);
  } catch (err) {
    return {
      ok: false,
      reply: adminError(400, `The body is not valid JSON: ${(err as Error).message}`),
    };
  }
  const parsed = schema.safeParse(body);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0]!;
  const field = issue.path.join('.') || '(body)';
  return {
    ok: false,
    reply: adminError(400, `Invalid ${what} field '${field}': ${issue.message}`),
  };
}

function setFaults(services: EmulatorServices, ctx: RequestContext): Reply {
  const parsed = parseBody(ctx, faultsSchema, 'fault');
  if (!parsed.ok) return parsed.reply;
  services.faults.set(parsed.value);
  return json(200, { faults: services.faults.current });
}

/** Churn sizes per kind: below 1 a share of the collection, 1 or more a count. */
const churnSchema = z
  .object(
    Object.fromEntries(
      ['users', 'groups', 'machines', 'vulnerabilities', 'logons'].map((k) => [
        k,
        z.number().positive().optional(),
      ]),
    ),
  )
  .strict();

function advance(services: EmulatorServices, ctx: RequestContext): Reply {
  const parsed = parseBody(ctx, churnSchema, 'churn');
  if (!parsed.ok) return parsed.reply;
  return json(200, services.tenant.advance(parsed.value as ChurnSizes));
}

export function adminRoutes(services: EmulatorServices): Route[] {
  const route = (method: string, pattern: string, handle: Route['handle']): Route => ({
    method,
    pattern,
    family: 'admin',
    handle,
  });
  return [
    route('GET', '/admin/truth', (ctx) => {
      const lists = ctx.query.get('lists') !== 'false';
      const truth = services.tenant.truth({ lists });
      return json(200, lists ? truth : { counts: truth.counts });
    }),
    route('GET', '/admin/roster', (ctx) => {
      const roster = services.tenant.roster();
      return ctx.query.get('format') === 'json'
        ? json(200, { employees: roster })
        : { status: 200, headers: { 'Content-Type': 'text/csv' }, body: rosterCsv(roster) };
    }),
    route('POST', '/admin/advance', (ctx) => advance(services, ctx)),
    route('GET', '/admin/faults', () => json(200, { faults: services.faults.current })),
    route('POST', '/admin/faults', (ctx) => setFaults(services, ctx)),
    route('DELETE', '/admin/faults', () => {
      services.faults.set({});
      return json(200, { faults: {} });
    }),
    route('GET', '/admin/stats', () => json(200, services.stats.snapshot())),
    route('DELETE', '/admin/stats', () => {
      services.stats.reset();
      return json(200, services.stats.snapshot());
    }),
  ];
}

export const adminResponses: FamilyResponses = {
  notFound: (ctx) => adminError(404, `No admin endpoint ${ctx.url.pathname}.`),
  methodNotAllowed: (ctx, allowed) =>
    adminError(
      405,
      `${ctx.method} is not allowed on ${ctx.url.pathname}; use ${allowed.join(' or ')}.`,
      {
        Allow: allowed.join(', '),
      },
    ),
};
