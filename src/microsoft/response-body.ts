import { promisify } from 'node:util';
import { gunzip, inflate, inflateRaw } from 'node:zlib';

/**
 * What a 2xx body from Graph or Defender must be before anything reads it: decompressed, JSON,
 * and for a listing the documented OData page shape. Every problem is named, so a malformed
 * answer fails its step instead of being read as an empty page.
 */

export interface ODataPage<T> {
  value: T[];
  '@odata.nextLink'?: string;
  '@odata.count'?: number;
  /** On the last page of a Graph delta round (graph-api.md §5.6). */
  '@odata.deltaLink'?: string;
}

/** Why a body cannot be used: a cut-off body is a transport fault (retried), the rest are not. */
export type BodyProblem =
  { kind: 'truncated'; detail: string } | { kind: 'malformed'; detail: string };

export type DecodedBody = { ok: true; value: unknown } | { ok: false; problem: BodyProblem };

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);
const inflateRawAsync = promisify(inflateRaw);

/** Defender's `deflate` is raw deflate (no zlib header), though RFC 9110 means zlib-wrapped. */
async function decompress(raw: Buffer, encoding: string): Promise<Buffer> {
  if (encoding === 'gzip' || encoding === 'x-gzip') return gunzipAsync(raw);
  if (encoding === 'deflate') {
    // A zlib stream starts with CMF 0x78 and a header whose 16-bit value is a multiple of 31.
    const zlibWrapped = raw.length >= 2 && raw[0] === 0x78 && (raw[0]! * 256 + raw[1]!) % 31 === 0;
    return zlibWrapped ? inflateAsync(raw) : inflateRawAsync(raw);
  }
  return raw;
}

/** An error body as text, decompressed when it came compressed (best effort: it is only shown). */
export async function bodyText(
  raw: Buffer,
  headers: Record<string, string | string[] | undefined>,
): Promise<string> {
  try {
    return (await decompress(raw, headerValue(headers['content-encoding']))).toString('utf8');
  } catch {
    return raw.toString('utf8');
  }
}

function headerValue(value: string | string[] | undefined): string {
  return (Array.isArray(value) ? value[0] : value)?.trim().toLowerCase() ?? '';
}

/** A short, printable view of a body for an error message; an HTML page by its title. */
export function describeText(text: string): string {
  const trimmed = text.trim();
  if (/^<(!doctype|html|head|body)\b/i.test(trimmed)) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(trimmed)?.[1]?.trim();
    return `an HTML page${title ? ` titled "${title.slice(0, 120)}"` : ''}, not the API's JSON`;
  }
  const shown = trimmed.slice(0, 80).replace(/\s+/g, ' ');
  return trimmed === '' ? 'an empty body' : `"${shown}${trimmed.length > 80 ? '…' : ''}"`;
}

/** JSON.parse's messages for input that stops early (V8, Node 20 and later). */
const CUT_OFF = /end of JSON input|Unterminated string|Unexpected end/i;

export async function decodeBody(
  raw: Buffer,
  headers: Record<string, string | string[] | undefined>,
): Promise<DecodedBody> {
  const encoding = headerValue(headers['content-encoding']);
  let bytes: Buffer;
  try {
    bytes = await decompress(raw, encoding);
  } catch (err) {
    // A compressed stream that stops early cannot be inflated: the body was cut off.
    const message = (err as Error).message;
    const kind = /unexpected end/i.test(message) ? 'truncated' : 'malformed';
    return {
      ok: false,
      problem: { kind, detail: `cannot ${encoding}-decode the body (${message})` },
    };
  }
  const text = bytes.toString('utf8');
  const contentType = headerValue(headers['content-type']);
  if (contentType !== '' && !contentType.includes('json'))
    return {
      ok: false,
      problem: { kind: 'malformed', detail: `${contentType} body: ${describeText(text)}` },
    };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    const message = (err as Error).message;
    if (text.trim() !== '' && CUT_OFF.test(message) && /^\s*[[{]/.test(text))
      return {
        ok: false,
        problem: { kind: 'truncated', detail: `JSON body cut off after ${raw.length} bytes` },
      };
    return {
      ok: false,
      problem: { kind: 'malformed', detail: `body is not JSON: ${describeText(text)}` },
    };
  }
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * The OData collection envelope: an object whose `value` is an array of objects, with an optional
 * string `@odata.nextLink`. Returns what is wrong, or undefined when the page is usable.
 */
export function pageShapeProblem(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    return `the body is ${describeValue(body)}, not an OData page object`;
  const page = body as Record<string, unknown>;
  if (!Array.isArray(page.value))
    return `"value" is ${describeValue(page.value)} (an array of items was expected)`;
  const index = page.value.findIndex(
    (v) => v === null || typeof v !== 'object' || Array.isArray(v),
  );
  if (index >= 0) return `"value"[${index}] is ${describeValue(page.value[index])}, not an object`;
  const next = page['@odata.nextLink'];
  if (next !== undefined && typeof next !== 'string')
    return `"@odata.nextLink" is ${describeValue(next)}, not a URL`;
  return undefined;
}
