import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  DEVICE_DEFAULT_PROPERTIES,
  USER_DEFAULT_PROPERTIES,
} from '../../src/emulator/tenant/index.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import {
  call,
  DEFENDER_SCOPE,
  GRAPH_SCOPE,
  listAll,
  startWithToken,
  tokenFor,
  type Response,
} from './http-client.js';

let t: TestEmulator;
let token: string;

beforeAll(async () => {
  ({ t, token } = await startWithToken({ users: 1100 }, GRAPH_SCOPE));
});
afterAll(() => t.close());

type Item = Record<string, unknown>;

describe('Graph paging', () => {
  it('pages /users by 100 with absolute nextLinks carrying an opaque $skiptoken, covering every user once', async () => {
    const { items, pages, links } = await listAll<Item>(t, '/graph/v1.0/users', token);
    const truth = await t.truth();
    expect(pages).toBe(11);
    expect(items.map((u) => u.id)).toEqual(truth.users);
    for (const link of links) {
      expect(link.startsWith(`${t.emulator.url}/graph/v1.0/users?$skiptoken=`)).toBe(true);
    }
  });

  it('serves $top=999 as the largest page and refuses $top=1000 and $top=0', async () => {
    const first = await call(t, '/graph/v1.0/users?$top=999', { token });
    expect(first.status).toBe(200);
    expect((first.body.value as Item[]).length).toBe(999);
    const nextLink = first.body['@odata.nextLink'] as string;
    expect(nextLink).toMatch(/\?\$top=999&\$skiptoken=/);
    const second = await call(t, nextLink, { token });
    expect((second.body.value as Item[]).length).toBe(1100 - 999);
    expect(second.body['@odata.nextLink']).toBeUndefined();

    for (const top of ['1000', '0']) {
      const res = await call(t, `/graph/v1.0/users?$top=${top}`, { token });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({
        code: 'Request_UnsupportedQuery',
        message: `Invalid page size specified: '${top}'. Must be between 1 and 999 inclusive.`,
      });
    }
  });

  it('refuses $skip, as Graph does', async () => {
    const res = await call(t, '/graph/v1.0/users?$skip=5', { token });
    expect(res.status).toBe(400);
    expect((res.body.error as Item).message).toBe("'$skip' is not supported by the service.");
  });

  it('keeps the envelope key order and Graph response headers', async () => {
    const res = await call(t, '/graph/v1.0/users?$top=2', {
      token,
      headers: { 'client-request-id': 'req-123' },
    });
    expect(Object.keys(res.body)).toEqual(['@odata.context', '@odata.nextLink', 'value']);
    expect(res.body['@odata.context']).toBe('https://graph.microsoft.com/v1.0/$metadata#users');
    expect(res.headers['content-type']).toContain('odata.metadata=minimal');
    expect(res.headers['odata-version']).toBe('4.0');
    expect(res.headers['client-request-id']).toBe('req-123');
    expect(res.headers['request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers['x-ms-resource-unit']).toBe('1');
  });
});

describe('Graph $select and $filter', () => {
  it('returns the default user properties with id last, and exactly the $select-ed ones in request order', async () => {
    const plain = await call(t, '/graph/v1.0/users?$top=1', { token });
    const user = (plain.body.value as Item[])[0]!;
    expect(Object.keys(user)).toEqual(USER_DEFAULT_PROPERTIES);
    const selected = await call(
      t,
      '/graph/v1.0/users?$select=displayName,id,userType,accountEnabled&$top=1',
      { token },
    );
    expect(selected.body['@odata.context']).toBe(
      'https://graph.microsoft.com/v1.0/$metadata#users(displayName,id,userType,accountEnabled)',
    );
    expect(Object.keys((selected.body.value as Item[])[0]!)).toEqual([
      'displayName',
      'id',
      'userType',
      'accountEnabled',
    ]);

    const unknown = await call(t, '/graph/v1.0/users?$select=id,notAProperty', { token });
    expect(unknown.status).toBe(400);
    expect((unknown.body.error as Item).message).toContain("'notAProperty'");
  });

  it('filters users on accountEnabled and userType exactly as a full listing says', async () => {
    const all = (
      await listAll<Item>(t, '/graph/v1.0/users?$select=id,accountEnabled,userType&$top=999', token)
    ).items;
    const disabled = await listAll<Item>(
      t,
      '/graph/v1.0/users?$filter=accountEnabled eq false&$select=id',
      token,
    );
    const expectedDisabled = all.filter((u) => u.accountEnabled === false).map((u) => u.id);
    expect(expectedDisabled.length).toBeGreaterThan(0);
    expect(disabled.items.map((u) => u.id)).toEqual(expectedDisabled);

    const guests = await listAll<Item>(
      t,
      "/graph/v1.0/users?$filter=userType eq 'Guest'&$select=id",
      token,
    );
    const expectedGuests = all.filter((u) => u.userType === 'Guest').map((u) => u.id);
    expect(expectedGuests.length).toBeGreaterThan(0);
    expect(guests.items.map((u) => u.id)).toEqual(expectedGuests);
  });

  it('supports startswith, and needs ConsistencyLevel: eventual + $count=true for ne', async () => {
    const first = ((await call(t, '/graph/v1.0/users?$top=1', { token })).body.value as Item[])[0]!;
    const prefix = String(first.displayName).slice(0, 3);
    const res = await listAll<Item>(
      t,
      `/graph/v1.0/users?$filter=startswith(displayName,'${prefix}')`,
      token,
    );
    expect(res.items.length).toBeGreaterThan(0);
    expect(
      res.items.every((u) => String(u.displayName).toLowerCase().startsWith(prefix.toLowerCase())),
    ).toBe(true);

    const refused = await call(t, "/graph/v1.0/users?$filter=userType ne 'Guest'", { token });
    expect(refused.status).toBe(400);
    expect((refused.body.error as Item).code).toBe('Request_UnsupportedQuery');
    const advanced = await call(
      t,
      "/graph/v1.0/users?$filter=userType ne 'Guest'&$count=true&$top=5",
      {
        token,
        headers: { ConsistencyLevel: 'eventual' },
      },
    );
    expect(advanced.status).toBe(200);
    const all = (await listAll<Item>(t, '/graph/v1.0/users?$select=userType&$top=999', token))
      .items;
    expect(advanced.body['@odata.count']).toBe(all.filter((u) => u.userType !== 'Guest').length);
    expect(Object.keys(advanced.body)).toEqual([
      '@odata.context',
      '@odata.count',
      '@odata.nextLink',
      'value',
    ]);
  });

  it('answers /$count as text/plain only with ConsistencyLevel: eventual', async () => {
    const refused = await call(t, '/graph/v1.0/users/$count', { token });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({
      code: 'Request_BadRequest',
      message: '$count is not currently supported.',
    });
    const eventual = { ConsistencyLevel: 'eventual' };
    const count = await call(t, '/graph/v1.0/users/$count', { token, headers: eventual });
    expect(count.headers['content-type']).toMatch(/^text\/plain/);
    expect(count.text).toBe('1100');
    const guests = await call(t, "/graph/v1.0/users/$count?$filter=userType eq 'Guest'", {
      token,
      headers: eventual,
    });
    const all = (await listAll<Item>(t, '/graph/v1.0/users?$select=userType&$top=999', token))
      .items;
    expect(guests.text).toBe(String(all.filter((u) => u.userType === 'Guest').length));
    const truth = await t.truth();
    const groupId = truth.groups![0]!;
    const members = await call(t, `/graph/v1.0/groups/${groupId}/members/$count`, {
      token,
      headers: eventual,
    });
    expect(members.text).toBe(
      String(truth.memberships!.filter((m) => m.groupId === groupId).length),
    );
  });

  it('refuses a filter on an unknown property and a malformed filter', async () => {
    const unknown = await call(t, "/graph/v1.0/users?$filter=favouriteColour eq 'red'", { token });
    expect(unknown.status).toBe(400);
    expect((unknown.body.error as Item).message).toContain("'favouriteColour'");
    const malformed = await call(t, '/graph/v1.0/users?$filter=accountEnabled eq', { token });
    expect(malformed.status).toBe(400);
    expect((malformed.body.error as Item).code).toBe('BadRequest');
  });
});

describe('Graph resources', () => {
  it('lists the organization as a one-item collection and by id', async () => {
    const res = await call(t, '/graph/v1.0/organization', { token });
    const orgs = res.body.value as Item[];
    expect(orgs).toHaveLength(1);
    expect(orgs[0]!.id).toBe(t.emulator.tenantId);
    const one = await call(t, `/graph/v1.0/organization/${t.emulator.tenantId}`, { token });
    expect(one.body['@odata.context']).toBe(
      'https://graph.microsoft.com/v1.0/$metadata#organization/$entity',
    );
  });

  it('lists members and transitive members of every kind with @odata.type first, as the truth says', async () => {
    const truth = await t.truth();
    const types = new Set<string>();
    for (const groupId of truth.groups!) {
      const members = await listAll<Item>(t, `/graph/v1.0/groups/${groupId}/members`, token);
      const expected = truth
        .memberships!.filter((m) => m.groupId === groupId)
        .map((m) => m.memberId);
      expect(members.items.map((m) => m.id).sort()).toEqual([...expected].sort());
      for (const m of members.items) {
        expect(Object.keys(m).slice(0, 2)).toEqual(['@odata.type', 'id']);
        types.add(m['@odata.type'] as string);
      }
      const transitive = await listAll<Item>(
        t,
        `/graph/v1.0/groups/${groupId}/transitiveMembers`,
        token,
      );
      const transitiveIds = new Set(transitive.items.map((m) => m.id));
      for (const id of expected) expect(transitiveIds.has(id)).toBe(true);
    }
    expect(types).toEqual(
      new Set([
        '#microsoft.graph.user',
        '#microsoft.graph.group',
        '#microsoft.graph.device',
        '#microsoft.graph.servicePrincipal',
        '#microsoft.graph.orgContact',
      ]),
    );
    const res = await call(t, `/graph/v1.0/groups/${truth.groups![0]}/members`, { token });
    expect(res.body['@odata.context']).toBe(
      'https://graph.microsoft.com/v1.0/$metadata#directoryObjects',
    );

    // $select over mixed member types keeps what each type has.
    const mixedGroup = truth.groups!.find((g) =>
      truth.memberships!.some((m) => m.groupId === g && m.memberType !== 'user'),
    )!;
    const selected = await listAll<Item>(
      t,
      `/graph/v1.0/groups/${mixedGroup}/members?$select=id,userPrincipalName`,
      token,
    );
    expect(selected.items.some((m) => m['@odata.type'] !== '#microsoft.graph.user')).toBe(true);
    for (const m of selected.items) {
      const expectedKeys =
        m['@odata.type'] === '#microsoft.graph.user'
          ? ['@odata.type', 'id', 'userPrincipalName']
          : ['@odata.type', 'id'];
      expect(Object.keys(m)).toEqual(expectedKeys);
    }
  });

  it('lists groups and devices with id first, and gets single users by id and by UPN', async () => {
    const groups = await listAll<Item>(t, '/graph/v1.0/groups', token);
    expect(groups.items.map((g) => g.id)).toEqual((await t.truth()).groups);
    expect(Object.keys(groups.items[0]!)[0]).toBe('id');
    const devices = await listAll<Item>(t, '/graph/v1.0/devices', token);
    expect(devices.items.length).toBe((await t.truth({ lists: false })).counts.devices);
    expect(Object.keys(devices.items[0]!)).toEqual([...DEVICE_DEFAULT_PROPERTIES]);

    const user = ((await call(t, '/graph/v1.0/users?$top=1', { token })).body.value as Item[])[0]!;
    const byId = await call(t, `/graph/v1.0/users/${user.id}`, { token });
    expect(byId.body.userPrincipalName).toBe(user.userPrincipalName);
    expect(byId.body['@odata.context']).toBe(
      'https://graph.microsoft.com/v1.0/$metadata#users/$entity',
    );
    const byUpn = await call(
      t,
      `/graph/v1.0/users/${encodeURIComponent(String(user.userPrincipalName))}`,
      { token },
    );
    expect(byUpn.body.id).toBe(user.id);
  });
});

describe('Graph errors', () => {
  it('answers 404 Request_ResourceNotFound for an unknown id, with the Graph error envelope', async () => {
    const res = await call(t, '/graph/v1.0/users/00000000-0000-0000-0000-000000000000', {
      token,
      headers: { 'client-request-id': 'abc' },
    });
    expect(res.status).toBe(404);
    const error = res.body.error as Item;
    expect(error.code).toBe('Request_ResourceNotFound');
    expect(error.message).toBe(
      "Resource '00000000-0000-0000-0000-000000000000' does not exist or one of its queried reference-property objects are not present.",
    );
    expect(error.innerError).toMatchObject({
      'request-id': res.headers['request-id'],
      'client-request-id': 'abc',
    });
    expect((error.innerError as Item).date).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
    const group = await call(t, '/graph/v1.0/groups/00000000-0000-0000-0000-000000000000/members', {
      token,
    });
    expect(group.status).toBe(404);
  });

  it('answers 401 InvalidAuthenticationToken for a missing, garbage or wrong-audience token', async () => {
    const missing = await call(t, '/graph/v1.0/users');
    expect(missing.status).toBe(401);
    expect(missing.body.error).toMatchObject({
      code: 'InvalidAuthenticationToken',
      message: 'Access token is empty.',
    });
    expect(missing.headers['www-authenticate']).toContain('Bearer realm=""');
    const garbage = await call(t, '/graph/v1.0/users', { token: 'garbage' });
    expect((garbage.body.error as Item).message).toMatch(/^IDX14100: JWT is not well formed/);
    const defenderToken = await tokenFor(t, DEFENDER_SCOPE);
    const audience = await call(t, '/graph/v1.0/users', { token: defenderToken });
    expect([audience.status, (audience.body.error as Item).message]).toEqual([
      401,
      'Access token validation failure. Invalid audience.',
    ]);
  });

  it('answers 405 for a method the resource does not serve', async () => {
    const res = await call(t, '/graph/v1.0/users', { token, method: 'DELETE' });
    expect(res.status).toBe(405);
    expect((res.body.error as Item).code).toBe('Request_BadRequest');
  });

  it('answers 400 for an unknown segment', async () => {
    const res = await call(t, '/graph/v1.0/nothingHere', { token });
    expect(res.status).toBe(400);
    expect((res.body.error as Item).message).toBe(
      "Resource not found for the segment 'nothingHere'.",
    );
  });
});

describe('Graph expiry and throttling', () => {
  it('refuses an expired token with "Lifetime validation failed"', async () => {
    const short = await startTestEmulator({ tokenLifetimeSeconds: 1 });
    try {
      const res = await call(short, `/${short.emulator.tenantId}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: short.emulator.clientId,
          client_secret: short.emulator.clientSecret,
          scope: GRAPH_SCOPE,
        }).toString(),
      });
      expect(res.body.expires_in).toBe(1);
      // Only Date is faked, so the in-process emulator sees the token expire; sockets stay real.
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() + 2_100);
      const expired = await call(short, '/graph/v1.0/organization', {
        token: res.body.access_token as string,
      });
      expect(expired.status).toBe(401);
      expect((expired.body.error as Item).message).toBe(
        'Lifetime validation failed, the token is expired.',
      );
    } finally {
      vi.useRealTimers();
      await short.close();
    }
  });

  it('throttles by resource units per app and tenant with 429 and Retry-After', async () => {
    // 3,500 units per 10 s for a small tenant; scale 0.002 leaves 7 units: /users costs 2.
    const low = await startTestEmulator({ users: 20, quotaScale: 0.002 });
    try {
      const lowToken = await tokenFor(low, GRAPH_SCOPE);
      const statuses: number[] = [];
      let throttled: Response | undefined;
      for (let i = 0; i < 5; i++) {
        const res = await call(low, '/graph/v1.0/users', { token: lowToken });
        statuses.push(res.status);
        if (res.status === 429) throttled ??= res;
      }
      expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
      expect(statuses[3]).toBe(429);
      expect(throttled!.body.error).toMatchObject({ code: 'TooManyRequests' });
      expect(Number(throttled!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(throttled!.headers['x-ms-throttle-information']).toBe('ResourceUnitLimitExceeded');
    } finally {
      await low.close();
    }
  });
});
