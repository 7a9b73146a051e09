import type { ApiClient } from './http.js';
import type { EndpointSpec } from './endpoints.js';
import { MicrosoftApiError } from './errors.js';

interface ODataPage<T> {
  value?: T[];
  '@odata.nextLink'?: string;
}

/** A runaway server (e.g. the nextLink loop of MicrosoftDocs issue #8316) must not page forever. */
const MAX_PAGES = 100_000;

/** Graph's answer to a `$skiptoken` that has expired (graph-api.md §6). */
const EXPIRED_PAGE_TOKEN = 'Directory_ExpiredPageToken';

/**
 * Graph paging (graph-api.md §6): request the absolute `@odata.nextLink` unchanged until a page has
 * none. A nextLink off the configured Graph origin is refused so the token never goes elsewhere.
 * When a page token expires mid-listing the listing starts again from the first page, once: items
 * already yielded then come again, and callers drop them by id (every Graph step does).
 */
export async function* graphPages<T>(
  http: ApiClient,
  endpoint: EndpointSpec,
  firstUrl: string,
  base: string,
): AsyncGenerator<T[]> {
  let url: string | undefined = firstUrl;
  let restarted = false;
  const seen = new Set<string>();
  while (url !== undefined) {
    if (seen.size >= MAX_PAGES || seen.has(url)) throw pagingError(endpoint, 'nextLink repeats');
    seen.add(url);
    let page: ODataPage<T>;
    try {
      page = await http.getJson<ODataPage<T>>(endpoint, url);
    } catch (err) {
      const expired = err instanceof MicrosoftApiError && err.serviceCode === EXPIRED_PAGE_TOKEN;
      if (!expired || url === firstUrl) throw err;
      if (restarted) throw expiredAgain(err);
      restarted = true;
      seen.clear();
      url = firstUrl;
      continue;
    }
    yield page.value ?? [];
    const next: string | undefined = page['@odata.nextLink'];
    if (next !== undefined && !next.startsWith(`${base}/`)) {
      throw pagingError(endpoint, `nextLink points outside ${base}`);
    }
    url = next;
  }
}

function expiredAgain(err: MicrosoftApiError): MicrosoftApiError {
  return new MicrosoftApiError({
    api: err.api,
    endpoint: err.endpoint,
    code: err.code,
    status: err.status,
    serviceCode: err.serviceCode,
    message: `${err.message} (the page token expired again after the listing restarted from the first page)`,
  });
}

/**
 * Defender paging (defender-api.md §3.3): without `$top` the server sends at most one page and a
 * nextLink when more exist. The nextLink only says "more"; we build the next URL ourselves from
 * the rows received (`$skip=N`) because nextLinks have been seen to mangle the query string.
 */
export async function* defenderPages<T>(
  http: ApiClient,
  endpoint: EndpointSpec,
  url: string,
): AsyncGenerator<T[]> {
  let received = 0;
  for (let pages = 0; ; pages++) {
    if (pages >= MAX_PAGES) throw pagingError(endpoint, 'too many pages');
    const pageUrl = received === 0 ? url : withSkip(url, received);
    const page = await http.getJson<ODataPage<T>>(endpoint, pageUrl);
    const rows = page.value ?? [];
    if (rows.length > 0) yield rows;
    received += rows.length;
    if (page['@odata.nextLink'] === undefined) return;
    if (rows.length === 0) throw pagingError(endpoint, 'empty page with a nextLink');
  }
}

/** Adds `$skip=N` literally (as Microsoft's own nextLinks spell it), replacing any earlier one. */
function withSkip(url: string, skip: number): string {
  const [path, query = ''] = url.split('?', 2) as [string, string?];
  const params = query.split('&').filter((p) => p !== '' && !p.startsWith('$skip='));
  return `${path}?${[...params, `$skip=${skip}`].join('&')}`;
}

function pagingError(endpoint: EndpointSpec, why: string): MicrosoftApiError {
  return new MicrosoftApiError({
    api: endpoint.api,
    endpoint: endpoint.label,
    code: 'BAD_PAGING',
    message: `${endpoint.label}: paging stopped, ${why}`,
  });
}
