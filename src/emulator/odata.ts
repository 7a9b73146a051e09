import {
  evaluateFilter,
  filterUsage,
  FilterSyntaxError,
  parseFilter,
  type FilterNode,
} from './odata-filter.js';
import { Refusal, type Reply } from './http.js';
import { fields, type Sequence } from './tenant-view.js';

/** OData query options shared by the Graph and Defender handlers. */

export interface PageRequest {
  /** Position in the live collection to start scanning from (Graph skip token). */
  startPosition: number;
  /** Matching items to pass over first (Defender `$skip`). */
  skipMatches: number;
  size: number;
  filter?: FilterNode;
}

export interface Page {
  items: object[];
  /** Position of the next matching item, when there is one. */
  nextPosition?: number;
}

export function readPage(source: Sequence, request: PageRequest): Page {
  const { filter } = request;
  const matches = (item: object) => filter === undefined || evaluateFilter(filter, fields(item));
  // Unfiltered, `$skip` is a jump: skipped items are never generated.
  const start = request.startPosition + (filter === undefined ? request.skipMatches : 0);
  const toSkip = filter === undefined ? 0 : request.skipMatches;
  const items: object[] = [];
  let skipped = 0;
  const total = source.count();
  for (let position = start; position < total; position++) {
    const item = source.at(position);
    if (item === undefined || !matches(item)) continue;
    if (skipped < toSkip) {
      skipped++;
    } else if (items.length < request.size) {
      items.push(item);
    } else {
      return { items, nextPosition: position };
    }
  }
  return { items };
}

export function countMatches(source: Sequence, filter: FilterNode | undefined): number {
  if (filter === undefined) return source.count();
  let n = 0;
  for (let i = 0; i < source.count(); i++) {
    const item = source.at(i);
    if (item !== undefined && evaluateFilter(filter, fields(item))) n++;
  }
  return n;
}

/** A non-negative integer query value, or `undefined` when absent; NaN when present but invalid. */
export function integerOption(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  return /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
}

export function selectList(query: URLSearchParams): string[] | undefined {
  const raw = query.get('$select');
  if (raw === null) return undefined;
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * Picks properties in the order asked for. Names resolve case-insensitively against `known`;
 * returns the first name that matches nothing so the caller can name it in its error.
 */
export function project(
  item: object,
  names: readonly string[],
  known: readonly string[],
): { value: Record<string, unknown> } | { unknown: string } {
  const source = fields(item);
  const value: Record<string, unknown> = {};
  if ('@odata.type' in source) value['@odata.type'] = source['@odata.type'];
  for (const name of names) {
    const canonical = known.find((k) => k.toLowerCase() === name.toLowerCase());
    if (canonical === undefined) return { unknown: name };
    value[canonical] = source[canonical] ?? null;
  }
  return { value };
}

/** Builds an absolute link keeping OData `$` option names readable, as Microsoft's links do. */
export function link(origin: string, path: string, params: [string, string][]): string {
  if (params.length === 0) return `${origin}${path}`;
  const query = params
    .map(([k, v]) => `${encodeURIComponent(k).replace(/^%24/, '$')}=${encodeURIComponent(v)}`)
    .join('&');
  return `${origin}${path}?${query}`;
}

export interface FilterOption {
  filter: FilterNode;
  properties: Set<string>;
  operators: Set<string>;
}

/**
 * Parses `$filter` if present; a syntax error is refused with the API's own reply. The caller
 * checks which properties and operators its endpoint allows.
 */
export function filterOption(
  query: URLSearchParams,
  syntaxError: (raw: string, message: string) => Reply,
): FilterOption | undefined {
  const raw = query.get('$filter');
  if (raw === null) return undefined;
  try {
    const filter = parseFilter(raw);
    return { filter, ...filterUsage(filter) };
  } catch (err) {
    if (err instanceof FilterSyntaxError) throw new Refusal(syntaxError(raw, err.message));
    throw err;
  }
}
