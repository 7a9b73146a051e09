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
import {
  countMatches,
  filterOption,
  integerOption,
  link,
  project,
  readPage,
  selectList,
} from './odata.js';
import { graphBucketSize, graphRequestCost } from './quotas.js';
import type { EmulatorServices, FaultableResponses } from './services.js';
import { DEVICE_DEFAULT_PROPERTIES, USER_DEFAULT_PROPERTIES } from './tenant/index.js';
import { fields, sequenceOf, type Sequence } from './tenant-view.js';

/** Microsoft Graph v1.0 under `/graph` (graph-api.md §4–§8). */

export const BASE = '/graph/v1.0';
export const METADATA = 'https://graph.microsoft.com/v1.0/$metadata';

/** Application permissions that grant each resource (graph-api.md §8), least privileged first. */
export const ROLES = {
  organization: [
    'Organization.Read.All',
    'Directory.Read.All',
    'Organization.ReadWrite.All',
    'Directory.ReadWrite.All',
  ],
  users: ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
  groups: [
    'Group.Read.All',
    'GroupMember.Read.All',
    'Directory.Read.All',
    'Group.ReadWrite.All',
    'Directory.ReadWrite.All',
  ],
  members: [
    'GroupMember.Read.All',
    'Group.Read.All',
    'Directory.Read.All',
    'GroupMember.ReadWrite.All',
    'Group.ReadWrite.All',
  ],
  devices: [
    'Device.Read.All',
    'Device.ReadWrite.All',
    'Directory.Read.All',
    'Directory.ReadWrite.All',
  ],
} as const;

export const MAX_TOP = 999;
const DEFAULT_TOP = 100;

/** Operators that need `ConsistencyLevel: eventual` and `$count=true` (graph-api.md §5.2). */
const ADVANCED_OPERATORS = ['ne', 'not', 'endswith', 'contains'];

function graphHeaders(ctx: RequestContext, resourceUnits?: number): Record<string, string> {
  return {
    'request-id': ctx.requestId,
    'client-request-id': ctx.clientRequestId,
    'x-ms-ags-diagnostic': JSON.stringify({
      ServerInfo: {
        DataCenter: 'Loopback',
        Slice: 'E',
        Ring: '0',
        ScaleUnit: '000',
        RoleInstance: 'emulator',
      },
    }),
    ...(resourceUnits === undefined ? {} : { 'x-ms-resource-unit': String(resourceUnits) }),
    'Cache-Control': 'no-cache',
    'Strict-Transport-Security': 'max-age=31536000',
  };
}

/** Graph's error envelope: `innerError` with a zone-less date (graph-api.md §4.3). */
export const graphError: ErrorReply = (ctx, status, code, message, headers = {}) =>
  json(
    status,
    {
      error: {
        code,
        message,
        innerError: {
          date: new Date().toISOString().slice(0, 19),
          'request-id': ctx.requestId,
          'client-request-id': ctx.clientRequestId,
        },
      },
    },
    { ...graphHeaders(ctx), 'Content-Type': 'application/json', ...headers },
  );

export function ok(ctx: RequestContext, body: object, resourceUnits: number): Reply {
  return json(200, body, {
    ...graphHeaders(ctx, resourceUnits),
    'Content-Type':
      'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8',
    'OData-Version': '4.0',
  });
}

const WWW_AUTHENTICATE =
  'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"';

const TOKEN_MESSAGES: Record<BearerProblem, string> = {
  missing: 'Access token is empty.',
  malformed:
    "IDX14100: JWT is not well formed, there are no dots (.).\nThe token needs to be in JWS or JWE Compact Serialization Format. (JWS): 'EncodedHeader.EndcodedPayload.EncodedSignature'. (JWE): 'EncodedProtectedHeader.EncodedEncryptedKey.EncodedInitializationVector.EncodedCiphertext.EncodedAuthenticationTag'.",
  signature: 'Access token validation failure. Invalid signature.',
  expired: 'Lifetime validation failed, the token is expired.',
  revoked:
    'Continuous access evaluation resulted in challenge with result: InteractionRequired and code: TokenIssuedBeforeRevocationTimestamp',
  audience: 'Access token validation failure. Invalid audience.',
  tenant: 'Access token validation failure. Invalid audience.',
};

const unsupported = (ctx: RequestContext, message: string) =>
  new Refusal(graphError(ctx, 400, 'Request_UnsupportedQuery', message));

interface Authorized {
  resourceUnits: number;
}

/** Token, role and resource-unit checks shared by every Graph route. */
export async function authorize(
  services: EmulatorServices,
  ctx: RequestContext,
  accepted: readonly string[],
): Promise<Authorized> {
  const check = await checkBearer(ctx, services, 'graph');
  if (!check.ok)
    throw new Refusal(
      graphError(ctx, 401, 'InvalidAuthenticationToken', TOKEN_MESSAGES[check.problem], {
        'WWW-Authenticate': WWW_AUTHENTICATE,
      }),
    );
  if (!hasAnyRole(check.roles, accepted))
    throw new Refusal(
      graphError(
        ctx,
        403,
        'Authorization_RequestDenied',
        'Insufficient privileges to complete the operation.',
      ),
    );
  const cost = graphRequestCost(ctx.route, ctx.query);
  const refusal = services.graphUnits.take(
    quotaKey(check.claims, 'graph'),
    cost,
    graphBucketSize(services.tenant.users.count()),
  );
  if (refusal)
    throw new Refusal(
      graphError(
        ctx,
        429,
        'TooManyRequests',
        'Too many requests. Please retry after the interval given in the Retry-After header.',
        {
          'Retry-After': String(refusal.retryAfterSeconds),
          'x-ms-throttle-scope': `Tenant_Application/ReadOnly/${check.claims.appid}/${check.claims.tid}`,
          'x-ms-throttle-information': 'ResourceUnitLimitExceeded',
        },
      ),
    );
  return { resourceUnits: cost };
}

interface SkipToken {
  position: number;
}

function encodeSkipToken(token: SkipToken): string {
  return Buffer.from(JSON.stringify({ v: 1, p: token.position })).toString('base64url');
}

function decodeSkipToken(ctx: RequestContext, raw: string): SkipToken {
  try {
    const parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as {
      v?: number;
      p?: number;
    };
    if (parsed.v === 1 && Number.isInteger(parsed.p) && (parsed.p as number) >= 0)
      return { position: parsed.p as number };
  } catch {
    // falls through to the error below
  }
  // The wording of Graph's error for a tampered token is UNCONFIRMED.
  throw new Refusal(
    graphError(ctx, 400, 'Request_BadRequest', 'The specified page token value is invalid.'),
  );
}

/** What a collection endpoint lists and how its items are shaped. */
export interface CollectionSpec {
  /** `users`, `groups`, `devices` or `directoryObjects`: the `$metadata#` context. */
  entitySet: string;
  /** OData type name used in error messages, e.g. `User`. */
  typeName: string;
  /** Properties returned without `$select`; undefined = every property of the item. */
  defaults?: readonly string[];
  /** Items of several types (`@odata.type`): `$select` keeps what each item has. */
  mixedTypes?: boolean;
}

function knownProperties(item: object | undefined): string[] {
  return item === undefined ? [] : Object.keys(fields(item)).filter((k) => !k.startsWith('@'));
}

export function shape(
  ctx: RequestContext,
  item: object,
  spec: CollectionSpec,
  select: string[] | undefined,
): Record<string, unknown> {
  const known = knownProperties(item);
  let names = select ?? spec.defaults;
  if (names === undefined) return fields(item);
  // A directoryObject collection mixes types: a property selected for users is absent on contacts.
  if (spec.mixedTypes)
    names = names.filter(
      (n) => n === 'id' || known.some((k) => k.toLowerCase() === n.toLowerCase()),
    );
  const result = project(item, names, known);
  if ('unknown' in result)
    throw new Refusal(
      graphError(
        ctx,
        400,
        'Request_BadRequest',
        `Could not find a property named '${result.unknown}' on type 'microsoft.graph.${spec.typeName[0]!.toLowerCase()}${spec.typeName.slice(1)}'.`,
      ),
    );
  return result.value;
}

function parseGraphFilter(
  ctx: RequestContext,
  spec: CollectionSpec,
  sample: object | undefined,
  advanced: boolean,
): FilterNode | undefined {
  const usage = filterOption(ctx.query, (_raw, message) =>
    graphError(ctx, 400, 'BadRequest', `Invalid filter clause: ${message}.`),
  );
  if (usage === undefined) return undefined;
  const needsAdvanced = ADVANCED_OPERATORS.find((op) => usage.operators.has(op));
  if (needsAdvanced !== undefined && !advanced)
    throw unsupported(
      ctx,
      `Operator '${needsAdvanced}' is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information`,
    );
  const known = new Set(knownProperties(sample).map((k) => k.toLowerCase()));
  for (const property of usage.properties)
    if (sample !== undefined && !known.has(property.toLowerCase()))
      throw unsupported(
        ctx,
        `Unsupported or invalid query filter clause specified for property '${property}' of resource '${spec.typeName}'.`,
      );
  return usage.filter;
}

function eventualConsistency(ctx: RequestContext): boolean {
  const consistency = ctx.req.headers.consistencylevel;
  return typeof consistency === 'string' && consistency.toLowerCase() === 'eventual';
}

/** Advanced queries on a collection need the header and `$count=true` (graph-api.md §5.7). */
function isAdvancedQuery(ctx: RequestContext): boolean {
  return eventualConsistency(ctx) && ctx.query.get('$count')?.toLowerCase() === 'true';
}

function listCollection(
  services: EmulatorServices,
  ctx: RequestContext,
  source: Sequence,
  spec: CollectionSpec,
  resourceUnits: number,
): Reply {
  const top = integerOption(ctx.query, '$top');
  if (top !== undefined && !(top >= 1 && top <= MAX_TOP))
    throw unsupported(
      ctx,
      `Invalid page size specified: '${ctx.query.get('$top')}'. Must be between 1 and ${MAX_TOP} inclusive.`,
    );
  if (ctx.query.has('$skip'))
    throw new Refusal(
      graphError(ctx, 400, 'Request_BadRequest', "'$skip' is not supported by the service."),
    );
  const select = selectList(ctx.query);
  const filter = parseGraphFilter(ctx, spec, source.at(0), isAdvancedQuery(ctx));
  const rawToken = ctx.query.get('$skiptoken');
  if (rawToken !== null && services.faults.graphPageTokenExpired(ctx.url.pathname))
    throw new Refusal(
      graphError(
        ctx,
        400,
        'Directory_ExpiredPageToken',
        'The specified page token value has expired and can no longer be included in your request.',
      ),
    );
  const path = ctx.url.pathname;
  const start =
    rawToken === null
      ? 0
      : services.faults.continueFrom(path, decodeSkipToken(ctx, rawToken).position);
  const page = readPage(source, {
    startPosition: start,
    skipMatches: 0,
    size: services.faults.pageSize(path, top ?? DEFAULT_TOP),
    filter,
  });

  const body: Record<string, unknown> = {
    '@odata.context': `${METADATA}#${spec.entitySet}${select ? `(${select.join(',')})` : ''}`,
  };
  if (rawToken === null && isAdvancedQuery(ctx))
    body['@odata.count'] = countMatches(source, filter);
  if (page.nextPosition !== undefined) {
    const params = [...ctx.query].filter(([k]) => k.toLowerCase() !== '$skiptoken');
    params.push(['$skiptoken', encodeSkipToken({ position: page.nextPosition })]);
    body['@odata.nextLink'] = link(ctx.origin, ctx.url.pathname, params);
  }
  body.value = page.items.map((item) => shape(ctx, item, spec, select));
  return ok(ctx, body, resourceUnits);
}

/** `/$count`: a text/plain number, only with `ConsistencyLevel: eventual` (graph-api.md §5.7). */
function countCollection(
  ctx: RequestContext,
  source: Sequence,
  spec: CollectionSpec,
  units: number,
): Reply {
  if (!eventualConsistency(ctx))
    throw new Refusal(
      graphError(ctx, 400, 'Request_BadRequest', '$count is not currently supported.'),
    );
  const filter = parseGraphFilter(ctx, spec, source.at(0), true);
  return {
    status: 200,
    body: String(countMatches(source, filter)),
    headers: { ...graphHeaders(ctx, units), 'Content-Type': 'text/plain;charset=utf-8' },
  };
}

function single(
  ctx: RequestContext,
  item: object | undefined,
  spec: CollectionSpec,
  units: number,
): Reply {
  if (item === undefined) throw notFoundResource(ctx, ctx.params.id ?? '');
  const select = selectList(ctx.query);
  return ok(
    ctx,
    {
      '@odata.context': `${METADATA}#${spec.entitySet}${select ? `(${select.join(',')})` : ''}/$entity`,
      ...shape(ctx, item, spec, select),
    },
    units,
  );
}

function notFoundResource(ctx: RequestContext, id: string): Refusal {
  return new Refusal(
    graphError(
      ctx,
      404,
      'Request_ResourceNotFound',
      `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
    ),
  );
}

export const SPECS = {
  organization: { entitySet: 'organization', typeName: 'Organization' },
  // Without $select, users and devices return only their default properties (graph-api.md §5.2, §5.5).
  users: { entitySet: 'users', typeName: 'User', defaults: USER_DEFAULT_PROPERTIES },
  groups: { entitySet: 'groups', typeName: 'Group' },
  devices: { entitySet: 'devices', typeName: 'Device', defaults: DEVICE_DEFAULT_PROPERTIES },
  members: { entitySet: 'directoryObjects', typeName: 'DirectoryObject', mixedTypes: true },
} satisfies Record<string, CollectionSpec>;

function findUser(services: EmulatorServices, idOrUpn: string): object | undefined {
  const byId = services.tenant.users.byId(idOrUpn);
  if (byId !== undefined || !idOrUpn.includes('@')) return byId;
  const upn = idOrUpn.toLowerCase();
  for (const user of services.tenant.users)
    if (String(fields(user).userPrincipalName).toLowerCase() === upn) return user;
  return undefined;
}

function members(kind: 'groupMembers' | 'groupTransitiveMembers') {
  return (services: EmulatorServices, ctx: RequestContext): Sequence => {
    const list = services.tenant[kind](ctx.params.id ?? '');
    if (list === undefined) throw notFoundResource(ctx, ctx.params.id ?? '');
    return sequenceOf(list);
  };
}

type GraphHandler = (services: EmulatorServices, ctx: RequestContext, units: number) => Reply;

interface GraphEndpoint {
  path: string;
  roles: readonly string[];
  handle: GraphHandler;
}

/** Collections: each is listed at its path and counted at `{path}/$count`. */
const COLLECTIONS: {
  path: string;
  roles: readonly string[];
  spec: CollectionSpec;
  source: (services: EmulatorServices, ctx: RequestContext) => Sequence;
}[] = [
  {
    path: '/organization',
    roles: ROLES.organization,
    spec: SPECS.organization,
    source: (s) => sequenceOf([s.tenant.organization()]),
  },
  { path: '/users', roles: ROLES.users, spec: SPECS.users, source: (s) => s.tenant.users },
  { path: '/groups', roles: ROLES.groups, spec: SPECS.groups, source: (s) => s.tenant.groups },
  {
    path: '/groups/{id}/members',
    roles: ROLES.members,
    spec: SPECS.members,
    source: members('groupMembers'),
  },
  {
    path: '/groups/{id}/transitiveMembers',
    roles: ROLES.members,
    spec: SPECS.members,
    source: members('groupTransitiveMembers'),
  },
  { path: '/devices', roles: ROLES.devices, spec: SPECS.devices, source: (s) => s.tenant.devices },
];

const SINGLES: GraphEndpoint[] = [
  {
    path: '/organization/{id}',
    roles: ROLES.organization,
    handle: (s, ctx, units) => {
      const org = s.tenant.organization();
      const match = String(fields(org).id).toLowerCase() === ctx.params.id?.toLowerCase();
      return single(ctx, match ? org : undefined, SPECS.organization, units);
    },
  },
  {
    path: '/users/{id}',
    roles: ROLES.users,
    handle: (s, ctx, u) => single(ctx, findUser(s, ctx.params.id ?? ''), SPECS.users, u),
  },
  {
    path: '/groups/{id}',
    roles: ROLES.groups,
    handle: (s, ctx, u) => single(ctx, s.tenant.groups.byId(ctx.params.id ?? ''), SPECS.groups, u),
  },
  {
    path: '/devices/{id}',
    roles: ROLES.devices,
    handle: (s, ctx, u) =>
      single(ctx, s.tenant.devices.byId(ctx.params.id ?? ''), SPECS.devices, u),
  },
];

/** `/$count` routes come before `/{id}` ones, which would otherwise take `$count` as an id. */
const ENDPOINTS: GraphEndpoint[] = [
  ...COLLECTIONS.flatMap((c): GraphEndpoint[] => [
    {
      path: c.path,
      roles: c.roles,
      handle: (s, ctx, u) => listCollection(s, ctx, c.source(s, ctx), c.spec, u),
    },
    {
      path: `${c.path}/$count`,
      roles: c.roles,
      handle: (s, ctx, u) => countCollection(ctx, c.source(s, ctx), c.spec, u),
    },
  ]),
  ...SINGLES,
];

export function graphRoutes(services: EmulatorServices): Route[] {
  return ENDPOINTS.map((endpoint) => ({
    method: 'GET',
    pattern: `${BASE}${endpoint.path}`,
    family: 'graph' as const,
    handle: async (ctx: RequestContext) => {
      const { resourceUnits } = await authorize(services, ctx, endpoint.roles);
      return endpoint.handle(services, ctx, resourceUnits);
    },
  }));
}

export const graphResponses: FaultableResponses = {
  notFound: (ctx) => {
    const segment = ctx.url.pathname.split('/').filter(Boolean).at(-1) ?? '';
    return graphError(ctx, 400, 'BadRequest', `Resource not found for the segment '${segment}'.`);
  },
  methodNotAllowed: (ctx) =>
    graphError(
      ctx,
      405,
      'Request_BadRequest',
      `The HTTP method '${ctx.method}' is not allowed on this resource.`,
    ),
  injected429: (ctx, retryAfter) =>
    graphError(
      ctx,
      429,
      'TooManyRequests',
      'Too many requests. Please retry after the interval given in the Retry-After header.',
      { 'Retry-After': String(retryAfter) },
    ),
  injected5xx: (ctx) =>
    graphError(
      ctx,
      503,
      'serviceNotAvailable',
      'The service is temporarily unavailable. Please retry.',
      {
        'Retry-After': '1',
      },
    ),
};
