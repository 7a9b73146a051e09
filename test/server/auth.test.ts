import { createHash } from 'node:crypto';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/server/auth/passwords.js';
import { newApiToken } from '../../src/server/auth/api-tokens.js';
import { SESSION_IDLE_MS, SessionStore } from '../../src/server/auth/sessions.js';
import { LOGIN_ATTEMPTS_PER_MINUTE } from '../../src/server/routes/auth.js';
import {
  AccessConfigurationError,
  startHttpServer,
  type RunningHttpServer,
  type SyncControl,
} from '../../src/server/index.js';
import { openGraphStore, type GraphStore } from '../../src/store/index.js';
import { BACKENDS } from '../store/backends.js';
import { ApiClient } from './client.js';

const ADMIN_PASSWORD = 'admin password 1';
const VIEWER_PASSWORD = 'viewer password 1';

/** Records what the API asked for instead of syncing. */
class RecordingSyncControl implements SyncControl {
  readonly requested: string[] = [];
  async requestSync(name: string) {
    this.requested.push(name);
    return { queued: true };
  }
  async nextSyncAt() {
    return new Date(Date.UTC(2030, 0, 1));
  }
}

describe.each(BACKENDS)('access and safety on $name', (backend) => {
  let store: GraphStore;
  let db: { url: string; drop: () => Promise<void> };
  let control: RecordingSyncControl;
  let token: string;
  let viewerToken: string;
  const servers: RunningHttpServer[] = [];

  const start = async (host = '0.0.0.0') => {
    const server = await startHttpServer({
      store,
      syncControl: control,
      configuredInstances: ['tenant'],
      host,
      port: 0,
      version: '0.1.0',
    });
    servers.push(server);
    // Listening on every address; the test reaches it through loopback.
    return server.url.replace('0.0.0.0', '127.0.0.1');
  };

  beforeAll(async () => {
    db = await backend.create('auth');
    store = await openGraphStore(db.url);
    control = new RecordingSyncControl();
  });
  afterAll(async () => {
    for (const server of servers) await server.close();
    await store?.close();
    await db?.drop();
  });

  it('refuses to listen beyond loopback without a user', async () => {
    await expect(start('0.0.0.0')).rejects.toThrow(AccessConfigurationError);
    await expect(start('0.0.0.0')).rejects.toThrow(/refusing to listen on 0\.0\.0\.0/);
  });

  it('answers an open loopback server without login, only under a loopback Host', async () => {
    const url = await start('127.0.0.1');
    const api = new ApiClient(url);
    const me = await api.get<{ authenticated: boolean; authRequired: boolean; user: unknown }>(
      '/api/v1/auth/me',
    );
    expect(me.body).toMatchObject({
      authenticated: true,
      authRequired: false,
      user: { name: 'local', role: 'admin' },
    });
    expect((await api.get('/api/v1/overview')).status).toBe(200);
    // fetch() will not send a Host of our choosing; a DNS-rebound page's browser would.
    const refused = await request(`${url}/api/v1/overview`, {
      headers: { host: 'attacker.example' },
    });
    expect(refused.statusCode).toBe(403);
    expect(((await refused.body.json()) as { error: { code: string } }).error.code).toBe(
      'forbidden_host',
    );
    // Even open, a state change needs the CSRF token: a web page could POST to localhost.
    const noCsrf = await api.post<{ error: { code: string } }>('/api/v1/instances/{name}/sync', {
      params: { name: 'tenant' },
    });
    expect([noCsrf.status, noCsrf.body.error.code]).toEqual([403, 'csrf']);
    await api.fetchCsrf();
    const ran = await api.post('/api/v1/instances/{name}/sync', { params: { name: 'tenant' } });
    expect(ran.status).toBe(202);
    expect(control.requested).toEqual(['tenant']);
  });

  describe('with users', () => {
    let url: string;

    beforeAll(async () => {
      await store.accounts.addUser({
        name: 'ada',
        role: 'admin',
        passwordHash: await hashPassword(ADMIN_PASSWORD),
        createdOn: Date.now(),
      });
      await store.accounts.addUser({
        name: 'val',
        role: 'viewer',
        passwordHash: await hashPassword(VIEWER_PASSWORD),
        createdOn: Date.now(),
      });
      const admin = newApiToken();
      await store.accounts.addToken(
        { id: admin.id, label: 'ci', userName: 'ada', createdOn: Date.now() },
        admin.hash,
      );
      token = admin.token;
      const viewer = newApiToken();
      await store.accounts.addToken(
        { id: viewer.id, label: 'dash', userName: 'val', createdOn: Date.now() },
        viewer.hash,
      );
      viewerToken = viewer.token;
      url = await start('0.0.0.0');
    });

    it('wants a session or a token for data, not for health or the login page', async () => {
      const api = new ApiClient(url);
      const denied = await api.get<{ error: { code: string } }>('/api/v1/overview');
      expect([denied.status, denied.body.error.code]).toEqual([401, 'unauthenticated']);
      expect((await api.get('/metrics', { raw: true })).status).toBe(401);
      expect((await api.get('/api/v1/health')).status).toBe(200);
      const me = await api.get('/api/v1/auth/me');
      expect(me.body).toMatchObject({ authenticated: false, authRequired: true });
      expect((await api.get('/api/openapi.json', { raw: true })).status).toBe(200);
    });

    it('logs in with an HttpOnly SameSite=Strict cookie, only with the CSRF token', async () => {
      const api = new ApiClient(url);
      const noCsrf = await api.post<{ error: { code: string } }>('/api/v1/auth/login', {
        body: { username: 'ada', password: ADMIN_PASSWORD },
      });
      expect([noCsrf.status, noCsrf.body.error.code]).toEqual([403, 'csrf']);
      await api.fetchCsrf();
      const wrong = await api.post<{ error: { code: string } }>('/api/v1/auth/login', {
        body: { username: 'ada', password: 'not the password' },
      });
      expect([wrong.status, wrong.body.error.code]).toEqual([401, 'unauthenticated']);
      const login = await api.post<{ user: { name: string; role: string } }>('/api/v1/auth/login', {
        body: { username: 'ada', password: ADMIN_PASSWORD },
      });
      expect(login.status).toBe(200);
      expect(login.body.user).toEqual({ name: 'ada', role: 'admin' });
      const cookie = login.headers.getSetCookie().find((c) => c.startsWith('dg_session='))!;
      expect(cookie.split('; ').slice(1).sort()).toEqual(['HttpOnly', 'Path=/', 'SameSite=Strict']);
      expect((await api.get('/api/v1/overview')).status).toBe(200);
      expect((await api.get('/metrics', { raw: true })).status).toBe(200);

      const forged = await api.post<{ error: { code: string } }>('/api/v1/instances/{name}/sync', {
        params: { name: 'tenant' },
        headers: { 'x-csrf-token': 'forged' },
      });
      expect([forged.status, forged.body.error.code]).toEqual([403, 'csrf']);
      const ran = await api.post('/api/v1/instances/{name}/sync', { params: { name: 'tenant' } });
      expect(ran.status).toBe(202);

      expect((await api.post('/api/v1/auth/logout')).status).toBe(200);
      expect(api.cookie('dg_session')).toBeUndefined();
      expect((await api.get('/api/v1/overview')).status).toBe(401);
    });

    it('lets a viewer read but not run syncs', async () => {
      const api = new ApiClient(url);
      await api.fetchCsrf();
      await api.post('/api/v1/auth/login', {
        body: { username: 'val', password: VIEWER_PASSWORD },
      });
      expect((await api.get('/api/v1/instances')).status).toBe(200);
      const before = control.requested.length;
      const refused = await api.post<{ error: { code: string; message: string } }>(
        '/api/v1/instances/{name}/sync',
        { params: { name: 'tenant' } },
      );
      expect([refused.status, refused.body.error.code]).toEqual([403, 'forbidden']);
      expect(refused.body.error.message).toMatch(/admin role/);
      const byToken = new ApiClient(url, { authorization: `Bearer ${viewerToken}` });
      expect(
        (await byToken.post('/api/v1/instances/{name}/sync', { params: { name: 'tenant' } }))
          .status,
      ).toBe(403);
      expect(control.requested.length).toBe(before);
    });

    it('takes API tokens without CSRF, and refuses unknown ones', async () => {
      const script = new ApiClient(url, { authorization: `Bearer ${token}` });
      const instances = await script.get<{ instances: { name: string; nextSyncAt?: number }[] }>(
        '/api/v1/instances',
      );
      expect(instances.body.instances).toEqual([
        { name: 'tenant', nextSyncAt: Date.UTC(2030, 0, 1), running: false },
      ]);
      const ran = await script.post('/api/v1/instances/{name}/sync', {
        params: { name: 'tenant' },
      });
      expect(ran.status).toBe(202);
      const stranger = new ApiClient(url, { authorization: 'Bearer dgt_made-up' });
      const denied = await stranger.get<{ error: { code: string } }>('/api/v1/overview');
      expect([denied.status, denied.body.error.code]).toEqual([401, 'unauthenticated']);
    });

    it('ends the sessions of a removed user at once', async () => {
      await store.accounts.addUser({
        name: 'tmp',
        role: 'admin',
        passwordHash: await hashPassword('temporary password'),
        createdOn: Date.now(),
      });
      const api = new ApiClient(url);
      await api.fetchCsrf();
      await api.post('/api/v1/auth/login', {
        body: { username: 'tmp', password: 'temporary password' },
      });
      expect((await api.get('/api/v1/instances')).status).toBe(200);
      await store.accounts.removeUser('tmp');
      expect((await api.get('/api/v1/instances')).status).toBe(401);
    });

    it('keeps sessions in the store: another server on the same database takes the cookie; the table holds only its hash', async () => {
      const api = new ApiClient(url);
      await api.fetchCsrf();
      await api.post('/api/v1/auth/login', {
        body: { username: 'val', password: VIEWER_PASSWORD },
      });
      const cookie = api.cookie('dg_session')!;
      const otherStore = await openGraphStore(db.url);
      const other = await startHttpServer({
        store: otherStore,
        syncControl: control,
        configuredInstances: ['tenant'],
        host: '127.0.0.1',
        port: 0,
        version: '0.1.0',
      });
      try {
        const elsewhere = new ApiClient(other.url, { cookie: `dg_session=${cookie}` });
        const me = await elsewhere.get<{ user: unknown }>('/api/v1/auth/me');
        expect(me.body.user).toEqual({ name: 'val', role: 'viewer' });
        const rows = await (
          await store.state()
        ).all<{ id_hash: string; user_name: string }>('SELECT id_hash, user_name FROM sessions');
        const hash = createHash('sha256').update(cookie).digest('base64url');
        expect(rows.filter((r) => r.id_hash === hash)).toEqual([
          { id_hash: hash, user_name: 'val' },
        ]);
        expect(rows.filter((r) => r.id_hash === cookie)).toEqual([]);
        expect((await api.post('/api/v1/auth/logout')).status).toBe(200);
        expect(
          (await elsewhere.get<{ authenticated: boolean }>('/api/v1/auth/me')).body.authenticated,
        ).toBe(false);
      } finally {
        await other.close();
        await otherStore.close();
      }
    });

    it('ends a session idle for eight hours, and drops idle rows at the next login', async () => {
      let now = Date.UTC(2031, 0, 1);
      const sessions = new SessionStore(store.sessions, () => now);
      const id = await sessions.create({ name: 'ada', role: 'admin' });
      now += SESSION_IDLE_MS - 1;
      expect(await sessions.get(id)).toEqual({ name: 'ada', role: 'admin' });
      now += SESSION_IDLE_MS - 1;
      expect(await sessions.get(id)).toEqual({ name: 'ada', role: 'admin' });
      now += SESSION_IDLE_MS;
      expect(await sessions.get(id)).toBeUndefined();
      const stale = await sessions.create({ name: 'ada', role: 'admin' });
      now += SESSION_IDLE_MS;
      const fresh = await sessions.create({ name: 'ada', role: 'admin' });
      const kept = await (
        await store.state()
      ).all<{ n: number | string }>('SELECT COUNT(*) AS n FROM sessions WHERE seen_on >= ?', [
        Date.UTC(2031, 0, 1),
      ]);
      expect(Number(kept[0]!.n)).toBe(1);
      expect(await sessions.get(stale)).toBeUndefined();
      expect(await sessions.get(fresh)).toEqual({ name: 'ada', role: 'admin' });
    });

    it('limits login attempts per address', async () => {
      const api = new ApiClient(url);
      await api.fetchCsrf();
      const statuses: number[] = [];
      for (let i = 0; i <= LOGIN_ATTEMPTS_PER_MINUTE; i++)
        statuses.push(
          (
            await api.post('/api/v1/auth/login', {
              body: { username: 'ada', password: `guess ${i}` },
            })
          ).status,
        );
      // Earlier tests spent some of this minute's attempts from the same address.
      expect(statuses.at(-1)).toBe(429);
      const limited = await api.post<{ error: { code: string } }>('/api/v1/auth/login', {
        body: { username: 'ada', password: ADMIN_PASSWORD },
      });
      expect([limited.status, limited.body.error.code]).toEqual([429, 'rate_limited']);
    });

    it('sends a strict CSP and security headers on every answer', async () => {
      for (const path of ['/api/v1/health', '/api/v1/overview', '/no-such-page']) {
        const res = await fetch(`${url}${path}`);
        const csp = res.headers.get('content-security-policy')!;
        expect(csp).toContain("script-src 'self'");
        expect(csp).toContain("object-src 'none'");
        expect(csp).toContain("frame-ancestors 'none'");
        expect(csp).not.toMatch(/script-src[^;]*unsafe/);
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
        expect(res.headers.get('strict-transport-security')).toMatch(/max-age=/);
      }
    });

    it('never answers with a password hash or a token', async () => {
      const script = new ApiClient(url, { authorization: `Bearer ${token}` });
      for (const path of [
        '/api/v1/overview',
        '/api/v1/schema',
        '/api/v1/auth/me',
        '/api/v1/instances',
      ])
        await script.get(path);
      const hashes = (await store.accounts.listUsers()).map((u) => u.passwordHash);
      for (const text of script.seen) {
        expect(text).not.toContain(token);
        expect(text).not.toContain('scrypt$');
        for (const hash of hashes) expect(text).not.toContain(hash);
      }
    });
  });
});
