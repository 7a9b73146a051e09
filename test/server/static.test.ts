import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer, type RunningHttpServer } from '../../src/server/index.js';
import { openGraphStore, type GraphStore } from '../../src/store/index.js';
import { LocalSyncControl } from '../support/local-sync-control.js';

const INDEX =
  '<!doctype html><title>defender-graph</title><script type="module" src="/assets/app.js"></script>';

describe('the web UI files', () => {
  let dir: string;
  let store: GraphStore;
  let server: RunningHttpServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dg-web-'));
    mkdirSync(join(dir, 'web', 'assets'), { recursive: true });
    writeFileSync(join(dir, 'web', 'index.html'), INDEX);
    writeFileSync(join(dir, 'web', 'assets', 'app.js'), 'console.log(1);');
    store = await openGraphStore(`sqlite:${join(dir, 'graph.db')}`);
    server = await startHttpServer({
      store,
      syncControl: new LocalSyncControl({ instances: [], store }),
      host: '127.0.0.1',
      port: 0,
      version: '0.1.0',
      // As `--web-root` gives it: relative to the working directory.
      webRoot: relative(process.cwd(), join(dir, 'web')),
    });
  });
  afterAll(async () => {
    await server?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the built files and the single page for client-side routes', async () => {
    const asset = await fetch(`${server.url}/assets/app.js`);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(await asset.text()).toBe('console.log(1);');
    for (const path of [
      '/',
      '/entities/microsoft_defender_machine%3Aabc',
      '/query?q=FIND%20Host',
    ]) {
      const page = await fetch(`${server.url}${path}`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(await page.text()).toBe(INDEX);
    }
  });

  it('answers unknown API paths with the JSON error, never the page', async () => {
    const res = await fetch(`${server.url}/api/v1/nothing-here`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: { code: 'not_found', message: 'no route GET /api/v1/nothing-here' },
    });
  });
});
