import { safeOrigin, type ApiClient } from './http.js';
import type { EndpointSpec } from './endpoints.js';
import { MicrosoftApiError } from './errors.js';

/** A runaway server (e.g. the nextLink loop of MicrosoftDocs issue #8316) must not page forever. */
const MAX_PAGES = 100_000;

/** Graph's answer to a `$skiptoken` that has expired (graph-api.md §6). */
const EXPIRED_PAGE_TOKEN = 'Directory_ExpiredPageToken';

/** How often a Defender listing starts again after its rows moved between pages. */
const MAX_DEFENDER_RESTARTS = 2;

/**
 * Graph paging (graph-api.md §6): request the absolute `@odata.nextLink` unchanged until a page has
 * none. The HTTP policy refuses a nextLink off the configured Graph origin, so the token never goes
 * elsewhere, and refuses a page that is not the OData envelope, so nothing is read as empty.
 * When a page token expires mid-listing the listing starts again from the first page, once: items
 * already yielded then come again, and callers drop them by id (every Graph step does).
 */
export async function* graphPages<T>(
  http: ApiClient,
  endpoint: EndpointSpec,
  firstUrl: string,
): AsyncGenerator<T[]> {
  let url: string | undefined = firstUrl;
  let restarted = false;
  const seen = new Set<string>();
  while (url !== undefined) {
    if (seen.size >= MAX_PAGES || seen.has(url)) throw pagingError(endpoint, 'nextLink repeats');
    seen.add(url);
    let page;
    try {
      page = await http.getPage<T>(endpoint, url);
    } catch (err) {
      const expired = err instanceof MicrosoftApiError && err.serviceCode === EXPIRED_PAGE_TOKEN;
      if (!expired || url === firstUrl) throw err;
      if (restarted) throw expiredAgain(err);
      restarted = true;
      seen.clear();
      url = firstUrl;
      continue;
    }
    yield page.value;
    url = page['@odata.nextLink'];
  }
}

/** A saved delta link for another Graph address than the configured one. */
const STALE_DELTA_LINK = 'STALE_DELTA_LINK';

/** A delta or skip token Graph no longer knows: start again from a full listing (§5.6). */
export function isExpiredDeltaToken(err: unknown): boolean {
  return (
    err instanceof MicrosoftApiError &&
    (err.status === 410 ||
      err.code === STALE_DELTA_LINK ||
      ['syncstatenotfound', 'resyncrequired'].includes(err.serviceCode?.toLowerCase() ?? ''))
  );
}

/**
 * One Graph delta round (graph-api.md §5.6): follow `@odata.nextLink` until the page carrying
 * `@odata.deltaLink`, handing each page to `each`; answers that deltaLink, the next round's start.
 * An expired token throws (see isExpiredDeltaToken); the caller falls back to a full listing.
 */
export async function graphDeltaRound<T>(
  http: ApiClient,
  endpoint: EndpointSpec,
  firstUrl: string,
  each: (items: T[]) => Promise<void>,
): Promise<string> {
  // A link saved under another Graph address (the config or the emulator's port changed) is
  // never followed: it counts as expired, so the step lists everything again.
  if (!http.isOwnUrl(firstUrl))
    throw new MicrosoftApiError({
      api: 'graph',
      endpoint: endpoint.label,
      code: STALE_DELTA_LINK,
      message: `${endpoint.label}: the saved delta link is for ${safeOrigin(firstUrl)}, not the configured Microsoft Graph base`,
    });
  const seen = new Set<string>();
  for (let url = firstUrl; ;) {
    if (seen.size >= MAX_PAGES || seen.has(url)) throw pagingError(endpoint, 'nextLink repeats');
    seen.add(url);
    const page = await http.getPage<T>(endpoint, url);
    await each(page.value);
    const deltaLink = page['@odata.deltaLink'];
    if (typeof deltaLink === 'string') return deltaLink;
    const next = page['@odata.nextLink'];
    if (next === undefined) throw pagingError(endpoint, 'the last page has no @odata.deltaLink');
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

/** A row's identity for the overlap check: its id, else the whole row. */
function identity(row: unknown): string {
  const id = (row as { id?: unknown }).id;
  return typeof id === 'string' ? id : JSON.stringify(row);
}

/**
 * Defender paging (defender-api.md §3.3): without `$top` the server sends at most one page and a
 * nextLink when more exist. The nextLink only says "more"; we build the next URL ourselves
 * (`$skip`) because nextLinks have been seen to mangle the query string.
 *
 * `$skip` counts positions in a list that can change while we page. Each next page therefore
 * starts one row early: that row must be the last one received. A row from earlier in the previous
 * page means rows were inserted (repeats, which callers drop by id); a row never received means
 * rows were removed before the cursor and a row may have slipped past unseen, so the listing
 * starts again, at most MAX_DEFENDER_RESTARTS times, and then fails rather than lose a row.
 */
export async function* defenderPages<T>(
  http: ApiClient,
  endpoint: EndpointSpec,
  url: string,
): AsyncGenerator<T[]> {
  let received = 0;
  let previous = new Set<string>();
  let last: string | undefined;
  let restarts = 0;
  for (let pages = 0; ; pages++) {
    if (pages >= MAX_PAGES) throw pagingError(endpoint, 'too many pages');
    const skip = Math.max(0, received - 1);
    const page = await http.getPage<T>(endpoint, received === 0 ? url : withSkip(url, skip));
    let rows = page.value;
    if (received > 0 && rows.length > 0) {
      const first = identity(rows[0]);
      if (first === last) {
        rows = rows.slice(1);
      } else if (!previous.has(first)) {
        if (restarts >= MAX_DEFENDER_RESTARTS)
          throw pagingError(
            endpoint,
            `the list kept changing under $skip paging (${restarts + 1} times rows moved between pages while listing)`,
          );
        restarts++;
        received = 0;
        previous = new Set();
        last = undefined;
        continue;
      }
    }
    if (rows.length > 0) yield rows;
    received = (received === 0 ? 0 : skip) + page.value.length;
    if (page.value.length > 0) {
      previous = new Set(page.value.map(identity));
      last = identity(page.value.at(-1));
    }
    if (page['@odata.nextLink'] === undefined) return;
    if (rows.length === 0)
      throw pagingError(endpoint, 'a page with a nextLink brought no new rows');
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
