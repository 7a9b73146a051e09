/**
 * The web UI in a real browser (Debian's Chromium through playwright-core) against `serve` on a
 * store synced from the emulator. Expected values come from the emulator's truth and its change
 * report. Each page is photographed into docs/ui/ for docs/ui.md.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Machine } from '../../src/emulator/tenant/types.js';
import { everyMachineRule } from '../support/alert-rules.js';
import { HAS_CHROMIUM, NO_CHROMIUM_MESSAGE, launchChromium } from '../support/chromium.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { runCli, writeConfig } from '../sync/cli.js';
import { addUser, startServe, syncOnce, type RunningServe } from './stack.js';

/** docs/ui.md's pictures are refreshed on request (DG_UI_SCREENSHOTS=docs/ui); else they go to a temp dir. */
const SCREENSHOTS = process.env.DG_UI_SCREENSHOTS;
const VIEWPORT = { width: 1366, height: 768 };
const HOSTILE_MACHINE = '<img src=x onerror=alert(1)>';
const HOSTILE_USER = '"><script>window.__xss=1</script>';
/**
 * Stricter than the server's own policy (no inline styles either): the UI must work under it, so a
 * deployment may tighten the header without breaking a page.
 */
const STRICT_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

if (!HAS_CHROMIUM) console.warn(NO_CHROMIUM_MESSAGE);

/** How the UI shows a timestamp: ISO 8601 to the second, a space for the T. */
function shownAsDate(iso: string): string {
  return new Date(iso)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

/** The emulator's collections take patches (how churn changes them); the test uses that seam. */
interface Patchable<T> {
  patch(index: number, changes: Partial<T>): void;
}

describe.skipIf(!HAS_CHROMIUM)('web UI in Chromium', () => {
  let dir: string;
  let shots: string;
  let db: string;
  let config: string;
  let emulator: TestEmulator;
  let serve: RunningServe;
  let browser: Browser;
  /** Anything the page would do on its own if a hostile string were interpreted. */
  const dialogs: string[] = [];
  const pageErrors: string[] = [];
  const cspViolations: string[] = [];

  /** A page under STRICT_CSP that records dialogs, script errors and policy violations. */
  async function open(path: string): Promise<Page> {
    const page = await browser.newPage({ viewport: VIEWPORT });
    page.setDefaultTimeout(15_000);
    await page.route('**/*', async (route) => {
      if (route.request().resourceType() !== 'document') return route.continue();
      const response = await route.fetch();
      const headers = { ...response.headers(), 'content-security-policy': STRICT_CSP };
      return route.fulfill({ response, headers });
    });
    await page.exposeFunction('reportCspViolation', (v: string) => cspViolations.push(v));
    await page.addInitScript(() =>
      document.addEventListener('securitypolicyviolation', (e) => {
        // Chromium's own editing code may wrap typed-over text in <span style>; the policy blocks
        // it and CodeMirror redraws the line from its state. Nothing of ours sets style attributes.
        const target = e.target instanceof Element ? e.target : null;
        if (e.violatedDirective === 'style-src-attr' && target?.closest('.query-editor')) return;
        (window as unknown as { reportCspViolation: (v: string) => void }).reportCspViolation(
          `${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber} on ${location.pathname}${location.search}`,
        );
      }),
    );
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(serve.url + path);
    return page;
  }

  async function shoot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: join(shots, `${name}.png`) });
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dg-web-'));
    shots = resolve(SCREENSHOTS ?? join(dir, 'screenshots'));
    mkdirSync(shots, { recursive: true });
    db = `sqlite:${join(dir, 'graph.db')}`;
    emulator = await startTestEmulator();
    (emulator.emulator.tenant.machines as unknown as Patchable<Machine>).patch(0, {
      computerDnsName: HOSTILE_MACHINE,
    });
    (emulator.emulator.tenant.users as unknown as Patchable<{ displayName: string }>).patch(0, {
      displayName: HOSTILE_USER,
    });
    config = writeConfig(dir, emulator.config);
    await syncOnce(config, db);
    serve = await startServe(['--db', db, '--config', config]);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    await emulator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('overview counts each entity type as the tenant has it', async () => {
    const truth = await emulator.truth();
    const page = await open('/');
    const byType = page.locator('section.card', { hasText: 'Entities by type' });
    const machineRow = byType.getByRole('row').filter({
      has: page.getByRole('link', { name: 'microsoft_defender_machine', exact: true }),
    });
    await expect
      .poll(() => machineRow.locator('td.num').textContent())
      .toBe(String(truth.counts.machines));
    const userRow = byType.getByRole('row').filter({
      has: page.getByRole('link', { name: 'microsoft_defender_user', exact: true }),
    });
    expect(await userRow.locator('td.num').textContent()).toBe(String(truth.counts.users));
    await shoot(page, 'overview');
    await page.close();
  });

  it('runs a query in the console, switches views, and underlines a syntax error', async () => {
    const truth = await emulator.truth();
    const page = await open('/query');
    const editor = page.locator('.cm-content');
    await editor.click();
    await page.keyboard.type('FIND microsoft_defender_machine');
    await page.keyboard.press('Control+Enter');
    await expect
      .poll(() => page.locator('[data-testid="result-table"] tbody tr').count())
      .toBe(truth.counts.machines);
    expect(new URL(page.url()).searchParams.get('q')).toBe('FIND microsoft_defender_machine');
    await shoot(page, 'query-table');

    await page.getByRole('tab', { name: 'graph' }).click();
    const canvas = page.getByTestId('graph-canvas');
    await expect.poll(() => canvas.getAttribute('data-nodes')).toBe(String(truth.counts.machines));
    await page.locator('.result-graph[data-layout="done"]').waitFor();
    await shoot(page, 'query-graph');
    await page.getByRole('tab', { name: 'tree' }).click();
    await expect
      .poll(() => page.locator('[data-testid="result-tree"] .tree-node').first().isVisible())
      .toBe(true);
    await page.getByRole('tab', { name: 'json' }).click();
    const json = JSON.parse((await page.locator('pre.json').textContent()) ?? '');
    expect(json.type).toBe('list');
    expect(json.data).toHaveLength(truth.counts.machines);

    // The URL holds the query and the view: a shared link opens the same result.
    await page.reload();
    await expect.poll(() => page.getByRole('tab', { selected: true }).textContent()).toBe('json');
    await page.getByRole('tab', { name: 'table' }).click();

    await editor.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('FIND microsoft_defender_machine WITH');
    await page.keyboard.press('Control+Enter');
    await expect.poll(() => page.locator('.cm-lintRange-error').count()).toBe(1);
    await expect.poll(() => page.getByRole('alert').count()).toBe(1);
    await shoot(page, 'query-error');

    // Back returns to the previous query and its results.
    await page.goBack();
    expect(new URL(page.url()).searchParams.get('q')).toBe('FIND microsoft_defender_machine');
    await expect
      .poll(() => page.locator('[data-testid="result-table"] tbody tr').count())
      .toBe(truth.counts.machines);
    await page.close();
  });

  it('opens the explorer on a machine from a query and from its key, and expands its findings', async () => {
    const truth = await emulator.truth({ lists: true });
    const machineId = truth.machines![1] as string;
    const cves = truth.machineCvePairs!.filter((p) => p.machineId === machineId).length;
    const page = await open(
      `/explorer?q=${encodeURIComponent(`FIND microsoft_defender_machine WITH id = '${machineId}'`)}`,
    );
    const canvas = page.getByTestId('graph-canvas');
    await page.locator('.canvas-area[data-layout="done"]').waitFor();
    expect(await canvas.getAttribute('data-nodes')).toBe('1');
    // One node is drawn at the centre of the canvas.
    const box = (await canvas.boundingBox())!;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    const expand = page.getByRole('button', { name: `→ IDENTIFIED (${cves})` });
    await expand.click();
    await expect.poll(() => canvas.getAttribute('data-nodes')).toBe(String(1 + cves));
    await shoot(page, 'explorer');

    // Started from the entity instead: it, its findings, its logon users, its device, the account.
    const logons = truth.machineLogonUserPairs!.filter((p) => p.machineId === machineId).length;
    await page.goto(
      `${serve.url}/explorer?entity=${encodeURIComponent(`microsoft_defender_machine:${machineId}`)}`,
    );
    await page.locator('.canvas-area[data-layout="done"]').waitFor();
    expect(await canvas.getAttribute('data-nodes')).toBe(String(1 + cves + logons + 2));
    await expect
      .poll(async () => (await page.locator('.expand-list button').allTextContents()).sort())
      .toEqual(
        [`→ IDENTIFIED (${cves})`, `→ HAS (${logons})`, '→ MANAGES (1)', '← HAS (1)'].sort(),
      );
    await page.close();
  });

  it('after a churn round and "Run now", shows the sync, its changes and a machine diff', async () => {
    const machines = emulator.emulator.tenant.machines;
    const snapshot = () => new Map([...machines].map((m) => [m.id, m]));
    const before = snapshot();
    // Churn until some machine changed; the sync then sees every round's changes at once.
    const updated = new Set<string>();
    const gone = new Set<string>();
    while (updated.size === 0) {
      const report = await emulator.advance();
      report.machines.updated.forEach((u) => updated.add(u.id));
      report.machines.onboarded.forEach((id) => gone.add(id));
      report.machines.offboarded.forEach((id) => gone.add(id));
    }
    for (const id of gone) updated.delete(id);
    const after = snapshot();
    const changedId = [...updated][0] as string;
    const field = (['riskScore', 'exposureLevel', 'healthStatus'] as const).find(
      (f) => before.get(changedId)?.[f] !== after.get(changedId)?.[f],
    );

    const instances = await open('/instances');
    await instances.getByRole('button', { name: 'Run now' }).click();
    const progress = instances
      .getByTestId(`instance-${emulator.config.name}`)
      .getByTestId('sync-detail');
    await expect
      .poll(() => progress.getAttribute('data-status'), { timeout: 30_000 })
      .toBe('success');
    await shoot(instances, 'instances');
    await instances.close();

    const changes = await open('/changes?sync=2&kind=updated&type=microsoft_defender_machine');
    await expect
      .poll(() => changes.locator('[data-testid="changes"] tbody tr').count())
      .toBe(updated.size);
    await shoot(changes, 'changes');
    // The first sync created everything: 100 changes a page (the API's default), more on request.
    await changes.goto(`${serve.url}/changes?sync=1&kind=created`);
    const rows = changes.locator('[data-testid="changes"] tbody tr');
    await expect.poll(() => rows.count()).toBe(100);
    await changes.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => rows.count()).toBe(200);
    await changes.close();

    const entity = await open(
      `/entities/${encodeURIComponent(`microsoft_defender_machine:${changedId}`)}?tab=history`,
    );
    await expect.poll(() => entity.locator('[data-testid="versions"] tbody tr').count()).toBe(2);
    // lastSeen alone may have changed: it is stored as lastSeenOn, epoch milliseconds.
    const [property, left, right] = field
      ? [field, before.get(changedId)![field], after.get(changedId)![field]]
      : [
          'lastSeenOn',
          shownAsDate(before.get(changedId)!.lastSeen),
          shownAsDate(after.get(changedId)!.lastSeen),
        ];
    const row = entity.locator('[data-testid="version-diff"] tr[data-kind="changed"]', {
      has: entity.getByRole('rowheader', { name: property, exact: true }),
    });
    expect(await row.locator('td').allTextContents()).toEqual([left, right]);
    await shoot(entity, 'entity-history');
    await entity.close();
  });

  it('renders hostile entity names as text and runs none of them', async () => {
    const page = await open(
      `/query?q=${encodeURIComponent("FIND (microsoft_defender_machine | microsoft_defender_user) WITH displayName ~= '<'")}`,
    );
    await expect.poll(() => page.locator('[data-testid="result-table"] tbody tr').count()).toBe(2);
    const text = await page.locator('[data-testid="result-table"]').textContent();
    expect(text).toContain(HOSTILE_MACHINE);
    expect(text).toContain(HOSTILE_USER);
    await page
      .locator('[data-testid="result-table"] tr', { hasText: HOSTILE_MACHINE })
      .getByRole('link')
      .click();
    await expect.poll(() => page.locator('h2').textContent()).toBe(HOSTILE_MACHINE);
    await page.getByRole('tab', { name: 'raw' }).click();
    await shoot(page, 'entity-hostile');
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(
      await page.evaluate(() => (window as unknown as { __xss?: number }).__xss),
    ).toBeUndefined();
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
    // Every page opened so far ran under STRICT_CSP without tripping it.
    expect(cspViolations).toEqual([]);
    await page.close();
  });

  it('lists an open alert, shows the rows that triggered it, and acknowledges it with a note', async () => {
    const truth = await emulator.truth();
    const rules = join(dir, 'ui-rules.yaml');
    writeFileSync(rules, everyMachineRule('ui-every-machine'));
    for (const args of [
      ['rules', 'import', rules],
      ['rules', 'run', 'ui-every-machine', '--config', config],
    ]) {
      const result = await runCli([...args, '--db', db], { DEFENDER_GRAPH_DB: '' });
      expect(result.code, result.stderr).toBe(0);
    }

    const page = await open('/alerts');
    const row = page
      .locator('[data-testid="alerts"] tbody tr')
      .filter({ has: page.getByRole('cell', { name: 'ui-every-machine', exact: true }) });
    // serve evaluates the new rule on its own schedule too: a second evaluation makes it ongoing.
    const OPEN = /^(new|ongoing)$/;
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.locator('td').nth(3).textContent()).toMatch(OPEN);
    await row.getByRole('link').click();
    const detail = page.getByTestId('alert-detail');
    await expect.poll(() => detail.getAttribute('data-status')).toMatch(OPEN);
    const rows = page.locator('[data-testid="alert-rows-machines"] tbody tr');
    await expect.poll(() => rows.count()).toBe(truth.counts.machines);

    const acknowledge = page.getByRole('button', { name: 'Acknowledge' });
    expect(await acknowledge.isDisabled()).toBe(true);
    await page.getByLabel('note').fill('fleet reviewed by the desk');
    await acknowledge.click();
    await expect.poll(() => detail.getAttribute('data-status')).toBe('acknowledged');
    expect(await page.getByTestId('alert-note').textContent()).toMatch(
      /^acknowledged by local .+: fleet reviewed by the desk$/,
    );
    await shoot(page, 'alert-detail');

    // The list reads the stored status back.
    await page.goto(`${serve.url}/alerts`);
    await expect.poll(() => row.locator('td').nth(3).textContent()).toBe('acknowledged');
    await shoot(page, 'alerts');
    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
    await page.close();
  });

  it('on a non-loopback bind refuses to start without users, then wants a session', async () => {
    const refused = await runCli(['serve', '--host', '0.0.0.0', '--port', '0', '--db', db], {
      DEFENDER_GRAPH_DB: '',
    });
    expect(refused.code).toBe(2);

    await addUser(db, 'ada', 'admin', 'correct horse battery');
    const open0 = await startServe(['--host', '0.0.0.0', '--db', db]);
    const url = open0.url.replace('0.0.0.0', '127.0.0.1');
    try {
      const anonymous = await fetch(`${url}/api/v1/overview`);
      expect(anonymous.status).toBe(401);
      const page = await browser.newPage({ viewport: VIEWPORT });
      await page.goto(`${url}/query`);
      await page.waitForURL(/\/login\?next=%2Fquery$/);
      await page.getByLabel('User').fill('ada');
      await page.getByLabel('Password').fill('wrong password!!');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect.poll(() => page.getByRole('alert').count()).toBe(1);
      await shoot(page, 'login');
      await page.getByLabel('Password').fill('correct horse battery');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(/\/query$/);
      expect(await page.locator('.topbar').textContent()).toContain('ada (admin)');
      await page.close();
    } finally {
      await open0.stop();
    }
  });
});
