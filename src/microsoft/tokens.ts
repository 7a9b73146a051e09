import {
  ClientCertificateCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
  WorkloadIdentityCredential,
  type ClientSecretCredentialOptions,
  type TokenCredential,
} from '@azure/identity';
import type { Dispatcher } from 'undici';
import type { InstanceConfig } from '../config/instance-config.js';
import type { ResolvedEndpoints } from '../config/load.js';
import { tokenError } from './errors.js';
import { diagnoseAuthority } from './identity-diagnosis.js';
import { identityHttpClient } from './identity-http.js';

/**
 * Renew this long before expiry so a request never leaves with a token about to lapse; for short
 * lifetimes (the emulator's) half the lifetime, else every call would fetch a new token.
 */
const RENEW_BEFORE_MS = 5 * 60_000;

type AdditionalPolicy = NonNullable<
  ClientSecretCredentialOptions['additionalPolicies']
>[number]['policy'];

/**
 * One cached app-only token for one resource (Graph or Defender). Tokens never leave this object
 * except as the Authorization header value.
 */
export class TokenProvider {
  /** Built on first use, so a bad credential surfaces as a token error, not a constructor throw. */
  private credential?: TokenCredential;
  private cached?: { token: string; renewAt: number };
  private pending?: Promise<string>;
  /**
   * The identity platform's last answer: its status names a failure (MSAL replays a throttled
   * refusal from its cache without asking again, so the answer is kept across attempts).
   */
  private answer?: { request: string; status: number };

  constructor(
    private readonly instance: InstanceConfig,
    private readonly endpoints: ResolvedEndpoints,
    readonly scope: string,
    /** The APIs' dispatcher: token requests take the same proxy and CA. */
    private readonly dispatcher: Dispatcher,
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
        : await diagnoseAuthority(
            this.endpoints.authority,
            this.instance.tenantId,
            this.dispatcher,
          );
      throw tokenError(err, resource, { host, answer: this.answer, diagnosis });
    }
  }

  private createCredential(): TokenCredential {
    const options = {
      authorityHost: this.endpoints.authority,
      disableInstanceDiscovery: this.endpoints.customAuthority,
      httpClient: identityHttpClient(this.dispatcher),
      // @azure/identity keeps the HTTP status of a refusal to itself: note each answer.
      additionalPolicies: [
        {
          position: 'perRetry' as const,
          policy: {
            name: 'defender-graph-identity-answer',
            sendRequest: async (request, next) => {
              const response = await next(request);
              this.answer = {
                request: `${request.method} ${new URL(request.url).pathname}`,
                status: response.status,
              };
              return response;
            },
          } satisfies AdditionalPolicy,
        },
      ],
    };
    const { tenantId, clientId, clientSecret, certificatePath, certificatePassword, credential } =
      this.instance;
    // The managed identity endpoint is the platform's, not the authority: no authority options.
    if (credential === 'managedIdentity')
      return new ManagedIdentityCredential({
        ...(clientId === undefined ? {} : { clientId }),
        httpClient: options.httpClient,
        additionalPolicies: options.additionalPolicies,
      });
    // The federated token file comes from AZURE_FEDERATED_TOKEN_FILE, set by the AKS webhook.
    if (credential === 'workloadIdentity')
      return new WorkloadIdentityCredential({ ...options, tenantId, clientId });
    if (certificatePath !== undefined) {
      return new ClientCertificateCredential(
        tenantId,
        clientId ?? '',
        { certificatePath, certificatePassword },
        options,
      );
    }
    return new ClientSecretCredential(tenantId, clientId ?? '', clientSecret ?? '', options);
  }
}
