/**
 * The one way WEBHOOK and Slack reach a URL: https only (plain http to a loopback address when
 * the config allows it), the system roots plus an explicitly trusted CA, a timeout, and a typed
 * error that says whether a retry can help.
 */
import { rootCertificates } from 'node:tls';
import { Agent, request } from 'undici';
import { DeliveryError } from './secrets.js';

export interface HttpTargetOptions {
  allowLoopbackHttp: boolean;
  /** PEM CA trusted besides the system roots. */
  ca?: string;
  timeoutMs?: number;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '[::1]', 'localhost']);

/** Checks the URL against the policy; the message never contains the URL (it may hold a secret). */
export function checkTarget(url: string, field: string, allowLoopbackHttp: boolean): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DeliveryError(`${field}: not a valid URL`, true);
  }
  if (parsed.protocol === 'https:') return parsed;
  if (parsed.protocol === 'http:' && allowLoopbackHttp && LOOPBACK.has(parsed.hostname))
    return parsed;
  throw new DeliveryError(
    `${field}: must be an https:// URL${allowLoopbackHttp ? ' (or http:// to a loopback address)' : ' (http:// only to a loopback address with monitoring.allowLoopbackHttp)'}`,
    true,
  );
}

export class HttpTarget {
  private readonly agent: Agent;

  constructor(private readonly options: HttpTargetOptions) {
    this.agent = new Agent({
      connect: options.ca ? { ca: [...rootCertificates, options.ca] } : {},
    });
  }

  /** Sends the request; a non-2xx answer is an error (408, 429 and 5xx retryable). */
  async send(
    url: string,
    field: string,
    init: { method: string; headers: Record<string, string>; body?: string },
  ): Promise<number> {
    const target = checkTarget(url, field, this.options.allowLoopbackHttp);
    let status: number;
    try {
      const response = await request(target, {
        method: init.method as 'POST',
        headers: init.headers,
        body: init.body,
        dispatcher: this.agent,
        headersTimeout: this.options.timeoutMs ?? 15_000,
        bodyTimeout: this.options.timeoutMs ?? 15_000,
      });
      status = response.statusCode;
      await response.body.dump();
    } catch (err) {
      throw new DeliveryError(`${field}: ${(err as Error).message}`);
    }
    if (status >= 200 && status < 300) return status;
    const retryable = status === 408 || status === 429 || status >= 500;
    throw new DeliveryError(`${field}: answered HTTP ${status}`, !retryable);
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
