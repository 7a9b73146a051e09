import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestEmulator } from '../support/emulator.js';
import { call, GRAPH_SCOPE, startWithToken, type Response } from './http-client.js';

let t: TestEmulator;
let token: string;

beforeAll(async () => {
  ({ t, token } = await startWithToken({}, GRAPH_SCOPE));
});
afterAll(() => t.close());

type Item = Record<string, unknown>;

/** One delta round: every page up to the one with `@odata.deltaLink`. */
async function round(first: string, pageSize?: number) {
  const headers: Record<string, string> = pageSize
    ? { prefer: `odata.maxpagesize=${pageSize}` }
    : {};
  const items: Item[] = [];
  let pages = 0;
  for (let url: string | undefined = first; ;) {
    const res: Response = await call(t, url, { token, headers });
    expect(res.status).toBe(200);
    pages++;
    items.push(...(res.body.value as Item[]));
    const deltaLink = res.body['@odata.deltaLink'] as string | undefined;
    if (deltaLink) {
      expect(res.body['@odata.nextLink']).toBeUndefined();
      return { items, pages, deltaLink };
    }
    url = res.body['@odata.nextLink'] as string;
    expect(url.startsWith(`${t.emulator.url}/graph/v1.0/`)).toBe(true);
  }
}

const ids = (items: Item[]) => items.map((i) => String(i.id)).sort();

describe('Graph delta queries', () => {
  it('lists every user in the initial round, in pages of odata.maxpagesize, with the $select kept in the tokens', async () => {
    const truth = await t.truth();
    const { items, pages, deltaLink } = await round(
      '/graph/v1.0/users/delta?$select=id,displayName,jobTitle',
      25,
    );
    expect(pages).toBe(Math.ceil(truth.users!.length / 25));
    expect(ids(items)).toEqual([...truth.users!].sort());
    expect(Object.keys(items[0]!)).toEqual(['id', 'displayName', 'jobTitle']);
    expect(deltaLink.startsWith(`${t.emulator.url}/graph/v1.0/users/delta?$deltatoken=`)).toBe(
      true,
    );
    // Nothing changed since: an empty round and a new deltaLink.
    expect((await round(deltaLink)).items).toEqual([]);
  });

  it('answers changed users as they are now and deleted ones with @removed', async () => {
    const { deltaLink } = await call(
      t,
      '/graph/v1.0/users/delta?$select=id,accountEnabled&$deltatoken=latest',
      {
        token,
      },
    ).then((r) => {
      expect(r.body.value).toEqual([]);
      return { deltaLink: r.body['@odata.deltaLink'] as string };
    });
    const report = await t.advance({ users: 3 });
    const { items } = await round(deltaLink, 2);
    const removed = items
      .filter((i) => i['@removed'])
      .sort((a, b) => String(a.id).localeCompare(String(b.id)));
    expect(removed).toEqual(
      [...report.users.deleted]
        .sort((a, b) => a.localeCompare(b))
        .map((id) => ({ id, '@removed': { reason: 'deleted' } })),
    );
    expect(ids(items.filter((i) => !i['@removed']))).toEqual(
      [...report.users.added, ...report.users.disabled, ...report.users.updated].sort(),
    );
    for (const id of report.users.disabled)
      expect(items.find((i) => i.id === id)).toEqual({ id, accountEnabled: false });
  });

  it('answers membership changes in members@delta, members that left with @removed', async () => {
    const { deltaLink: start } = await round('/graph/v1.0/groups/delta');
    const report = await t.advance({ users: 2, groups: 2 });
    const { items } = await round(start);
    const pairs = (left: boolean) =>
      items
        .flatMap((g) =>
          (g['members@delta'] as Item[])
            .filter((m) => Boolean(m['@removed']) === left)
            .map((m) => `${String(g.id)}|${String(m.id)}`),
        )
        .sort();
    const reported = (list: { groupId: string; memberId: string }[]) =>
      [...new Set(list.map((p) => `${p.groupId}|${p.memberId}`))].sort();
    expect(pairs(false)).toEqual(reported(report.groups.membersAdded));
    expect(pairs(true)).toEqual(reported(report.groups.membersRemoved));
    expect(items.every((g) => typeof g.displayName === 'string')).toBe(true);
  });

  it('answers an expired token with 410 Gone and a Location to start again, or syncStateNotFound', async () => {
    const first = await call(t, '/graph/v1.0/users/delta?$select=id&$deltatoken=latest', {
      token,
    });
    const deltaLink = first.body['@odata.deltaLink'] as string;
    await t.expireDeltaTokens('410');
    const gone = await call(t, deltaLink, { token });
    expect(gone.status).toBe(410);
    expect((gone.body as { error: { code: string } }).error.code).toBe('resyncRequired');
    expect(gone.headers.location).toBe(`${t.emulator.url}/graph/v1.0/users/delta?$select=id`);

    const second = await call(t, '/graph/v1.0/groups/delta?$deltatoken=latest', { token });
    await t.expireDeltaTokens('syncStateNotFound');
    const notFound = await call(t, second.body['@odata.deltaLink'] as string, { token });
    expect(notFound.status).toBe(400);
    expect((notFound.body as { error: { code: string } }).error.code).toBe('syncStateNotFound');
  });
});
