import { setTimeout as sleep } from 'node:timers/promises';
import { EnvHttpProxyAgent, errors as undiciErrors, request, type Dispatcher } from 'undici';
import type { Logger } from '../util/logger.js';
import type { CallCounter } from './call-counter.js';
import type { EndpointSpec } from './endpoints.js';
import { MicrosoftApiError } from './errors.js';
import type { Pacer } from './pacing.js';
import { DIRECT, type ProxySettings } from '../config/proxy.js';
import {
  bodyText,
  decodeBody,
  describeText,
  pageShapeProblem,
  type ODataPage,
} from './response-body.js';

export interface RetryPolicy {
  /** Retries after the first attempt for 429, 5xx, timeouts and network errors. */
  maxRetries: number;
  /** First exponential backoff step when the server gives no Retry-After. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Longest Retry-After we honour before giving up (an hourly quota can ask for up to 1 h). */
  maxRetryAfterMs: number;
  /** Whole-request deadline (headers and body), and the longest silence between body chunks. */
  timeoutMs: number;
  /** On a Retry-After over LONG_WAIT_MS (an exhausted quota): sleep through it, or stop. */
  quotaExhausted: 'wait' | 'stop';
}

/** A Retry-After longer than this is an exhausted quota, not a momentary throttle. */
const LONG_WAIT_MS = 5 * 60_000;

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 5,
  baseDelayMs: 1_000,
  maxDelayMs: 60_000,
  maxRetryAfterMs: 3_600_000,
  timeoutMs: 120_000,
  quotaExhausted: 'wait',
};

/** Where bearer tokens come from (a TokenProvider): `invalidate` after a 401. */
export interface BearerTokenSource {
  getToken(): Promise<string>;
  invalidate(): void;
}

export interface ApiClientOptions {
  api: 'graph' | 'defender';
  /** The API's configured origin (plus path prefix): the only place the token is sent. */
  base: string;
  tokens: BearerTokenSource;
  pacer: Pacer;
  counter: CallCounter;
  dispatcher: Dispatcher;
  retry?: Partial<RetryPolicy>;
  logger?: Logger;
  /** How to wait before a retry (tests record the delays instead of sleeping). */
  sleep?: (ms: number) => Promise<unknown>;
}

/**
 * An undici dispatcher that trusts `ca` (the emulator's CA) in place of the default roots, and
 * goes through `proxy` for hosts NO_PROXY does not exempt. Through a proxy the CA applies to the
 * tunnelled connection (`requestTls`), so TLS stays verified end to end.
 */
export function createDispatcher(ca?: string, proxy: ProxySettings = DIRECT): Dispatcher {
  const tls = ca ? { ca } : {};
  return new EnvHttpProxyAgent({ ...proxy, connect: tls, requestTls: tls, connections: 16 });
}

/**
 * The one HTTP policy both APIs share: pacing per endpoint bucket, bearer token (renewed once on
 * 401), retries on 429/5xx/timeouts/network errors honouring Retry-After, typed errors.
 */
export class ApiClient {
  private readonly retry: RetryPolicy;

  constructor(private readonly options: ApiClientOptions) {
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  }

  /** A listing page, checked against the OData envelope: a malformed page is a BAD_RESPONSE. */
  async getPage<T>(endpoint: EndpointSpec, url: string): Promise<ODataPage<T>> {
    const body = await this.getJson(endpoint, url);
    const problem = pageShapeProblem(body);
    if (problem !== undefined) throw this.badResponse(endpoint, 'BAD_RESPONSE', problem);
    return body as ODataPage<T>;
  }

  getJson(endpoint: EndpointSpec, url: string): Promise<unknown> {
    return this.requestJson(endpoint, url);
  }

  /** A POST with a JSON body (Advanced Hunting), under the same pacing, retries and errors. */
  postJson(endpoint: EndpointSpec, url: string, body: unknown): Promise<unknown> {
    return this.requestJson(endpoint, url, JSON.stringify(body));
  }

  /**
   * The application permissions (`roles`) the current access token carries: the token is the
   * authority's answer, so its payload is read, not verified.
   */
  async grantedRoles(): Promise<string[]> {
    const token = await this.options.tokens.getToken();
    try {
      const payload = JSON.parse(
        Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'),
      ) as { roles?: unknown };
      return Array.isArray(payload.roles) ? payload.roles.filter((r) => typeof r === 'string') : [];
    } catch {
      // An opaque token says nothing about its roles: the endpoints' answers will.
      return [];
    }
  }

  private async requestJson(endpoint: EndpointSpec, url: string, body?: string): Promise<unknown> {
    this.checkOrigin(endpoint, url);
    let renewedToken = false;
    let retriedNotFound = false;
    for (let attempt = 0; ; attempt++) {
      const canRetry = attempt < this.retry.maxRetries;
      const token = await this.options.tokens.getToken();
      const release = await this.options.pacer.acquire(endpoint.bucket, endpoint.cost);
      this.options.counter.count(endpoint.label);
      const sent = await this.send(endpoint, url, token, body).finally(release);
      if (sent instanceof MicrosoftApiError) {
        if (!canRetry) throw sent;
        await this.wait(endpoint, sent.message, this.backoff(attempt));
        continue;
      }
      const { response, raw } = sent;
      const { statusCode } = response;
      if (statusCode >= 200 && statusCode < 300) {
        const decoded = await decodeBody(raw, response.headers);
        if (decoded.ok) return decoded.value;
        const { kind, detail } = decoded.problem;
        const malformed = this.badResponse(
          endpoint,
          kind === 'truncated' ? 'TRUNCATED' : 'BAD_RESPONSE',
          detail,
        );
        // A cut-off body is a transport fault worth another try; a wrong one would come again.
        if (kind !== 'truncated' || !canRetry) throw malformed;
        await this.wait(endpoint, malformed.message, this.backoff(attempt));
        continue;
      }
      const text = await bodyText(raw, response.headers);
      const refusal = this.httpError(endpoint, statusCode, text);
      if (statusCode === 429) this.options.counter.throttled(endpoint.label);
      if (statusCode === 401 && !renewedToken) {
        renewedToken = true;
        this.options.tokens.invalidate();
        continue;
      }
      if (statusCode === 404 && endpoint.retryNotFoundOnce && !retriedNotFound) {
        retriedNotFound = true;
        await this.wait(endpoint, refusal.message, this.backoff(0));
        continue;
      }
      if (isRetryableStatus(statusCode) && canRetry) {
        const retryAfter = retryAfterMs(response.headers['retry-after'], text);
        if (retryAfter !== undefined && retryAfter > LONG_WAIT_MS)
          await this.waitOutQuota(endpoint, refusal, retryAfter);
        else await this.wait(endpoint, refusal.message, retryAfter ?? this.backoff(attempt));
        continue;
      }
      throw refusal;
    }
  }

  /** One request; a 2xx body is read whole. A transport failure comes back as an error to retry. */
  private async send(
    endpoint: EndpointSpec,
    url: string,
    token: string,
    body?: string,
  ): Promise<{ response: Dispatcher.ResponseData; raw: Buffer } | MicrosoftApiError> {
    const timeoutMs = this.timeoutFor(endpoint);
    const deadline = AbortSignal.timeout(timeoutMs);
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        method: body === undefined ? 'GET' : 'POST',
        dispatcher: this.options.dispatcher,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          'accept-encoding': 'gzip, deflate',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: deadline,
      });
    } catch (err) {
      return this.networkError(endpoint, err, deadline.aborted);
    }
    try {
      return { response, raw: Buffer.from(await response.body.arrayBuffer()) };
    } catch (err) {
      // An error answer whose body is lost still has its status.
      if (response.statusCode >= 300) return { response, raw: Buffer.alloc(0) };
      return this.bodyError(endpoint, err, deadline.aborted);
    }
  }

  /** The configured deadline, or longer for an endpoint that may think longer (Advanced Hunting). */
  private timeoutFor(endpoint: EndpointSpec): number {
    return Math.max(this.retry.timeoutMs, endpoint.minTimeoutMs ?? 0);
  }

  /** Whether the URL is under the configured base: the only place the token goes. */
  isOwnUrl(url: string): boolean {
    return url.startsWith(`${this.options.base}/`);
  }

  /** The token only ever goes to the API's own origin, whatever URL a response names. */
  private checkOrigin(endpoint: EndpointSpec, url: string): void {
    if (this.isOwnUrl(url)) return;
    throw new MicrosoftApiError({
      api: this.options.api,
      endpoint: endpoint.label,
      code: 'OFF_ORIGIN',
      message: `${endpoint.label}: refused to send the token to ${safeOrigin(url)}, outside the configured ${apiTitle(this.options.api)} base ${this.options.base}`,
    });
  }

  /**
   * A Retry-After longer than a few minutes means an exhausted quota (Defender's hourly one):
   * wait it out with a visible message, or stop, as `http.quotaExhausted` says.
   */
  private async waitOutQuota(
    endpoint: EndpointSpec,
    failure: MicrosoftApiError,
    ms: number,
  ): Promise<void> {
    const minutes = Math.ceil(ms / 60_000);
    const until = new Date(Date.now() + ms).toISOString().slice(11, 16);
    if (this.retry.quotaExhausted === 'stop' || ms > this.retry.maxRetryAfterMs) {
      const why =
        this.retry.quotaExhausted === 'stop'
          ? 'stopped as configured (http.quotaExhausted: stop)'
          : `longer than the ${Math.round(this.retry.maxRetryAfterMs / 60_000)} min the collector waits`;
      throw new MicrosoftApiError({
        api: failure.api,
        endpoint: failure.endpoint,
        status: failure.status,
        serviceCode: failure.serviceCode,
        code: 'QUOTA_EXHAUSTED',
        message: `${failure.message}. The quota is exhausted: Microsoft asks to wait ${minutes} min (until ${until} UTC); ${why}`,
      });
    }
    this.options.logger?.warn(
      { endpoint: endpoint.label, delayMs: ms },
      `quota exhausted on ${endpoint.label}: waiting ${minutes} min until ${until} UTC as Microsoft asks (set http.quotaExhausted: stop to stop instead)`,
    );
    await (this.options.sleep ?? sleep)(ms);
  }

  /** Capped exponential backoff with full jitter. */
  private backoff(attempt: number): number {
    const cap = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** attempt);
    return Math.round(cap / 2 + (Math.random() * cap) / 2);
  }

  private async wait(endpoint: EndpointSpec, why: string, ms: number): Promise<void> {
    this.options.logger?.warn({ endpoint: endpoint.label, delayMs: ms }, `retrying: ${why}`);
    await (this.options.sleep ?? sleep)(ms);
  }

  private networkError(
    endpoint: EndpointSpec,
    err: unknown,
    pastDeadline: boolean,
  ): MicrosoftApiError {
    const timedOut =
      pastDeadline ||
      err instanceof undiciErrors.HeadersTimeoutError ||
      err instanceof undiciErrors.BodyTimeoutError;
    const cause = err instanceof Error ? (err.cause instanceof Error ? err.cause : err) : undefined;
    return new MicrosoftApiError({
      api: this.options.api,
      endpoint: endpoint.label,
      code: timedOut ? 'TIMEOUT' : 'NETWORK',
      message: `${endpoint.label}: ${timedOut ? `no complete response within ${this.timeoutFor(endpoint)} ms` : `network error (${cause?.message ?? String(err)})`}`,
    });
  }

  /** The headers came but the body did not, whole: cut off, or too slow. */
  private bodyError(
    endpoint: EndpointSpec,
    err: unknown,
    pastDeadline: boolean,
  ): MicrosoftApiError {
    if (pastDeadline || err instanceof undiciErrors.BodyTimeoutError)
      return this.networkError(endpoint, err, true);
    const cause = err instanceof Error ? (err.cause instanceof Error ? err.cause : err) : undefined;
    return this.badResponse(
      endpoint,
      'TRUNCATED',
      `the body was cut off (${cause?.message ?? String(err)})`,
    );
  }

  private badResponse(endpoint: EndpointSpec, code: string, detail: string): MicrosoftApiError {
    return new MicrosoftApiError({
      api: this.options.api,
      endpoint: endpoint.label,
      code,
      message: `${endpoint.label}: malformed response, ${detail}`,
    });
  }

  private httpError(endpoint: EndpointSpec, status: number, text: string): MicrosoftApiError {
    const { code: serviceCode, message: serviceMessage } = parseErrorBody(text);
    const detail = serviceMessage
      ? `: ${serviceCode ? `${serviceCode} ` : ''}${serviceMessage}`
      : '';
    if (status === 403) {
      const others = endpoint.alternatives?.length
        ? ` (or ${endpoint.alternatives.join(', ')})`
        : '';
      return new MicrosoftApiError({
        api: this.options.api,
        endpoint: endpoint.label,
        status,
        serviceCode,
        code: 'FORBIDDEN',
        permission: endpoint.permission,
        message: `${endpoint.label}: 403 Forbidden${detail}. Grant the ${apiTitle(this.options.api)} application permission ${endpoint.permission}${others} and admin consent`,
      });
    }
    return new MicrosoftApiError({
      api: this.options.api,
      endpoint: endpoint.label,
      status,
      serviceCode,
      code: STATUS_CODES[status] ?? (status >= 500 ? 'SERVER_ERROR' : 'HTTP_ERROR'),
      message: `${endpoint.label}: HTTP ${status}${detail}`,
    });
  }
}

const STATUS_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  404: 'NOT_FOUND',
  429: 'THROTTLED',
};

function apiTitle(api: 'graph' | 'defender'): string {
  return api === 'graph' ? 'Microsoft Graph' : 'WindowsDefenderATP';
}

function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 408 || (status >= 500 && status !== 501 && status !== 505);
}

/** Retry-After as seconds or an HTTP date; else Defender's "send requests again in N seconds". */
export function retryAfterMs(
  header: string | string[] | undefined,
  body = '',
  now = Date.now(),
): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value !== undefined && value.trim() !== '') {
    const seconds = Number(value);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(value);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const fromText = /again in (\d+) seconds/i.exec(body)?.[1];
  return fromText === undefined ? undefined : Number(fromText) * 1000;
}

function parseErrorBody(text: string): { code?: string; message?: string } {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    const error = parsed.error;
    if (error && typeof error === 'object') {
      return {
        code: typeof error.code === 'string' ? error.code : undefined,
        message: typeof error.message === 'string' ? error.message.slice(0, 300) : undefined,
      };
    }
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return { message: text.trim() === '' ? undefined : describeText(text) };
}

/** Only the origin of a foreign URL goes into messages: its query may carry anything. */
export function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'a URL that does not parse';
  }
}
