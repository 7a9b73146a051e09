import { z } from 'zod';

/**
 * Faults in what a Graph or Defender answer looks like once the request was handled: malformed
 * 200 bodies, gateway pages, Retry-After formats, slow and stalled bodies, foreign nextLinks and a
 * wrong `@odata.count`. Pure rewrites of a reply; the server applies them and delivers the result.
 */

export const MALFORMED_KINDS = [
  'value-missing',
  'value-null',
  'value-string',
  'value-object',
  'not-json',
  'html',
  'truncated',
] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

const share = z.number().min(0).max(1);

export const responseFaultsSchema = {
  /** A share of listing pages (200 with a `value` array) answered in a broken shape. */
  malformed: z
    .object({ kind: z.enum(MALFORMED_KINDS), rate: share.default(1) })
    .strict()
    .optional(),
  /** A share of requests answered by a gateway's HTML error page instead of the API. */
  gateway: z
    .object({
      status: z.union([z.literal(502), z.literal(503), z.literal(504)]),
      rate: share.default(1),
    })
    .strict()
    .optional(),
  /** How injected 429s carry Retry-After: seconds (default), an HTTP date, or not at all. */
  retryAfterFormat: z.enum(['seconds', 'date', 'absent']).optional(),
  /** The body is sent `chunkBytes` at a time, `intervalMs` apart. */
  trickle: z
    .object({
      chunkBytes: z.number().int().min(1).max(1_000_000),
      intervalMs: z.number().int().min(1).max(60_000),
    })
    .strict()
    .optional(),
  /** Headers and this many body bytes are sent, then nothing until the client gives up. */
  stallAfterBytes: z.number().int().min(0).optional(),
  /** Every `@odata.nextLink` points at this origin (e.g. `https://127.0.0.1:4444`) instead. */
  foreignNextLink: z.string().url().startsWith('https://').optional(),
  /** Listing pages carry an `@odata.count` this far from the truth. */
  wrongCountBy: z.number().int().optional(),
};

/** A reply body as the server will write it, and how. */
export interface Delivery {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Declare the full length but send only this many bytes, then close (a cut-off body). */
  cutAfterBytes?: number;
  stallAfterBytes?: number;
  trickle?: { chunkBytes: number; intervalMs: number };
}

/** A listing page as a handler built it. */
export type Page = Record<string, unknown> & { value: unknown[] };

export function isListingPage(body: unknown): body is Page {
  return typeof body === 'object' && body !== null && Array.isArray((body as Page).value);
}

/** Replaces `value` (or the whole body) as the malformed kind says. */
export function malformedBody(
  kind: MalformedKind,
  page: Page,
): { body: string; contentType?: string; cutAfterBytes?: number } {
  const { value, ...rest } = page;
  switch (kind) {
    case 'value-missing':
      return { body: JSON.stringify(rest) };
    case 'value-null':
      return { body: JSON.stringify({ ...rest, value: null }) };
    case 'value-string':
      return { body: JSON.stringify({ ...rest, value: JSON.stringify(value).slice(0, 40) }) };
    case 'value-object':
      return { body: JSON.stringify({ ...rest, value: { items: value } }) };
    case 'not-json':
      return { body: `Service unavailable. Request id ${String(rest['@odata.context'] ?? '')}` };
    case 'html':
      return { body: gatewayPage(200, 'OK'), contentType: 'text/html; charset=utf-8' };
    case 'truncated': {
      const full = JSON.stringify(page);
      return { body: full, cutAfterBytes: Math.floor(Buffer.byteLength(full) / 2) };
    }
  }
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Time-out',
};

/** The kind of page a load balancer or proxy in front of the API sends (not the API's JSON). */
export function gatewayPage(status: number, text = STATUS_TEXT[status] ?? 'Error'): string {
  return `<html>\r\n<head><title>${status} ${text}</title></head>\r\n<body>\r\n<center><h1>${status} ${text}</h1></center>\r\n<hr><center>Microsoft-Azure-Application-Gateway/v2</center>\r\n</body>\r\n</html>\r\n`;
}

/** Moves a nextLink to another origin, keeping its path and query. */
export function foreignLink(link: string, origin: string): string {
  const url = new URL(link);
  return `${origin}${url.pathname}${url.search}`;
}

/** `Retry-After` as an HTTP date `seconds` from `now`, or removed. */
export function retryAfterHeader(
  headers: Record<string, string>,
  format: 'seconds' | 'date' | 'absent',
  now: number,
): Record<string, string> {
  const { ['Retry-After']: seconds, ...rest } = headers;
  if (seconds === undefined || format === 'seconds') return headers;
  if (format === 'absent') return rest;
  return { ...rest, 'Retry-After': new Date(now + Number(seconds) * 1000).toUTCString() };
}
