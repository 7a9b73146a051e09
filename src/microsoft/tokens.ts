import {
  ClientCertificateCredential,
  ClientSecretCredential,
  type TokenCredential,
} from '@azure/identity';
import type { InstanceConfig } from '../config/instance-config.js';
import type { ResolvedEndpoints } from '../config/load.js';
import { tokenError } from './errors.js';
import { diagnoseAuthority } from './identity-diagnosis.js';

/**
 * Renew this long before expiry so a request never leaves with a token about to lapse; for short
 * lifetimes (the emulator's) half the lifetime, else every call would fetch a new token.
 */
const RENEW_BEFORE_MS = 5 * 60_000;

/**
 * One cached app-only token for one resource (Graph or Defender). Tokens never leave this object
 * except as the Authorization header value.
 */
export class TokenProvider {
  /** Built on first use, so a bad credential surfaces as a token error, not a constructor throw. */
  private credential?: TokenCredential;
  private cached?: { token: string; renewAt: number };
  private pending?: Promise<string>;

  constructor(
    private readonly instance: InstanceConfig,
    private readonly endpoints: ResolvedEndpoints,
    readonly scope: string,
    private readonly ca?: string,
  ) {}

  async getToken(): Promise<string> {
    if (this.cached && this.cached.renewAt > Date.now()) return this.cached.token;
    this.pending ??= this.fetchToken().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** After a 401 the cached token is no good: the next call asks the authority again. */
  invalidate(): void {
    this.cached = undefined;
    this.credential = undefined;
  }

  private async fetchToken(): Promise<string> {
    try {
      this.credential ??= this.createCredential();
      const result = await this.credential.getToken(this.scope);
      if (!result) throw new Error('the authority returned no token');
      const now = Date.now();
      const lifetime = result.expiresOnTimestamp - now;
      this.cached = {
        token: result.token,
        renewAt: result.expiresOnTimestamp - Math.min(RENEW_BEFORE_MS, lifetime / 2),
      };
      return result.token;
    } catch (err) {
      const resource = this.scope.replace(/\/\.default$/, '');
      const host = new URL(this.endpoints.authority).host;
      // Without an AADSTS code the library hides what failed: ask discovery directly.
      const diagnosis = /AADSTS\d+/.test(String((err as Error)?.message))
        ? undefined
        : await diagnoseAuthority(this.endpoints.authority, this.instance.tenantId, this.ca);
      throw tokenError(err, resource, { host, diagnosis });
    }
  }

  private createCredential(): TokenCredential {
    const options = {
      authorityHost: this.endpoints.authority,
      disableInstanceDiscovery: this.endpoints.customAuthority,
      ...(this.ca ? { tlsOptions: { ca: this.ca } } : {}),
    };
    const { tenantId, clientId, clientSecret, certificatePath } = this.instance;
    if (certificatePath !== undefined) {
      return new ClientCertificateCredential(tenantId, clientId, { certificatePath }, options);
    }
    return new ClientSecretCredential(tenantId, clientId, clientSecret ?? '', options);
  }
}
