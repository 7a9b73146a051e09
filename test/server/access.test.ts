import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  authRequired,
  isLoopback,
  isStateChanging,
  loopbackHostAllowed,
  may,
} from '../../src/server/auth/access.js';
import { hashPassword, verifyPassword } from '../../src/server/auth/passwords.js';
import { ApiError } from '../../src/server/errors.js';
import { decodeCursor, encodeCursor, page, resultIdentity } from '../../src/server/query-paging.js';

describe('access decisions', () => {
  it('knows loopback addresses and names, and nothing else', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1'])
      expect([host, isLoopback(host)]).toEqual([host, true]);
    for (const host of [
      '0.0.0.0',
      '::',
      '10.0.0.1',
      '128.0.0.1',
      'localhost.example',
      '',
      'example.org',
    ])
      expect([host, isLoopback(host)]).toEqual([host, false]);
  });

  it('accepts only loopback Host headers on an open server', () => {
    expect(loopbackHostAllowed('127.0.0.1:8080')).toBe(true);
    expect(loopbackHostAllowed('localhost:8080')).toBe(true);
    expect(loopbackHostAllowed('[::1]:8080')).toBe(true);
    expect(loopbackHostAllowed('127.0.0.1.attacker.example:8080')).toBe(false);
    expect(loopbackHostAllowed(undefined)).toBe(false);
    fc.assert(
      fc.property(fc.domain(), fc.integer({ min: 1, max: 65535 }), (domain, port) => {
        expect(loopbackHostAllowed(`${domain}:${port}`)).toBe(domain === 'localhost');
      }),
    );
  });

  it('requires users beyond loopback and whenever users exist', () => {
    expect(authRequired('127.0.0.1', 0)).toBe(false);
    expect(authRequired('127.0.0.1', 1)).toBe(true);
    expect(authRequired('0.0.0.0', 2)).toBe(true);
    expect(() => authRequired('0.0.0.0', 0)).toThrow(/users add NAME --role admin/);
    expect(() => authRequired('192.168.1.5', 0)).toThrow(/refusing to listen on 192\.168\.1\.5/);
  });

  it('lets only admins change things, and treats read-only POSTs as reads', () => {
    expect([may('viewer', 'read'), may('viewer', 'sync.run'), may('admin', 'sync.run')]).toEqual([
      true,
      false,
      true,
    ]);
    expect(isStateChanging('POST', '/api/v1/query')).toBe(false);
    expect(isStateChanging('POST', '/api/v1/instances/x/sync')).toBe(true);
    expect(isStateChanging('POST', '/api/v1/auth/login')).toBe(true);
    expect(isStateChanging('DELETE', '/api/v1/query')).toBe(true);
    expect(isStateChanging('GET', '/api/v1/overview')).toBe(false);
  });
});

describe('cursors', () => {
  it('page through any list exactly once, in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer(), { maxLength: 60 }),
        fc.integer({ min: 1, max: 25 }),
        (items, limit) => {
          const identity = resultIdentity({ items: items.length, limit });
          const seen: number[] = [];
          let cursor: string | undefined;
          do {
            const result = page(items, decodeCursor(cursor, identity), limit, identity);
            expect(result.items.length).toBeLessThanOrEqual(limit);
            seen.push(...result.items);
            cursor = result.cursor;
          } while (cursor);
          expect(seen).toEqual(items);
        },
      ),
    );
  });

  it('refuse any text that is not a cursor of this query', () => {
    const identity = resultIdentity({ query: 'FIND HostAgent' });
    expect(() =>
      decodeCursor(encodeCursor(resultIdentity({ query: 'FIND User' }), 10), identity),
    ).toThrow(/different query/);
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          const offset = decodeCursor(text, identity);
          expect(Number.isInteger(offset) && offset >= 0).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(ApiError);
          expect((err as ApiError).status).toBe(400);
        }
      }),
    );
  });
});

describe('password hashes', () => {
  it('verify the password they were made from and nothing else', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
    expect(await verifyPassword('correct horse batterY', hash)).toBe(false);
    expect(await hashPassword('correct horse battery')).not.toBe(hash);
    expect(await verifyPassword('x', 'not a hash')).toBe(false);
    await expect(hashPassword('short')).rejects.toThrow(/at least 12/);
  });
});
