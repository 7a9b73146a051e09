import { z } from 'zod';

/**
 * Faults of the identity platform and of issued tokens: token requests refused the way a tenant
 * refuses them (app disabled, consent withdrawn, Conditional Access, throttling), the app's
 * secret revoked, and tokens rejected before their expiry.
 */

export const TOKEN_FAILURES = [
  'appDisabled',
  'consentWithdrawn',
  'conditionalAccess',
  'throttled',
] as const;
export type TokenFailure = (typeof TOKEN_FAILURES)[number];

export const identityFaultsSchema = {
  /** Every token request is refused with this tenant-side failure. */
  tokenFailure: z.enum(TOKEN_FAILURES).optional(),
  /** The app's current secret stops working (revoked or rotated): AADSTS7000215. */
  revokeSecret: z.boolean().optional(),
  /** Tokens issued before the faults were set get 401 though they have not expired. */
  rejectIssuedTokens: z.boolean().optional(),
};

export interface TokenRefusal {
  status: number;
  error: string;
  code: number;
  description: string;
  retryAfterSeconds?: number;
}

/**
 * Entra's answers for each failure. The codes are Entra's documented ones; the exact status and
 * `error` for each on the client-credentials flow are UNCONFIRMED.
 */
export function tokenRefusal(
  failure: TokenFailure,
  app: { clientId: string; displayName: string },
): TokenRefusal {
  switch (failure) {
    case 'appDisabled':
      return {
        status: 400,
        error: 'unauthorized_client',
        code: 7000112,
        description: `Application '${app.clientId}'(${app.displayName}) is disabled.`,
      };
    case 'consentWithdrawn':
      return {
        status: 400,
        error: 'invalid_grant',
        code: 65001,
        description: `The user or administrator has not consented to use the application with ID '${app.clientId}' named '${app.displayName}'. Send an interactive authorization request for this user and resource.`,
      };
    case 'conditionalAccess':
      return {
        status: 400,
        error: 'invalid_grant',
        code: 53003,
        description:
          'Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.',
      };
    case 'throttled':
      return {
        status: 429,
        error: 'temporarily_unavailable',
        code: 90055,
        description:
          'TenantThrottlingError - There are too many incoming requests. This exception is thrown for blocked tenants.',
        retryAfterSeconds: 1,
      };
  }
}
