import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { getAlert, listAlerts } from '../../src/alerts/index.js';
import { monitoringSchema } from '../../src/config/instance-config.js';
import type { LoadedConfig } from '../../src/config/load.js';
import { startService, type Service } from '../../src/scheduler/index.js';
import { syncInstance } from '../../src/sync/run-sync.js';
import { testClock } from '../support/clock.js';
import { openGraphStore, type GraphStore } from '../../src/store/index.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import {
  startHttpsReceiver,
  startSmtpReceiver,
  type HttpsReceiver,
  type SmtpReceiver,
  verifySignature,
} from '../support/receivers.js';
import { BACKENDS } from '../store/backends.js';

const THIRTY_MINUTES = 30 * 60_000;
const SECRET = 'e2e-signing-key';

const RULES = `
- name: new-machines
  description: Machines that joined Defender.
  pollingInterval: DISABLED
  triggerActionsOnNewEntitiesOnly: true
  question:
    queries:
      - { name: machines, query: FIND microsoft_defender_machine }
  operations:
    - when: { type: FILTER, condition: "{{queries.machines.total > 0}}" }
      actions:
        - { type: SET_PROPERTY, targetProperty: alertLevel, targetValue: LOW }
        - { type: CREATE_ALERT }
        - type: WEBHOOK
          url: "\${E2E_HOOK}"
          body: { rule: new-machines, ids: "{{queries.machines.data | mapProperty('id')}}" }
        - type: SEND_EMAIL
          recipients: [soc@example.com]
          body: "{{queries.machines.data | mapProperty('displayName') | join('<br>')}}"
- name: accounts-disabled
  description: Directory accounts disabled by the last sync.
  alertLevel: HIGH
  change:
    on: [updated]
    _type: microsoft_defender_user
    changedProperties: [active]
    where: { active: false }
  operations:
    - when: { type: FILTER, condition: ["AND", ["queries.changes.total", ">", 0]] }
      actions:
        - { type: SET_PROPERTY, targetProperty: alertLevel, targetValue: HIGH }
        - { type: CREATE_ALERT }
        - type: WEBHOOK
          url: "\${E2E_HOOK}"
          body: { rule: accounts-disabled, ids: "{{queries.changes.data | mapProperty('id')}}" }
`;

describe.each(BACKENDS)('serve end to end on the emulator ($name)', (backend) => {
  let emulator: TestEmulator;
  let db: { url: string; drop: () => Promise<void> };
  let store: GraphStore;
  let hook: HttpsReceiver;
  let smtp: SmtpReceiver;
  let dir: string;
  let service: Service;

  beforeAll(async () => {
    emulator = await startTestEmulator({ machines: 12, users: 25, groups: 4 });
    db = await backend.create('e2e_monitor');
    store = await openGraphStore(db.url);
    hook = await startHttpsReceiver(verifySignature(SECRET));
    smtp = await startSmtpReceiver({ user: 'u', pass: 'p' });
    dir = mkdtempSync(join(tmpdir(), 'dg-e2e-rules-'));
    writeFileSync(join(dir, 'rules.yaml'), RULES);
    process.env.E2E_HOOK = `${hook.url}/alerts`;
  });

  afterAll(async () => {
    await hook?.close();
    await smtp?.close();
    await store?.close();
    await db?.drop();
    await emulator?.close();
    rmSync(dir, { recursive: true, force: true });
    delete process.env.E2E_HOOK;
  });

  beforeEach(() => void vi.useFakeTimers({ toFake: ['Date'], now: Date.now() }));
  afterEach(() => void vi.useRealTimers());

  /** One scheduled pass and everything it started: sync, rule evaluation, delivery. */
  async function pass(): Promise<void> {
    await service.scheduler.tick();
    await service.scheduler.idle();
  }

  /** Instance "lab" on the emulator, the test's rules, notifications to the local receivers. */
  const labConfig = (pollingInterval: 'THIRTY_MINUTES' | 'DISABLED'): LoadedConfig => ({
    instances: [{ ...emulator.config, name: 'lab', pollingInterval }],
    warnings: [],
    monitoring: {
      ...monitoringSchema.parse({}),
      defenderRules: false,
      rulesFolder: dir,
      webhookSecret: SECRET,
      caFile: hook.caFile,
      email: smtp.emailConfig(),
    },
  });

  const bodies = (from: number) =>
    hook.requests.slice(from).map((r) => JSON.parse(r.body) as { rule: string; ids: string[] });

  it('syncs on schedule, fires change and query rules, notifies exactly once per new fact, and resolves', async () => {
    const { clock, advance } = testClock();
    const config = labConfig('THIRTY_MINUTES');
    service = await startService({ store, config, clock, pollMs: 60_000 });
    try {
      const first = await emulator.truth();
      await pass();
      expect(bodies(0)).toEqual([{ rule: 'new-machines', ids: expect.any(Array) }]);
      expect([...bodies(0)[0]!.ids].sort()).toEqual([...first.machines!].sort());
      expect(smtp.mails).toHaveLength(1);
      expect(smtp.mails[0]!.to).toEqual(['soc@example.com']);

      // Not due yet: nothing happens.
      advance(THIRTY_MINUTES - 60_000);
      await pass();
      expect(hook.requests).toHaveLength(1);

      const report = await emulator.advance();
      expect(report.users.disabled.length).toBeGreaterThan(0);
      expect(report.machines.onboarded.length).toBeGreaterThan(0);
      advance(60_000);
      const before = hook.requests.length;
      await pass();
      const second = bodies(before);
      expect(second.map((b) => b.rule).sort()).toEqual(['accounts-disabled', 'new-machines']);
      expect([...second.find((b) => b.rule === 'accounts-disabled')!.ids].sort()).toEqual(
        [...report.users.disabled].sort(),
      );
      expect([...second.find((b) => b.rule === 'new-machines')!.ids].sort()).toEqual(
        [...report.machines.onboarded].sort(),
      );
      expect(smtp.mails).toHaveLength(2);
      expect(hook.requests.every((r) => r.status === 200)).toBe(true);

      // An unchanged sync: nothing new is sent, the query alert stays open, the change alert resolves.
      const [changeAlert] = await listAlerts(store, { rule: 'accounts-disabled' });
      advance(THIRTY_MINUTES);
      const quietFrom = hook.requests.length;
      await pass();
      expect(hook.requests).toHaveLength(quietFrom);
      expect(smtp.mails).toHaveLength(2);
      expect((await getAlert(store, changeAlert!.id)).status).toBe('resolved');
      expect((await listAlerts(store, { rule: 'new-machines' })).map((a) => a.status)).toEqual([
        'ongoing',
      ]);
      const syncs = await store.listSyncs({});
      expect(syncs.map((s) => s.status)).toEqual(['success', 'success', 'success']);
    } finally {
      await service.stop(5_000);
    }
  });

  it('evaluates at start the last sync a killed service committed but never evaluated', async () => {
    const config = labConfig('DISABLED');
    const report = await emulator.advance();
    expect(report.users.disabled.length).toBeGreaterThan(0);
    // As a service killed right after the commit leaves it: committed, no rule evaluated.
    const record = await syncInstance({ instance: config.instances[0]!, store });
    expect(record.status).toBe('success');
    const from = hook.requests.length;
    service = await startService({ store, config, pollMs: 60_000 });
    try {
      const sent = bodies(from).filter((b) => b.rule === 'accounts-disabled');
      expect(sent).toHaveLength(1);
      expect([...sent[0]!.ids].sort()).toEqual([...report.users.disabled].sort());
    } finally {
      await service.stop(5_000);
    }
    // Started again: that sync is evaluated already, nothing is sent twice.
    const again = hook.requests.length;
    service = await startService({ store, config, pollMs: 60_000 });
    await service.stop(5_000);
    expect(hook.requests).toHaveLength(again);
  });
});
