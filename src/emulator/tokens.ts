import { createPrivateKey, createPublicKey, randomUUID, type KeyObject } from 'node:crypto';
import {
  calculateJwkThumbprint,
  exportJWK,
  jwtVerify,
  SignJWT,
  errors as joseErrors,
  type JWK,
  type JWTPayload,
} from 'jose';
import type { RegisteredApp } from './applications.js';

/** Claims of an emulated app-only access token, shaped like Entra ID's v1 tokens (graph-api.md §1.2). */
export interface AccessTokenClaims extends JWTPayload {
  aud: string;
  iss: string;
  tid: string;
  appid: string;
  roles?: string[];
  ver: '1.0';
}

export type AccessTokenProblem = 'malformed' | 'signature' | 'expired';

export type AccessTokenCheck =
  { ok: true; claims: AccessTokenClaims } | { ok: false; problem: AccessTokenProblem };

export interface TokenIssuer {
  jwks: { keys: JWK[] };
  issue(input: {
    tenantId: string;
    app: RegisteredApp;
    audience: string;
    roles: string[];
    certificateCredential: boolean;
  }): Promise<{ token: string; issuedAt: number; expiresAt: number }>;
  verify(token: string): Promise<AccessTokenCheck>;
  /** When the token with this `uti` was issued (epoch ms), for tokens this issuer made recently. */
  issuedAtMs(uti: unknown): number | undefined;
  lifetimeSeconds: number;
}

/** Issue times kept for fault checks; the oldest are forgotten first. */
const ISSUED_KEPT = 10_000;

export async function createTokenIssuer(
  signingKeyPem: string,
  lifetimeSeconds: number,
): Promise<TokenIssuer> {
  const privateKey = createPrivateKey(signingKeyPem);
  const publicKey = createPublicKey(privateKey);
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  const jwks = { keys: [{ ...jwk, kid, use: 'sig', alg: 'RS256' }] };
  const issued = new Map<string, number>();

  return {
    jwks,
    lifetimeSeconds,
    issuedAtMs: (uti) => (typeof uti === 'string' ? issued.get(uti) : undefined),
    async issue({ tenantId, app, audience, roles, certificateCredential }) {
      const issuedAtMs = Date.now();
      const issuedAt = Math.floor(issuedAtMs / 1000);
      const uti = randomUUID();
      issued.set(uti, issuedAtMs);
      if (issued.size > ISSUED_KEPT) issued.delete(issued.keys().next().value!);
      const expiresAt = issuedAt + lifetimeSeconds;
      const sts = `https://sts.windows.net/${tenantId}/`;
      const claims: Record<string, unknown> = {
        aud: audience,
        iss: sts,
        iat: issuedAt,
        nbf: issuedAt,
        exp: expiresAt,
        app_displayname: app.displayName,
        appid: app.clientId,
        // '2' for a certificate credential is UNCONFIRMED (graph-api.md §11); '1' is a secret.
        appidacr: certificateCredential ? '2' : '1',
        idp: sts,
        idtyp: 'app',
        oid: app.clientId,
        sub: app.clientId,
        tid: tenantId,
        uti,
        ver: '1.0',
      };
      // Entra leaves `roles` out entirely when nothing is consented.
      if (roles.length > 0) claims.roles = roles;
      const token = await new SignJWT(claims)
        .setProtectedHeader({ typ: 'JWT', alg: 'RS256', kid })
        .sign(privateKey);
      return { token, issuedAt, expiresAt };
    },
    async verify(token) {
      if (token.split('.').length !== 3) return { ok: false, problem: 'malformed' };
      try {
        const { payload } = await jwtVerify(token, publicKey, { algorithms: ['RS256'] });
        return { ok: true, claims: payload as AccessTokenClaims };
      } catch (err) {
        if (err instanceof joseErrors.JWTExpired) return { ok: false, problem: 'expired' };
        if (err instanceof joseErrors.JWSSignatureVerificationFailed)
          return { ok: false, problem: 'signature' };
        return { ok: false, problem: 'malformed' };
      }
    },
  };
}

export type AssertionProblem = 'signature' | 'lifetime' | 'audience' | 'subject';

/**
 * Checks a client-assertion JWT (graph-api.md §1.1): signed with the app's registered certificate
 * (RS256 or PS256, since which one @azure/identity uses is UNCONFIRMED), `aud` the token endpoint,
 * `iss` = `sub` = client id, within its validity window.
 */
export async function verifyClientAssertion(
  assertion: string,
  certificatePublicKey: KeyObject,
  clientId: string,
  acceptedAudiences: string[],
): Promise<AssertionProblem | undefined> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(assertion, certificatePublicKey, {
      algorithms: ['RS256', 'PS256'],
      // Entra allows five minutes of clock skew; MSAL rounds `nbf` to the nearest second.
      clockTolerance: 300,
    }));
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired || err instanceof joseErrors.JWTClaimValidationFailed)
      return 'lifetime';
    return 'signature';
  }
  if (typeof payload.exp !== 'number') return 'lifetime';
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (!audiences.some((a) => a !== undefined && acceptedAudiences.includes(a))) return 'audience';
  if (payload.iss !== clientId || payload.sub !== clientId) return 'subject';
  return undefined;
}
