import { checkBearer, hasAnyRole, quotaKey, type BearerProblem } from './auth.js';
import {
  json,
  Refusal,
  type ErrorReply,
  type Reply,
  type RequestContext,
  type Route,
} from './http.js';
import type { FilterNode } from './odata-filter.js';
import { filterOption, integerOption, link, readPage } from './odata.js';
import { runQuery } from './hunting/evaluate.js';
import { KqlError, parseKql } from './hunting/kql.js';
import { logonEventsTable } from './hunting/logon-events.js';
import type { DefenderQuota, QuotaRefusal } from './quotas.js';
import type { EmulatorServices, FaultableResponses } from './services.js';
import { fields, sequenceOf, type Sequence } from './tenant-view.js';

/** The Defender for Endpoint API under `/defender` (defender-api.md §3–§6). */

const BASE = '/defender/api';
/** `@odata.context` names Microsoft's host, as the real API does, whatever host served the page. */
const METADATA = 'https://api.securitycenter.microsoft.com/api/$metadata';

const QUOTA_STANDARD: DefenderQuota = { perMinute: 100, perHour: 1500 };
const QUOTA_MACHINE_VULNERABILITIES: DefenderQuota = { perMinute: 50, perHour: 1500 };
const QUOTA_ADVANCED_HUNTING: DefenderQuota = { perMinute: 45, perHour: 1500 };

const MACHINE_ROLES = ['Machine.Read.All', 'Machine.ReadWrite.All'];
const USER_ROLES = ['User.Read.All'];
const VULNERABILITY_ROLES = ['Vulnerability.Read.All'];
const HUNTING_ROLES = ['AdvancedQuery.Read.All'];

const VULNERABILITY_DTO = '#microsoft.windowsDefenderATP.api.PublicVulnerabilityDto';

function defenderHeaders(ctx: RequestContext): Record<string, string> {
  return {
    'Content-Type': 'application/json; odata.metadata=minimal; odata.streaming=true; charset=utf-8',
    'OData-Version': '4.0',
    'request-id': ctx.requestId,
    'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
  };
}

/** `{"error":{"code","message","target"}}`; target is the per-request correlation id (§6.1). */
const defenderError: ErrorReply = (ctx, status, code, message, headers = {}) =>
  json(
    status,
    { error: { code, message, target: ctx.requestId } },
    { ...defenderHeaders(ctx), ...headers },
  );

const fail = (ctx: RequestContext, status: number, code: string, message: string) =>
  new Refusal(defenderError(ctx, status, code, message));

// The exact 401 wording is UNCONFIRMED (§6.3); these name what is wrong.
const TOKEN_MESSAGES: Record<Exclude<BearerProblem, 'audience'>, string> = {
  missing: 'Authorization header is missing or empty.',
  malformed: 'The access token is not a well-formed JWT.',
  signature: 'The access token signature is invalid.',
  expired: 'The access token has expired.',
  revoked: 'The access token was revoked before its expiry.',
  tenant: 'The access token was issued for another tenant.',
};

interface Endpoint {
  method?: 'GET' | 'POST';
  path: string;
  roles: readonly string[];
  quota: DefenderQuota;
  /** `quotaKey` identifies the caller (tenant and app) for quotas beyond the call count. */
  handle: (services: EmulatorServices, ctx: RequestContext, quotaKey: string) => Reply;
}

/** Checks the token, its roles and the call quota; answers the caller's quota key. */
async function authorize(
  services: EmulatorServices,
  ctx: RequestContext,
  endpoint: Endpoint,
): Promise<string> {
  const check = await checkBearer(ctx, services, 'defender');
  if (!check.ok) {
    // A token for another resource is refused with 403, not 401 (§1.1).
    if (check.problem === 'audience')
      throw fail(
        ctx,
        403,
        'Forbidden',
        `The access token audience '${check.audience ?? ''}' is not valid for this API; request a token for https://api.securitycenter.microsoft.com.`,
      );
    throw fail(ctx, 401, 'Unauthorized', TOKEN_MESSAGES[check.problem]);
  }
  if (!hasAnyRole(check.roles, endpoint.roles))
    throw fail(
      ctx,
      403,
      'Forbidden',
      `Missing application roles. API required roles: ${endpoint.roles.join(',')}`,
    );
  const key = quotaKey(check.claims, ctx.route);
  const refusal = services.defenderQuotas.take(key, endpoint.quota);
  if (refusal)
    throw new Refusal(
      defenderError(
        ctx,
        429,
        '429',
        `API calls quota exceeded! Maximum allowed ${refusal.limit} per ${refusal.window} for the key Destination+TenantID+AppID. You can send requests again in ${refusal.retryAfterSeconds} seconds.`,
        { 'Retry-After': String(refusal.retryAfterSeconds) },
      ),
    );
  return key;
}

/** Seconds as a .NET TimeSpan, as Defender's quota messages write durations: `[d.]hh:mm:ss`. */
function timeSpan(seconds: number): string {
  const days = Math.floor(seconds / 86_400);
  const clock = new Date((seconds % 86_400) * 1000).toISOString().slice(11, 19);
  return days > 0 ? `${days}.${clock}` : clock;
}

/** 429 for a used-up CPU quota (§4.12: "the body says which"; the exact wording is UNCONFIRMED). */
function cpuQuotaRefusal(ctx: RequestContext, refusal: QuotaRefusal): Refusal {
  const allowed = timeSpan(refusal.limit);
  return new Refusal(
    defenderError(
      ctx,
      429,
      '429',
      `Query CPU quota exceeded! Maximum allowed ${allowed} of CPU per ${refusal.window} for the key Destination+TenantID+AppID. You can send requests again in ${refusal.retryAfterSeconds} seconds.`,
      { 'Retry-After': String(refusal.retryAfterSeconds) },
    ),
  );
}

/**
 * `POST /api/advancedqueries/run` (§4.12) over `DeviceLogonEvents` (hunting/logon-events.ts): the
 * body is `{"Query": "…"}` (case-sensitive), the query the KQL subset of hunting/kql.ts. A query is
 * refused while the caller's CPU quota is used up, charged by the rows it reads, and its answer cut
 * at the row cap (whether Microsoft cuts or refuses is UNCONFIRMED; the collector asks for no more).
 */
function advancedQuery(s: EmulatorServices, ctx: RequestContext, key: string): Reply {
  let body: unknown;
  try {
    body = JSON.parse(ctx.body);
  } catch {
    throw fail(ctx, 400, 'InvalidRequestBody', 'The request body is not valid JSON.');
  }
  const query = (body as { Query?: unknown } | null)?.Query;
  if (typeof query !== 'string')
    throw fail(
      ctx,
      400,
      'InvalidRequestBody',
      'The request body must be {"Query": "<KQL>"}; the key is case-sensitive.',
    );
  const refusal = s.hunting.cpu.check(key) ?? s.faults.huntingCpuRefusal();
  if (refusal) throw cpuQuotaRefusal(ctx, refusal);
  let result;
  try {
    result = runQuery(parseKql(query), logonEventsTable(s.tenant));
  } catch (err) {
    if (err instanceof KqlError)
      throw fail(ctx, 400, 'BadRequest', `Query could not be run: ${err.message}`);
    throw err;
  }
  s.hunting.cpu.charge(key, result.scanned * s.hunting.cpuMsPerRow);
  return json(
    200,
    { Schema: result.schema, Results: result.results.slice(0, s.hunting.rowCap) },
    { ...defenderHeaders(ctx), 'Content-Type': 'application/json; charset=utf-8' },
  );
}

interface ListSpec {
  /** `$metadata#…` suffix of `@odata.context`. */
  context: string;
  /** `$top` maximum, also the server page size when `$top` is absent. */
  maxTop: number;
  /** Properties `$filter` may name (§4.1, §4.5, §4.6); undefined = no `$filter` support documented. */
  filterable?: readonly string[];
  /** Adds `@odata.count` (per-machine vulnerabilities) and each item's `@odata.type`. */
  itemType?: string;
  /** Per-machine sub-resources have no documented paging: without `$top` they return everything. */
  unpaged?: boolean;
}

function parseDefenderFilter(ctx: RequestContext, spec: ListSpec): FilterNode | undefined {
  const usage = filterOption(ctx.query, (raw, message) =>
    defenderError(ctx, 400, 'ODataError', `Invalid $filter '${raw}': ${message}.`),
  );
  if (usage === undefined) return undefined;
  const allowed = new Set((spec.filterable ?? []).map((p) => p.toLowerCase()));
  for (const property of usage.properties)
    if (!allowed.has(property.toLowerCase()))
      // Exact code and message for a non-filterable property are UNCONFIRMED (§3.4).
      throw fail(
        ctx,
        400,
        'ODataError',
        `The property '${property}' cannot be used in the $filter query option.`,
      );
  return usage.filter;
}

/**
 * Paging exactly as §3.3: with `$top` the client pages itself and never gets a nextLink; without it
 * the server sends at most `maxTop` items and `…?$skip=N` when more exist. The nextLink keeps the
 * other options (whether the real one does is UNCONFIRMED; dropping `$filter` would be a bug).
 */
function list(
  services: EmulatorServices,
  ctx: RequestContext,
  source: Sequence,
  spec: ListSpec,
): Reply {
  const top = integerOption(ctx.query, '$top');
  const skip = integerOption(ctx.query, '$skip') ?? 0;
  const path = ctx.url.pathname;
  const { faults } = services;
  if (top !== undefined && !(top <= spec.maxTop))
    throw fail(
      ctx,
      400,
      'ODataError',
      `Invalid $top value '${ctx.query.get('$top')}': the maximum page size is ${spec.maxTop}.`,
    );
  if (Number.isNaN(skip))
    throw fail(ctx, 400, 'ODataError', `Invalid $skip value '${ctx.query.get('$skip')}'.`);
  const filter = parseDefenderFilter(ctx, spec);
  const size = top ?? faults.pageSize(path, spec.unpaged ? Number.MAX_SAFE_INTEGER : spec.maxTop);
  const view = faults.listingView(path, source, skip > 0);
  const start = skip > 0 ? faults.continueFrom(path, skip) : 0;
  const page = readPage(view, { startPosition: 0, skipMatches: start, size, filter });
  const items = spec.itemType
    ? page.items.map((item) => ({ '@odata.type': spec.itemType, ...fields(item) }))
    : page.items;
  const body: Record<string, unknown> = {
    '@odata.context': `${METADATA}#${spec.context}`,
  };
  if (spec.itemType) body['@odata.count'] = items.length;
  body.value = items;
  if (top === undefined && page.nextPosition !== undefined) {
    const params = [...ctx.query].filter(([k]) => k.toLowerCase() !== '$skip');
    params.push(['$skip', String(start + page.items.length)]);
    body['@odata.nextLink'] = link(ctx.origin, ctx.url.pathname, params);
  }
  return json(200, body, defenderHeaders(ctx));
}

/** `{id}` may be the machine id or its computer name (§4.2). */
function findMachine(services: EmulatorServices, ctx: RequestContext): object {
  const id = ctx.params.id ?? '';
  const byId = services.tenant.machines.byId(id) ?? services.tenant.machines.byId(id.toLowerCase());
  if (byId !== undefined) return byId;
  // A 40-hex id is a machine id, never a name: skip the scan of every machine.
  if (/^[0-9a-f]{40}$/i.test(id))
    throw fail(ctx, 404, 'ResourceNotFound', `Machine ${id} was not found`);
  const name = id.toLowerCase();
  for (const machine of services.tenant.machines)
    if (String(fields(machine).computerDnsName ?? '').toLowerCase() === name) return machine;
  throw fail(ctx, 404, 'ResourceNotFound', `Machine ${id} was not found`);
}

function machineSubResource(
  services: EmulatorServices,
  ctx: RequestContext,
  read: (machineId: string) => readonly object[] | undefined,
  spec: ListSpec,
): Reply {
  const machineId = String(fields(findMachine(services, ctx)).id);
  const items = read(machineId) ?? [];
  return list(services, ctx, sequenceOf(items), spec);
}

const MACHINE_FILTERABLE = [
  'computerDnsName',
  'id',
  'version',
  'deviceValue',
  'aadDeviceId',
  'machineTags',
  'lastSeen',
  'exposureLevel',
  'onboardingStatus',
  'lastIpAddress',
  'healthStatus',
  'osPlatform',
  'riskScore',
  'rbacGroupId',
];

const ENDPOINTS: Endpoint[] = [
  {
    path: '/machines',
    roles: MACHINE_ROLES,
    quota: QUOTA_STANDARD,
    handle: (s, ctx) =>
      list(s, ctx, s.tenant.machines, {
        context: 'Machines',
        maxTop: 10_000,
        filterable: MACHINE_FILTERABLE,
      }),
  },
  {
    path: '/machines/{id}',
    roles: MACHINE_ROLES,
    quota: QUOTA_STANDARD,
    handle: (s, ctx) =>
      json(
        200,
        {
          '@odata.context': `${METADATA}#Machines/$entity`,
          ...fields(findMachine(s, ctx)),
        },
        defenderHeaders(ctx),
      ),
  },
  {
    path: '/machines/{id}/logonusers',
    roles: USER_ROLES,
    quota: QUOTA_STANDARD,
    handle: (s, ctx) =>
      machineSubResource(s, ctx, (id) => s.tenant.machineLogonUsers(id), {
        context: 'Users',
        maxTop: 10_000,
        unpaged: true,
      }),
  },
  {
    path: '/machines/{id}/vulnerabilities',
    roles: VULNERABILITY_ROLES,
    quota: QUOTA_MACHINE_VULNERABILITIES,
    handle: (s, ctx) =>
      machineSubResource(s, ctx, (id) => s.tenant.machineVulnerabilities(id), {
        context: `Vulnerabilities/${VULNERABILITY_DTO.slice(1)}`,
        maxTop: 10_000,
        itemType: VULNERABILITY_DTO,
        unpaged: true,
      }),
  },
  {
    path: '/vulnerabilities',
    roles: VULNERABILITY_ROLES,
    // The rate limit of the vulnerability lists is undocumented; assumed like the others (§5).
    quota: QUOTA_STANDARD,
    handle: (s, ctx) =>
      list(s, ctx, s.tenant.vulnerabilities, {
        context: 'Vulnerabilities',
        maxTop: 8_000,
        filterable: ['id', 'name', 'description', 'cvssV3', 'publishedOn', 'severity', 'updatedOn'],
      }),
  },
  {
    path: '/vulnerabilities/machinesVulnerabilities',
    roles: VULNERABILITY_ROLES,
    quota: QUOTA_STANDARD,
    handle: (s, ctx) =>
      list(s, ctx, s.tenant.machineVulnerabilityRows(), {
        context: 'Collection(microsoft.windowsDefenderATP.api.PublicAssetVulnerabilityDto)',
        maxTop: 10_000,
        filterable: [
          'id',
          'cveId',
          'machineId',
          'fixingKbId',
          'productName',
          'productVersion',
          'severity',
          'productVendor',
        ],
      }),
  },
  {
    method: 'POST',
    path: '/advancedqueries/run',
    roles: HUNTING_ROLES,
    quota: QUOTA_ADVANCED_HUNTING,
    handle: advancedQuery,
  },
  {
    path: '/vulnerabilities/{id}',
    roles: VULNERABILITY_ROLES,
    quota: QUOTA_STANDARD,
    handle: (s, ctx) => {
      const id = ctx.params.id ?? '';
      const cve =
        s.tenant.vulnerabilities.byId(id) ?? s.tenant.vulnerabilities.byId(id.toUpperCase());
      if (cve === undefined)
        throw fail(ctx, 404, 'ResourceNotFound', `Vulnerability ${id} was not found`);
      return json(
        200,
        {
          '@odata.context': `${METADATA}#Vulnerabilities/$entity`,
          ...fields(cve),
        },
        defenderHeaders(ctx),
      );
    },
  },
];

export function defenderRoutes(services: EmulatorServices): Route[] {
  return ENDPOINTS.map((endpoint) => ({
    method: endpoint.method ?? 'GET',
    pattern: `${BASE}${endpoint.path}`,
    family: 'defender' as const,
    handle: async (ctx: RequestContext) => {
      const key = await authorize(services, ctx, endpoint);
      return endpoint.handle(services, ctx, key);
    },
  }));
}

/** The refusal once the hourly quota is used up (defender-api.md §5), with its long Retry-After. */
export function defenderHourlyQuotaReply(ctx: RequestContext, retryAfterSeconds: number): Reply {
  return defenderError(
    ctx,
    429,
    '429',
    `API calls quota exceeded! Maximum allowed 1500 per 01:00:00 for the key Destination+TenantID+AppID. You can send requests again in ${retryAfterSeconds} seconds.`,
    { 'Retry-After': String(retryAfterSeconds) },
  );
}

export const defenderResponses: FaultableResponses = {
  // Microsoft's message names the path on its own host, without the emulator's `/defender` prefix.
  notFound: (ctx) =>
    defenderError(
      ctx,
      404,
      'ResourceNotFound',
      `Resource ${ctx.url.pathname.replace(/^\/defender(?=\/)/i, '')} was not found`,
    ),
  methodNotAllowed: (ctx, allowed) =>
    defenderError(ctx, 405, 'BadRequest', `The HTTP method '${ctx.method}' is not allowed here.`, {
      Allow: allowed.join(', '),
    }),
  injected429: (ctx, retryAfter) =>
    defenderError(
      ctx,
      429,
      '429',
      `API calls quota exceeded! Maximum allowed 100 per 00:01:00 for the key Destination+TenantID+AppID. You can send requests again in ${retryAfter} seconds.`,
      { 'Retry-After': String(retryAfter) },
    ),
  injected5xx: (ctx) => defenderError(ctx, 500, 'InternalServerError', ''),
};
