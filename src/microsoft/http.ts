import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, errors as undiciErrors, request, type Dispatcher } from 'undici';
import type { Logger } from '../util/logger.js';
import type { CallCounter } from './call-counter.js';
import type { EndpointSpec } from './endpoints.js';
import { MicrosoftApiError } from './errors.js';
import type { Pacer } from './pacing.js';

export interface RetryPolicy {
  /** Retries after the first attempt for 429, 5xx, timeouts and network errors. */
  maxRetries: number;
  /** First exponential backoff step when the server gives no Retry-After. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Longest Retry-After we honour before giving up (an hourly quota can ask for up to 1 h). */
  maxRetryAfterMs: number;
  timeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 5,
  baseDelayMs: 1_000,
  maxDelayMs: 60_000,
  maxRetryAfterMs: 3_600_000,
  timeoutMs: 120_000,
};

/** Where bearer tokens come from (a TokenProvider): `invalidate` after a 401. */
export interface BearerTokenSource {
  getToken(): Promise<string>;
  invalidate(): void;
}

export interface ApiClientOptions {
  api: 'graph' | 'defender';
  tokens: BearerTokenSource;
  pacer: Pacer;
  counter: CallCounter;
  dispatcher: Dispatcher;
  retry?: Partial<RetryPolicy>;
  logger?: Logger;
  /** How to wait before a retry (tests record the delays instead of sleeping). */
  sleep?: (ms: number) => Promise<unknown>;
}

/** An undici dispatcher that trusts `ca` (the emulator's CA) in place of the default roots. */
export function createDispatcher(ca?: string): Dispatcher {
  return new Agent({ connect: ca ? { ca } : {}, connections: 16 });
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

  async getJson<T>(endpoint: EndpointSpec, url: string): Promise<T> {
    let renewedToken = false;
    let retriedNotFound = false;
    for (let attempt = 0; ; attempt++) {
      const canRetry = attempt < this.retry.maxRetries;
      const token = await this.options.tokens.getToken();
      const release = await this.options.pacer.acquire(endpoint.bucket, endpoint.cost);
      this.options.counter.count(endpoint.label);
      let response: Dispatcher.ResponseData;
      try {
        response = await request(url, {
          method: 'GET',
          dispatcher: this.options.dispatcher,
          headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
          headersTimeout: this.retry.timeoutMs,
          bodyTimeout: this.retry.timeoutMs,
        });
      } catch (err) {
        release();
        const failure = this.networkError(endpoint, err);
        if (!canRetry) throw failure;
        await this.wait(endpoint, failure.message, this.backoff(attempt));
        continue;
      }
      release();
      const { statusCode } = response;
      if (statusCode >= 200 && statusCode < 300) {
        try {
          return (await response.body.json()) as T;
        } catch (err) {
          const failure = this.networkError(endpoint, err);
          if (!canRetry) throw failure;
          await this.wait(endpoint, failure.message, this.backoff(attempt));
          continue;
        }
      }
      const text = await response.body.text().catch(() => '');
      const failure = this.httpError(endpoint, statusCode, text);
      if (statusCode === 429) this.options.counter.throttled(endpoint.label);
      if (statusCode === 401 && !renewedToken) {
        renewedToken = true;
        this.options.tokens.invalidate();
        continue;
      }
      if (statusCode === 404 && endpoint.retryNotFoundOnce && !retriedNotFound) {
        retriedNotFound = true;
        await this.wait(endpoint, failure.message, this.backoff(0));
        continue;
      }
      if (isRetryableStatus(statusCode) && canRetry) {
        const retryAfter = retryAfterMs(response.headers['retry-after'], text);
        if (retryAfter !== undefined && retryAfter > this.retry.maxRetryAfterMs) throw failure;
        await this.wait(endpoint, failure.message, retryAfter ?? this.backoff(attempt));
        continue;
      }
      throw failure;
    }
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

  private networkError(endpoint: EndpointSpec, err: unknown): MicrosoftApiError {
    const timedOut =
      err instanceof undiciErrors.HeadersTimeoutError ||
      err instanceof undiciErrors.BodyTimeoutError;
    const cause = err instanceof Error ? (err.cause instanceof Error ? err.cause : err) : undefined;
    return new MicrosoftApiError({
      api: this.options.api,
      endpoint: endpoint.label,
      code: timedOut ? 'TIMEOUT' : 'NETWORK',
      message: `${endpoint.label}: ${timedOut ? `no response within ${this.retry.timeoutMs} ms` : `network error (${cause?.message ?? String(err)})`}`,
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
  return { message: text.slice(0, 200) || undefined };
}
