/**
 * The alerts, rules and people routes over real HTTP on both backends: alerts raised by a rule
 * evaluated after a sync of the emulator, listed, read with their rows, acknowledged and dismissed
 * by an admin (a viewer is refused), rules enabled and disabled, and one key's people mapping.
 * Every answer is checked against the OpenAPI document; none may carry a delivery secret.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  evaluateAfterSync,
  importRules,
  parseRuleText,
  type MonitorOptions,
} from '../../src/alerts/index.js';
import type { GraphUser, Machine } from '../../src/emulator/tenant/types.js';
import { newApiToken } from '../../src/server/auth/api-tokens.js';
import { hashPassword } from '../../src/server/auth/passwords.js';
import { startHttpServer, type RunningHttpServer } from '../../src/server/index.js';
import { openGraphStore, type GraphStore } from '../../src/store/index.js';
import { syncInstance } from '../../src/sync/run-sync.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { everyMachineRule } from '../support/alert-rules.js';
import { LocalSyncControl } from '../support/local-sync-control.js';
import { BACKENDS } from '../store/backends.js';
import { keys } from '../sync/expected-changes.js';
import { ApiClient } from './client.js';

const HOOK_SECRET = 'hook-secret-7f3a9c';
const RULES = `${everyMachineRule('every-machine', [
  `{ type: WEBHOOK, endpoint: "https://hooks.example/${HOOK_SECRET}", headers: { Authorization: "Bearer ${HOOK_SECRET}" }, body: { count: "{{queries.machines.total}}" } }`,
])}
- name: every-group
  question:
    queries:
      - query: FIND microsoft_defender_user_group
  operations:
    - when: { type: FILTER, condition: "{{queries.query0.total > 0}}" }
      actions:
        - { type: SET_PROPERTY, targetProperty: alertLevel, targetValue: LOW }
        - { type: CREATE_ALERT }
`;

interface Alert {
  id: number;
  ruleName: string;
  level: string;
  status: string;
  note?: string;
  notedBy?: string;
}

interface Rule {
  id: string;
  name: string;
  enabled: boolean;
  definition: { operations: { actions: Record<string, unknown>[] }[] };
}

describe.each(BACKENDS)('alerts, rules and people routes on $name', (backend) => {
  let emulator: TestEmulator;
  let db: { url: string; drop: () => Promise<void> };
  let store: GraphStore;
  let control: LocalSyncControl;
  let server: RunningHttpServer;
  let admin: ApiClient;
  let viewer: ApiClient;
  let options: MonitorOptions;
  const alertIds: Record<string, number> = {};

  const syncAndEvaluate = async () =>
    evaluateAfterSync(await syncInstance({ instance: emulator.config, store }), options);

  beforeAll(async () => {
    emulator = await startTestEmulator({ machines: 8, users: 20, groups: 3 });
    db = await backend.create('alerts_api');
    store = await openGraphStore(db.url);
    options = { store, monitoring: { params: {} }, now: () => Date.now() };
    await importRules(store, parseRuleText(RULES, 'rules.yaml'), Date.now());
    const evaluated = await syncAndEvaluate();
    for (const e of evaluated) alertIds[e.ruleName] = e.alertId!;
    for (const [name, role] of [
      ['ada', 'admin'],
      ['val', 'viewer'],
    ] as const)
      await store.accounts.addUser({
        name,
        role,
        passwordHash: await hashPassword(`${name}-password-123`),
        createdOn: Date.now(),
      });
    const tokenOf = async (userName: string) => {
      const token = newApiToken();
      await store.accounts.addToken(
        { id: token.id, label: 'test', userName, createdOn: Date.now() },
        token.hash,
      );
      return token.token;
    };
    control = new LocalSyncControl({ instances: [emulator.config], store });
    server = await startHttpServer({
      store,
      syncControl: control,
      host: '127.0.0.1',
      port: 0,
      version: '0.1.0',
    });
    admin = new ApiClient(server.url, { authorization: `Bearer ${await tokenOf('ada')}` });
    viewer = new ApiClient(server.url, { authorization: `Bearer ${await tokenOf('val')}` });
  });

  afterAll(async () => {
    expect([...admin.seen, ...viewer.seen].filter((t) => t.includes(HOOK_SECRET))).toEqual([]);
    await server?.close();
    await control?.close();
    await store?.close();
    await db?.drop();
    await emulator?.close();
  });

  it('lists the open alerts the rules raised, filtered by level, rule and status', async () => {
    const all = await viewer.get<{ alerts: Alert[] }>('/api/v1/alerts');
    expect(all.status).toBe(200);
    const newestFirst = Object.entries(alertIds).sort(([, a], [, b]) => b - a);
    expect(all.body.alerts.map((a) => [a.id, a.ruleName, a.status])).toEqual(
      newestFirst.map(([name, id]) => [id, name, 'new']),
    );
    expect(Object.fromEntries(all.body.alerts.map((a) => [a.ruleName, a.level]))).toEqual({
      'every-group': 'LOW',
      'every-machine': 'HIGH',
    });
    const high = await viewer.get<{ alerts: Alert[] }>('/api/v1/alerts', {
      query: { level: 'high' },
    });
    expect(high.body.alerts.map((a) => a.id)).toEqual([alertIds['every-machine']]);
    const byRule = await viewer.get<{ alerts: Alert[] }>('/api/v1/alerts', {
      query: { rule: 'every-group', status: 'new' },
    });
    expect(byRule.body.alerts.map((a) => a.id)).toEqual([alertIds['every-group']]);
    const bad = await viewer.get<{ error: { code: string; message: string } }>('/api/v1/alerts', {
      query: { status: 'sleeping' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('bad_request');
    expect(bad.body.error.message).toMatch(/^querystring\.status: /);
  });

  it('shows an alert with the rows that triggered it, and 404 for an unknown id', async () => {
    const { status, body } = await viewer.get<{
      rows: Record<string, { entity: { _key: string } }[]>;
      resultSize: number;
      evaluations: { trigger: string; conditionMet: boolean }[];
    }>('/api/v1/alerts/{id}', { params: { id: alertIds['every-machine']! } });
    expect(status).toBe(200);
    const machines = [...emulator.emulator.tenant.machines] as Machine[];
    const expected = machines.map((m) => keys.machine(m.id)).sort();
    expect(Object.keys(body.rows)).toEqual(['machines']);
    expect(body.rows.machines!.map((r) => r.entity._key).sort()).toEqual(expected);
    expect(body.resultSize).toBe(expected.length);
    expect(body.evaluations.map((e) => [e.trigger, e.conditionMet])).toEqual([['sync', true]]);

    const missing = await viewer.get<{ error: { code: string } }>('/api/v1/alerts/{id}', {
      params: { id: 999_999 },
    });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
  });

  it('lets an admin acknowledge and dismiss with a note; a viewer is refused', async () => {
    const id = alertIds['every-machine']!;
    const refused = await viewer.post<{ error: { code: string } }>(
      '/api/v1/alerts/{id}/acknowledge',
      { params: { id }, body: { note: 'seen' } },
    );
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');

    const noNote = await admin.post<{ error: { message: string } }>(
      '/api/v1/alerts/{id}/acknowledge',
      { params: { id }, body: { note: '  ' } },
    );
    expect(noNote.status).toBe(400);
    expect(noNote.body.error.message).toBe('body.note: a note is required');

    const acked = await admin.post<Alert>('/api/v1/alerts/{id}/acknowledge', {
      params: { id },
      body: { note: 'known fleet' },
    });
    expect(acked.status).toBe(200);
    expect(acked.body).toMatchObject({
      id,
      status: 'acknowledged',
      note: 'known fleet',
      notedBy: 'ada',
    });
    const listed = await viewer.get<{ alerts: Alert[] }>('/api/v1/alerts', {
      query: { status: 'acknowledged' },
    });
    expect(listed.body.alerts.map((a) => a.id)).toEqual([id]);

    const dismissed = await admin.post<Alert>('/api/v1/alerts/{id}/dismiss', {
      params: { id: alertIds['every-group']! },
      body: { note: 'groups are fine' },
    });
    expect(dismissed.body).toMatchObject({ status: 'dismissed', note: 'groups are fine' });

    const unknown = await admin.post<{ error: { code: string } }>(
      '/api/v1/alerts/{id}/acknowledge',
      { params: { id: 999_999 }, body: { note: 'x' } },
    );
    expect(unknown.status).toBe(404);
  });

  it('wants the CSRF token when the admin acknowledges through a session', async () => {
    const browser = new ApiClient(server.url);
    await browser.fetchCsrf();
    const login = await browser.post('/api/v1/auth/login', {
      body: { username: 'ada', password: 'ada-password-123' },
    });
    expect(login.status).toBe(200);
    const id = alertIds['every-machine']!;
    const noToken = await browser.post<{ error: { code: string } }>(
      '/api/v1/alerts/{id}/acknowledge',
      { params: { id }, body: { note: 'again' }, headers: { 'x-csrf-token': '' } },
    );
    expect(noToken.status).toBe(403);
    expect(noToken.body.error.code).toBe('csrf');
    const ok = await browser.post<Alert>('/api/v1/alerts/{id}/acknowledge', {
      params: { id },
      body: { note: 'again' },
    });
    expect(ok.body).toMatchObject({ status: 'acknowledged', note: 'again' });
    expect(browser.seen.filter((t) => t.includes(HOOK_SECRET))).toEqual([]);
  });

  it('lists rules without their delivery secrets and enables or disables them (admin)', async () => {
    const rules = await viewer.get<{ rules: Rule[] }>('/api/v1/rules');
    expect(rules.body.rules.map((r) => [r.name, r.enabled])).toEqual([
      ['every-group', true],
      ['every-machine', true],
    ]);
    const machineRule = rules.body.rules.find((r) => r.name === 'every-machine')!;
    expect(machineRule.definition.operations[0]!.actions).toEqual([
      { type: 'SET_PROPERTY', targetProperty: 'alertLevel', targetValue: 'HIGH' },
      { type: 'CREATE_ALERT' },
      { type: 'WEBHOOK' },
    ]);

    const refused = await viewer.post('/api/v1/rules/{id}/enabled', {
      params: { id: machineRule.id },
      body: { enabled: false },
    });
    expect(refused.status).toBe(403);
    const disabled = await admin.post<Rule>('/api/v1/rules/{id}/enabled', {
      params: { id: machineRule.id },
      body: { enabled: false },
    });
    expect(disabled.status).toBe(200);
    expect(disabled.body).toMatchObject({ id: machineRule.id, enabled: false });
    // A disabled rule is not evaluated after the next sync; the other one is.
    expect((await syncAndEvaluate()).map((e) => e.ruleName)).toEqual(['every-group']);
    const enabled = await admin.post<Rule>('/api/v1/rules/{id}/enabled', {
      params: { id: 'every-machine' },
      body: { enabled: true },
    });
    expect(enabled.body.enabled).toBe(true);
    const missing = await admin.post<{ error: { code: string } }>('/api/v1/rules/{id}/enabled', {
      params: { id: 'no-such-rule' },
      body: { enabled: true },
    });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
  });

  it('explains how a directory user maps to a person, as `people explain` does', async () => {
    const users = [...emulator.emulator.tenant.users] as GraphUser[];
    const human = users.find(
      (u) =>
        u.userType === 'Member' &&
        u.employeeType !== 'Service' &&
        u.employeeId !== null &&
        !u.userPrincipalName.startsWith('shared.'),
    )!;
    const key = `microsoft_defender_user:${human.id}`;
    const { status, body } = await viewer.get<{
      kind: string;
      key: string;
      committedLink: { person: string; matchedOn: string };
    }>('/api/v1/people/explain/{key}', { params: { key } });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      kind: 'account',
      key,
      committedLink: { person: `employee:${human.employeeId}`, matchedOn: 'employee-id' },
    });
    const missing = await viewer.get<{ error: { code: string } }>('/api/v1/people/explain/{key}', {
      params: { key: 'nothing:here' },
    });
    expect(missing.status).toBe(404);
    const otherInstance = await viewer.get<{ error: { code: string } }>(
      '/api/v1/people/explain/{key}',
      { params: { key }, query: { instance: 'elsewhere' } },
    );
    expect(otherInstance.status).toBe(404);
  });
});
