import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCertificates } from '../../src/emulator/certificates.js';
import { CLI, runCli, startCli, type CliResult } from '../sync/cli.js';

/** The CLI with `input` on stdin (a pipe: `users add` reads the password from it). */
function runWithInput(args: string[], input: string): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(input);
  return new Promise((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
}

describe('users and serve commands', () => {
  let dir: string;
  let db: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dg-serve-'));
    db = `sqlite:${join(dir, 'graph.db')}`;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a non-loopback address while no user exists', async () => {
    const result = await runCli(['serve', '--db', db, '--host', '0.0.0.0', '--port', '0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without authentication/);
  });

  it('adds users, refusing duplicates, short passwords and unknown roles', async () => {
    const added = await runWithInput(
      ['users', 'add', 'ada', '--role', 'admin', '--db', db],
      'a long enough password\n',
    );
    expect([added.code, added.stdout]).toEqual([0, 'user ada added (admin)\n']);
    const again = await runWithInput(['users', 'add', 'ada', '--db', db], 'another password 1\n');
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/a user named "ada" already exists/);
    const short = await runWithInput(['users', 'add', 'bob', '--db', db], 'short\n');
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/at least 12 characters/);
    const badRole = await runWithInput(['users', 'add', 'bob', '--role', 'root', '--db', db], '');
    expect(badRole.code).toBe(2);
  });

  it('lists users and tokens, never printing a hash, and revokes tokens', async () => {
    const list = await runCli(['users', 'list', '--json', '--db', db]);
    expect(JSON.parse(list.stdout)).toEqual([
      { name: 'ada', role: 'admin', createdOn: expect.any(Number) },
    ]);
    expect(list.stdout).not.toContain('scrypt');

    const token = await runCli([
      'users',
      'token',
      'add',
      'ada',
      '--label',
      'ci',
      '--json',
      '--db',
      db,
    ]);
    const { id, token: secret } = JSON.parse(token.stdout) as { id: string; token: string };
    expect(secret).toMatch(/^dgt_[\w-]{43}$/);
    const tokens = await runCli(['users', 'token', 'list', '--json', '--db', db]);
    expect(JSON.parse(tokens.stdout)).toEqual([
      { id, label: 'ci', userName: 'ada', createdOn: expect.any(Number) },
    ]);
    const noOwner = await runCli(['users', 'token', 'add', 'nobody', '--db', db]);
    expect(noOwner.code).toBe(2);
    expect((await runCli(['users', 'token', 'remove', id, '--db', db])).code).toBe(0);
    expect((await runCli(['users', 'token', 'remove', id, '--db', db])).code).toBe(1);
  });

  it('serves HTTPS with a certificate, and its session cookie is Secure', async () => {
    const certs = ensureCertificates(join(dir, 'tls'));
    const cert = join(dir, 'server.pem');
    const key = join(dir, 'server-key.pem');
    writeFileSync(cert, certs.serverCertPem);
    writeFileSync(key, certs.serverKeyPem, { mode: 0o600 });
    const { child, done } = startCli([
      'serve',
      '--db',
      db,
      '--port',
      '0',
      '--tls-cert',
      cert,
      '--tls-key',
      key,
    ]);
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const match = /at (https:\/\/127\.0\.0\.1:\d+) \(login required\)/.exec(out);
        if (match) resolve(match[1]!);
      });
      child.on('close', () => reject(new Error(`serve ended: ${out}`)));
    });
    const dispatcher = new Agent({ connect: { ca: certs.caPem } });
    try {
      const me = await request(`${url}/api/v1/auth/me`, { dispatcher });
      const { csrfToken } = (await me.body.json()) as { csrfToken: string };
      expect(String(me.headers['set-cookie'])).toMatch(/^dg_csrf=.*; Secure/);
      const csrfCookie = String(me.headers['set-cookie']).split(';')[0]!;
      const login = await request(`${url}/api/v1/auth/login`, {
        method: 'POST',
        dispatcher,
        headers: {
          'content-type': 'application/json',
          'x-csrf-token': csrfToken,
          cookie: csrfCookie,
        },
        body: JSON.stringify({ username: 'ada', password: 'a long enough password' }),
      });
      expect(login.statusCode).toBe(200);
      await login.body.dump();
      const setCookie = ([] as string[]).concat(login.headers['set-cookie'] ?? []);
      const session = setCookie.find((c) => c.startsWith('dg_session='))!;
      expect(session.split('; ').slice(1).sort()).toEqual([
        'HttpOnly',
        'Path=/',
        'SameSite=Strict',
        'Secure',
      ]);
    } finally {
      child.kill('SIGTERM');
      await dispatcher.close();
    }
    expect((await done).code).toBe(0);
  });

  it('removes a user', async () => {
    expect((await runCli(['users', 'remove', 'ada', '--db', db])).code).toBe(0);
    const again = await runCli(['users', 'remove', 'ada', '--db', db]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/no user named "ada"/);
    expect(JSON.parse((await runCli(['users', 'list', '--json', '--db', db])).stdout)).toEqual([]);
  });

  it('demo --serve ends serving the synced simulated tenant until Ctrl+C', async () => {
    const { child, done } = startCli([
      'demo',
      '--serve',
      '--port',
      '0',
      '--data-dir',
      join(dir, 'demo'),
      '--db',
      `sqlite:${join(dir, 'demo.db')}`,
      '--machines',
      '12',
      '--users',
      '20',
      '--groups',
      '4',
      '--cves',
      '10',
    ]);
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const match = /at (http:\/\/127\.0\.0\.1:\d+) \(no login: loopback only\)/.exec(out);
        if (match) resolve(match[1]!);
      });
      child.on('close', () => reject(new Error(`demo ended: ${out}`)));
    });
    const overview = (await (await fetch(`${url}/api/v1/overview`)).json()) as {
      classes: { class: string; count: number }[];
      instances: { name: string; lastSync: { status: string } }[];
    };
    expect(overview.classes.find((c) => c.class === 'HostAgent')?.count).toBe(12);
    expect(overview.instances.map((i) => [i.name, i.lastSync.status])).toEqual([
      ['demo', 'success'],
    ]);
    child.kill('SIGINT');
    expect((await done).code).toBe(0);
  });
});
