import { z } from 'zod';
import { json, Refusal, type Reply, type RequestContext, type Route } from './http.js';
import {
  authorize,
  BASE,
  graphError,
  MAX_TOP,
  METADATA,
  ok,
  ROLES,
  shape,
  SPECS,
} from './graph.js';
import { link, selectList } from './odata.js';
import type { EmulatorServices } from './services.js';
import { fields } from './tenant-view.js';

/**
 * Graph delta queries (graph-api.md §5.6): `/users/delta` and `/groups/delta` with
 * `members@delta`, skip and delta tokens that carry the original `$select`/`$expand`,
 * `$deltatoken=latest`, and expired tokens (7 days, or on demand through the admin API) answered
 * as 410 Gone with a `Location`, or as `syncStateNotFound`.
 */

type DeltaKind = 'users' | 'groups';

/** Graph's default page size for a delta round is UNCONFIRMED (§5.6); `Prefer: odata.maxpagesize` sets it. */
const DEFAULT_PAGE_SIZE = 100;
const TOKEN_LIFETIME_MS = 7 * 24 * 3600_000;

export type ExpiredDeltaResponse = '410' | 'syncStateNotFound';

/** Which tokens are still valid: those issued after the last `expire`, and younger than 7 days. */
export class DeltaTokenState {
  generation = 0;
  response: ExpiredDeltaResponse = '410';

  expire(response: ExpiredDeltaResponse): void {
    this.generation++;
    this.response = response;
  }
}

/** What a skip or delta token encodes: where the round stands and the first call's options. */
interface DeltaToken {
  kind: DeltaKind;
  /** Changes after this round; null for the initial round (everything). */
  since: number | null;
  /** The round the listing started in: the next deltaLink continues from it. */
  upTo: number;
  position: number;
  select: string | null;
  members: boolean;
  generation: number;
  issuedAt: number;
}

function encode(token: DeltaToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decode(ctx: RequestContext, kind: DeltaKind, raw: string): DeltaToken {
  try {
    const token = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as DeltaToken;
    if (token.kind === kind && Number.isInteger(token.position)) return token;
  } catch {
    // falls through to the error below
  }
  throw new Refusal(
    graphError(ctx, 400, 'Request_BadRequest', 'The specified token value is invalid.'),
  );
}

function expired(
  services: EmulatorServices,
  ctx: RequestContext,
  token: DeltaToken,
  state: DeltaTokenState,
): Refusal {
  if (state.response === 'syncStateNotFound' && token.generation < state.generation)
    return new Refusal(
      graphError(ctx, 400, 'syncStateNotFound', 'The sync state generation is not found.'),
    );
  const params: [string, string][] = token.select === null ? [] : [['$select', token.select]];
  if (token.members && token.kind === 'groups') params.push(['$expand', 'members']);
  return new Refusal(
    graphError(
      ctx,
      410,
      'resyncRequired',
      'Resync required. Replace any local cached data with the data returned by the request at the Location header and start a new synchronization.',
      { Location: link(ctx.origin, `${BASE}/${token.kind}/delta`, params) },
    ),
  );
}

function pageSize(ctx: RequestContext): number {
  const prefer = String(ctx.req.headers.prefer ?? '');
  const asked = Number(/odata\.maxpagesize=(\d+)/i.exec(prefer)?.[1]);
  return Number.isInteger(asked) && asked >= 1 ? Math.min(asked, MAX_TOP) : DEFAULT_PAGE_SIZE;
}

/** The token for this request: decoded from `$skiptoken`/`$deltatoken`, or a new initial round. */
function tokenOf(services: EmulatorServices, ctx: RequestContext, kind: DeltaKind): DeltaToken {
  const state = services.deltaTokens;
  const raw = ctx.query.get('$skiptoken') ?? ctx.query.get('$deltatoken');
  if (raw !== null && raw !== 'latest') {
    const token = decode(ctx, kind, raw);
    if (token.generation < state.generation || Date.now() - token.issuedAt > TOKEN_LIFETIME_MS)
      throw expired(services, ctx, token, state);
    return token;
  }
  const select = selectList(ctx.query);
  const expand = (ctx.query.get('$expand') ?? '').toLowerCase();
  return {
    kind,
    since: null,
    upTo: services.tenant.round,
    position: 0,
    select: select ? select.join(',') : null,
    // Without $select, members@delta comes by default (§5.6).
    members: kind === 'groups' && (!select || select.includes('members') || expand === 'members'),
    generation: state.generation,
    issuedAt: Date.now(),
  };
}

function shapeItem(ctx: RequestContext, kind: DeltaKind, token: DeltaToken, item: object): object {
  if ('@removed' in item) return item;
  const select = token.select?.split(',').filter((name) => name !== 'members');
  if (kind === 'users') return shape(ctx, item, SPECS.users, select);
  const { 'members@delta': members, ...group } = fields(item);
  const shaped = shape(ctx, group, SPECS.groups, select);
  return token.members ? { ...shaped, 'members@delta': members } : shaped;
}

function deltaRound(
  services: EmulatorServices,
  ctx: RequestContext,
  kind: DeltaKind,
  units: number,
): Reply {
  const token = tokenOf(services, ctx, kind);
  const body: Record<string, unknown> = {
    '@odata.context': `${METADATA}#${kind}${token.select ? `(${token.select})` : ''}`,
  };
  const path = `${BASE}/${kind}/delta`;
  const deltaLink = () =>
    link(ctx.origin, path, [
      ['$deltatoken', encode({ ...token, since: token.upTo, position: 0, issuedAt: Date.now() })],
    ]);
  if (ctx.query.get('$deltatoken') === 'latest') {
    body['@odata.deltaLink'] = deltaLink();
    body.value = [];
    return ok(ctx, body, units);
  }
  const items = services.tenant.directoryDelta(kind, token.since ?? undefined);
  const end = token.position + pageSize(ctx);
  if (end < items.length)
    body['@odata.nextLink'] = link(ctx.origin, path, [
      ['$skiptoken', encode({ ...token, position: end })],
    ]);
  else body['@odata.deltaLink'] = deltaLink();
  body.value = items.slice(token.position, end).map((item) => shapeItem(ctx, kind, token, item));
  return ok(ctx, body, units);
}

/** `/delta` is shorthand for `/microsoft.graph.delta`, which the SDKs send (§5.6). */
export function graphDeltaRoutes(services: EmulatorServices): Route[] {
  return (['users', 'groups'] as const).flatMap((kind) =>
    ['delta', 'microsoft.graph.delta'].map((segment): Route => ({
      method: 'GET',
      pattern: `${BASE}/${kind}/${segment}`,
      family: 'graph',
      handle: async (ctx) => {
        const { resourceUnits } = await authorize(services, ctx, ROLES[kind]);
        return deltaRound(services, ctx, kind, resourceUnits);
      },
    })),
  );
}

const expireSchema = z
  .object({ response: z.enum(['410', 'syncStateNotFound']).default('410') })
  .strict();

/** `POST /admin/delta/expire`: every delta and skip token issued so far expires. */
export function deltaAdminRoutes(services: EmulatorServices): Route[] {
  return [
    {
      method: 'POST',
      pattern: '/admin/delta/expire',
      family: 'admin',
      handle: (ctx) => {
        let body: unknown;
        try {
          body = ctx.body.trim() === '' ? {} : JSON.parse(ctx.body);
        } catch (err) {
          return json(400, {
            error: {
              code: 'BadRequest',
              message: `The body is not valid JSON: ${(err as Error).message}`,
            },
          });
        }
        const parsed = expireSchema.safeParse(body);
        if (!parsed.success) {
          const issue = parsed.error.issues[0]!;
          return json(400, {
            error: {
              code: 'BadRequest',
              message: `Invalid delta field '${issue.path.join('.') || '(body)'}': ${issue.message}`,
            },
          });
        }
        services.deltaTokens.expire(parsed.data.response);
        return json(200, {
          generation: services.deltaTokens.generation,
          response: parsed.data.response,
        });
      },
    },
  ];
}
