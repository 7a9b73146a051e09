import { describe, expect, it } from 'vitest';
import type { EndpointSpec } from '../../src/microsoft/endpoints.js';
import { MicrosoftApiError } from '../../src/microsoft/errors.js';
import type { ApiClient } from '../../src/microsoft/http.js';
import { defenderPages, graphPages } from '../../src/microsoft/paging.js';

const ENDPOINT: EndpointSpec = {
  api: 'defender',
  label: 'defender GET /api/machines',
  bucket: 'machines',
  permission: 'Machine.Read.All',
} as EndpointSpec;

interface Page {
  value: { id: string }[];
  '@odata.nextLink'?: string;
}

/** A client answering each URL from `answer`, recording the URLs asked for. */
function fakeClient(answer: (url: string, call: number) => Page) {
  const urls: string[] = [];
  const client = {
    getPage: async (_endpoint: EndpointSpec, url: string) => {
      urls.push(url);
      return answer(url, urls.length);
    },
  } as unknown as ApiClient;
  return { client, urls };
}

async function collect(pages: AsyncGenerator<{ id: string }[]>): Promise<string[][]> {
  const out: string[][] = [];
  for await (const page of pages) out.push(page.map((r) => r.id));
  return out;
}

const rows = (...ids: string[]) => ids.map((id) => ({ id }));
const MORE = 'https://api.example/api/machines?$skip=whatever';

/** Defender rows r0…r(n-1), pages of `size`, the `$skip` read from the URL. */
function listing(ids: string[], size: number) {
  return (url: string): Page => {
    const skip = Number(/\$skip=(\d+)/.exec(url)?.[1] ?? 0);
    const value = rows(...ids.slice(skip, skip + size));
    return skip + size < ids.length ? { value, '@odata.nextLink': MORE } : { value };
  };
}

const ids = (n: number, prefix = 'r') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('defenderPages', () => {
  const URL = 'https://api.example/api/machines?$filter=x';

  it('starts each next page one row early and drops that row', async () => {
    const { client, urls } = fakeClient(listing(ids(7), 3));
    expect(await collect(defenderPages(client, ENDPOINT, URL))).toEqual([
      ['r0', 'r1', 'r2'],
      ['r3', 'r4'],
      ['r5', 'r6'],
    ]);
    expect(urls).toEqual([
      URL,
      'https://api.example/api/machines?$filter=x&$skip=2',
      'https://api.example/api/machines?$filter=x&$skip=4',
    ]);
  });

  it('replaces an earlier $skip and adds one to a URL without a query', async () => {
    const { client, urls } = fakeClient(listing(ids(4), 2));
    await collect(defenderPages(client, ENDPOINT, 'https://api.example/api/x?$skip=0&a=1'));
    expect(urls.slice(1)).toEqual([
      'https://api.example/api/x?a=1&$skip=1',
      'https://api.example/api/x?a=1&$skip=2',
    ]);
    const bare = fakeClient(listing(ids(4), 2));
    await collect(defenderPages(bare.client, ENDPOINT, 'https://api.example/api/x'));
    expect(bare.urls).toEqual([
      'https://api.example/api/x',
      'https://api.example/api/x?$skip=1',
      'https://api.example/api/x?$skip=2',
    ]);
  });

  it('keeps repeats when rows were inserted before the cursor (callers drop them by id)', async () => {
    // After page 1 a row is inserted at the front: page 2 starts at r0, seen on page 1.
    const after = ['new', ...ids(4)];
    const { client } = fakeClient((url, call) =>
      call === 1 ? listing(ids(4), 2)(url) : listing(after, 2)(url),
    );
    expect(await collect(defenderPages(client, ENDPOINT, URL))).toEqual([
      ['r0', 'r1'],
      ['r0', 'r1'],
      ['r2'],
      ['r3'],
    ]);
  });

  it('starts again when rows were removed before the cursor, then lists every row', async () => {
    // After page 1, r0 is removed: $skip=1 starts at r2, never seen, so r1… may have slipped past.
    const removed = ids(5).filter((id) => id !== 'r0');
    const { client, urls } = fakeClient((url, call) =>
      call === 1 ? listing(ids(5), 2)(url) : listing(removed, 2)(url),
    );
    expect(await collect(defenderPages(client, ENDPOINT, URL))).toEqual([
      ['r0', 'r1'],
      ['r1', 'r2'],
      ['r3'],
      ['r4'],
    ]);
    expect(urls).toEqual([URL, `${URL}&$skip=1`, URL, `${URL}&$skip=1`, `${URL}&$skip=2`]);
  });

  it('fails by name after two restarts rather than lose a row', async () => {
    // Every page brings rows never seen: each next page looks like rows were removed.
    const { client, urls } = fakeClient((_url, call) => ({
      value: rows(`x${call}a`, `x${call}b`),
      '@odata.nextLink': MORE,
    }));
    const error = await collect(defenderPages(client, ENDPOINT, URL)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MicrosoftApiError);
    expect(error).toMatchObject({
      api: 'defender',
      endpoint: 'defender GET /api/machines',
      code: 'BAD_PAGING',
      message:
        'defender GET /api/machines: paging stopped, the list kept changing under $skip paging (3 times rows moved between pages while listing)',
    });
    expect(urls.filter((u) => u === URL)).toHaveLength(3);
  });

  it('identifies a row without a string id by its whole value', async () => {
    const pages: Page[] = [
      { value: [{ id: 'a' }, { n: 1 } as never], '@odata.nextLink': MORE },
      { value: [{ n: 1 } as never, { id: 'b' }] },
    ];
    const { client } = fakeClient((_url, call) => pages[call - 1]!);
    const out: unknown[][] = [];
    for await (const page of defenderPages(client, ENDPOINT, URL)) out.push(page);
    expect(out).toEqual([[{ id: 'a' }, { n: 1 }], [{ id: 'b' }]]);
  });

  it('skips an empty page and ends on a page without a nextLink', async () => {
    const { client, urls } = fakeClient(() => ({ value: [] }));
    expect(await collect(defenderPages(client, ENDPOINT, URL))).toEqual([]);
    expect(urls).toEqual([URL]);
  });

  it('ends on an empty page without a nextLink after rows', async () => {
    const { client, urls } = fakeClient((_url, call) =>
      call === 1 ? { value: rows('a', 'b'), '@odata.nextLink': MORE } : { value: [] },
    );
    expect(await collect(defenderPages(client, ENDPOINT, URL))).toEqual([['a', 'b']]);
    expect(urls).toHaveLength(2);
  });

  it('stops a listing that never ends after exactly 100,000 pages', async () => {
    // An endless list: each page overlaps the last by one row and brings one new row.
    const { client, urls } = fakeClient((url, call) => {
      if (call > 100_001) throw new Error('paged past the limit');
      const skip = Number(/\$skip=(\d+)/.exec(url)?.[1] ?? 0);
      return { value: rows(`r${skip}`, `r${skip + 1}`), '@odata.nextLink': MORE };
    });
    await expect(collect(defenderPages(client, ENDPOINT, URL))).rejects.toMatchObject({
      code: 'BAD_PAGING',
      message: 'defender GET /api/machines: paging stopped, too many pages',
    });
    expect(urls).toHaveLength(100_000);
  });

  it('fails by name when a page with a nextLink brings no new rows', async () => {
    const { client } = fakeClient((_url, call) =>
      call === 1
        ? { value: rows('a', 'b'), '@odata.nextLink': MORE }
        : { value: rows('b'), '@odata.nextLink': MORE },
    );
    await expect(collect(defenderPages(client, ENDPOINT, URL))).rejects.toMatchObject({
      code: 'BAD_PAGING',
      message:
        'defender GET /api/machines: paging stopped, a page with a nextLink brought no new rows',
    });
  });
});

describe('graphPages', () => {
  const FIRST = 'https://graph.example/v1.0/users';
  const next = (n: number) => `${FIRST}?$skiptoken=${n}`;
  const expired = () =>
    new MicrosoftApiError({
      api: 'graph',
      endpoint: 'graph GET /users',
      code: 'BAD_REQUEST',
      status: 400,
      serviceCode: 'Directory_ExpiredPageToken',
      message: 'page token expired',
    });

  it('follows each nextLink unchanged until a page has none', async () => {
    const { client, urls } = fakeClient((url) =>
      url === FIRST
        ? { value: rows('a'), '@odata.nextLink': next(1) }
        : url === next(1)
          ? { value: rows('b'), '@odata.nextLink': next(2) }
          : { value: rows('c') },
    );
    expect(await collect(graphPages(client, ENDPOINT, FIRST))).toEqual([['a'], ['b'], ['c']]);
    expect(urls).toEqual([FIRST, next(1), next(2)]);
  });

  it('stops after exactly 100,000 distinct nextLinks', async () => {
    const { client, urls } = fakeClient((_url, call) => {
      if (call > 100_001) throw new Error('paged past the limit');
      return { value: rows(`u${call}`), '@odata.nextLink': next(call) };
    });
    await expect(collect(graphPages(client, ENDPOINT, FIRST))).rejects.toMatchObject({
      code: 'BAD_PAGING',
      message: 'defender GET /api/machines: paging stopped, nextLink repeats',
    });
    expect(urls).toHaveLength(100_000);
  });

  it('refuses a nextLink that repeats', async () => {
    const { client } = fakeClient((url) =>
      url === FIRST
        ? { value: rows('a'), '@odata.nextLink': next(1) }
        : { value: rows('b'), '@odata.nextLink': FIRST },
    );
    await expect(collect(graphPages(client, ENDPOINT, FIRST))).rejects.toMatchObject({
      code: 'BAD_PAGING',
      message: 'defender GET /api/machines: paging stopped, nextLink repeats',
    });
  });

  it('starts again from the first page once when a page token expires', async () => {
    let expiredOnce = false;
    const { client, urls } = fakeClient((url) => {
      if (url === next(1) && !expiredOnce) {
        expiredOnce = true;
        throw expired();
      }
      return url === FIRST
        ? { value: rows('a'), '@odata.nextLink': next(1) }
        : { value: rows('b') };
    });
    expect(await collect(graphPages(client, ENDPOINT, FIRST))).toEqual([['a'], ['a'], ['b']]);
    expect(urls).toEqual([FIRST, next(1), FIRST, next(1)]);
  });

  it('fails when the token expires again, saying the listing had restarted', async () => {
    const { client, urls } = fakeClient((url) => {
      if (url !== FIRST) throw expired();
      return { value: rows('a'), '@odata.nextLink': next(1) };
    });
    const error = await collect(graphPages(client, ENDPOINT, FIRST)).catch((e: unknown) => e);
    expect(error).toMatchObject({
      api: 'graph',
      endpoint: 'graph GET /users',
      code: 'BAD_REQUEST',
      status: 400,
      serviceCode: 'Directory_ExpiredPageToken',
      message:
        'page token expired (the page token expired again after the listing restarted from the first page)',
    });
    expect(urls).toEqual([FIRST, next(1), FIRST, next(1)]);
  });

  it('passes on an expired token on the first page, and any other error, unchanged', async () => {
    const first = expired();
    const onFirst = fakeClient(() => {
      throw first;
    });
    await expect(collect(graphPages(onFirst.client, ENDPOINT, FIRST))).rejects.toBe(first);
    const other = new MicrosoftApiError({
      api: 'graph',
      endpoint: 'graph GET /users',
      code: 'SERVER_ERROR',
      message: 'boom',
    });
    const later = fakeClient((url) => {
      if (url !== FIRST) throw other;
      return { value: rows('a'), '@odata.nextLink': next(1) };
    });
    await expect(collect(graphPages(later.client, ENDPOINT, FIRST))).rejects.toBe(other);
    expect(later.urls).toEqual([FIRST, next(1)]);
  });
});
