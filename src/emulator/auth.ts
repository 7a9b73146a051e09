import { resourceApi, type ResourceApi } from './applications.js';
import type { RequestContext } from './http.js';
import type { EmulatorServices } from './services.js';
import type { AccessTokenClaims } from './tokens.js';

/** Why a bearer token was refused; each API turns this into its own status and body. */
export type BearerProblem =
  'missing' | 'malformed' | 'signature' | 'expired' | 'revoked' | 'audience' | 'tenant';

export type BearerCheck =
  | { ok: true; claims: AccessTokenClaims; roles: Set<string> }
  | { ok: false; problem: BearerProblem; audience?: string };

/**
 * Validates `Authorization: Bearer …` for one API. Roles revoked by a fault are dropped here too,
 * so tokens issued before the revocation lose them (graph-api.md §8 says consent changes only reach
 * new tokens; the fault models an admin removing consent and the token being re-checked).
 */
export async function checkBearer(
  ctx: RequestContext,
  { tokens, faults, tenant }: Pick<EmulatorServices, 'tokens' | 'faults' | 'tenant'>,
  api: ResourceApi,
): Promise<BearerCheck> {
  const header = ctx.req.headers.authorization ?? '';
  const match = /^Bearer\s+(.*)$/i.exec(header);
  const token = match?.[1]?.trim() ?? '';
  if (token === '') return { ok: false, problem: 'missing' };
  const verified = await tokens.verify(token);
  if (!verified.ok) return { ok: false, problem: verified.problem };
  const { claims } = verified;
  if (resourceApi(claims.aud) !== api)
    return { ok: false, problem: 'audience', audience: claims.aud };
  if (claims.tid !== tenant.tenantId) return { ok: false, problem: 'tenant' };
  if (faults.rejectsTokenIssuedAt(tokens.issuedAtMs(claims.uti)))
    return { ok: false, problem: 'revoked' };
  const roles = new Set((claims.roles ?? []).filter((r) => !faults.isRevoked(api, r)));
  return { ok: true, claims, roles };
}

export function hasAnyRole(roles: Set<string>, accepted: readonly string[]): boolean {
  return accepted.some((r) => roles.has(r));
}

/** Quota key: limits are per application and tenant (defender-api.md §5, graph-api.md §7). */
export function quotaKey(claims: AccessTokenClaims, endpoint: string): string {
  return `${endpoint}|${claims.tid}|${claims.appid}`;
}
