import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/load.js';
import { createMicrosoftClients } from '../../src/microsoft/index.js';
import { proxyFromEnvironment } from '../../src/config/proxy.js';
import { startConnectProxy, type ConnectProxy } from '../support/connect-proxy.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { runCli, writeConfig } from '../sync/cli.js';

describe('proxy settings from the environment', () => {
  it('reads the lower-case form first, and always exempts the instance metadata service', () => {
    expect(
      proxyFromEnvironment({
        https_proxy: 'http://lower:3128',
        HTTPS_PROXY: 'http://upper:3128',
        HTTP_PROXY: 'http://plain:3128',
        NO_PROXY: '.corp.example, localhost',
      }),
    ).toEqual({
      httpProxy: 'http://plain:3128',
      httpsProxy: 'http://lower:3128',
      noProxy: '.corp.example, localhost,169.254.169.254',
    });
    expect(proxyFromEnvironment({})).toEqual({
      httpProxy: '',
      httpsProxy: '',
      noProxy: '169.254.169.254',
    });
    expect(proxyFromEnvironment({ no_proxy: '*' }).noProxy).toBe('*');
  });

  it('names the variable that is not a URL', () => {
    expect(() => proxyFromEnvironment({ HTTPS_PROXY: 'proxy.corp:3128' })).toThrow(
      new ConfigError(
        'environment HTTPS_PROXY: not an http:// or https:// URL (expected http://host:port or http://user:password@host:port)',
      ),
    );
  });
});

describe('every Microsoft call through a real HTTP CONNECT proxy', () => {
  let te: TestEmulator;
  let proxy: ConnectProxy;
  let emulatorHost: string;
  beforeAll(async () => {
    te = await startTestEmulator({ seed: 31 });
    emulatorHost = new URL(te.emulator.url).host;
  });
  beforeEach(async () => {
    await proxy?.close();
    proxy = await startConnectProxy();
  });
  afterAll(async () => {
    await proxy?.close();
    await te?.close();
  });

  it('tunnels the token requests and the API calls, with the emulator CA still verified', async () => {
    const clients = createMicrosoftClients(te.config, {
      env: { https_proxy: proxy.url },
      sleep: async () => undefined,
    });
    try {
      await clients.graphTokens.getToken();
      await clients.defenderTokens.getToken();
      const tokenTunnels = proxy.connects.length;
      expect(tokenTunnels).toBeGreaterThanOrEqual(1);
      // The tokens are cached now: a tunnel opened after this is the APIs' own.
      proxy.dropTunnels();
      expect(await clients.graph.probe('organization')).toBe('probed');
      expect(await clients.defender.probe('machines')).toBe('probed');
      expect(proxy.connects.length).toBeGreaterThan(tokenTunnels);
      expect(new Set(proxy.connects)).toEqual(new Set([emulatorHost]));
    } finally {
      await clients.close();
    }
  });

  it('goes direct to the hosts NO_PROXY names', async () => {
    const clients = createMicrosoftClients(te.config, {
      env: { HTTPS_PROXY: proxy.url, NO_PROXY: 'example.org,127.0.0.1' },
    });
    try {
      expect(await clients.graph.probe('organization')).toBe('probed');
      expect(await clients.defender.probe('machines')).toBe('probed');
      expect(proxy.connects).toEqual([]);
    } finally {
      await clients.close();
    }
  });

  it('sends the credentials in the proxy URL as Basic proxy authorization', async () => {
    const withCredentials = proxy.url.replace('http://', 'http://scanner:p%40ss@');
    const clients = createMicrosoftClients(te.config, { env: { HTTPS_PROXY: withCredentials } });
    try {
      expect(await clients.graph.probe('organization')).toBe('probed');
      expect(proxy.authorizations.length).toBe(proxy.connects.length);
      expect(new Set(proxy.authorizations)).toEqual(
        new Set([`Basic ${Buffer.from('scanner:p@ss').toString('base64')}`]),
      );
    } finally {
      await clients.close();
    }
  });

  it('the CLI reads HTTPS_PROXY from its environment, and a malformed one stops before the store (exit 2)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dg-proxy-'));
    try {
      const config = writeConfig(dir, te.config);
      const result = await runCli(['validate', '--config', config], { HTTPS_PROXY: proxy.url });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(proxy.connects.length).toBeGreaterThanOrEqual(1);
      expect(new Set(proxy.connects)).toEqual(new Set([emulatorHost]));
      const store = join(dir, 'graph.db');
      const bad = await runCli(['sync', '--config', config, '--db', `sqlite:${store}`], {
        HTTPS_PROXY: 'proxy.corp:3128',
      });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toBe(
        'error: environment HTTPS_PROXY: not an http:// or https:// URL (expected http://host:port or http://user:password@host:port)\n',
      );
      expect(existsSync(store)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
