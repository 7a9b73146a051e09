import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monitoringSchema, type MonitoringConfig } from '../../src/config/instance-config.js';
import { Deliverer } from '../../src/notify/deliver.js';
import { enqueue } from '../../src/notify/outbox.js';
import { createMetrics } from '../../src/server/index.js';
import type { OutgoingNotification } from '../../src/notify/types.js';
import { openGraphStore, type GraphStore, type SqlConnection } from '../../src/store/index.js';
import { BACKENDS } from '../store/backends.js';
import {
  startHttpsReceiver,
  startSmtpReceiver,
  type HttpsReceiver,
  type SmtpReceiver,
  verifySignature,
} from '../support/receivers.js';

const SECRET = 'hmac-key-for-tests';
const HOOK_TOKEN = 'tok-4f1c9e-never-stored';
const SMTP = { user: 'alerts', pass: 'smtp-pass-never-logged' };
const DAY = 86_400_000;

const alert = {
  id: 7,
  ruleId: 'r1',
  ruleName: 'critical-cves',
  description: 'Critical CVEs on high-risk machines',
  level: 'CRITICAL',
  status: 'new',
  resultSize: 3,
  webLink: 'https://graph.example.com/alerts/7',
};

describe.each(BACKENDS)('notification delivery on $name', (backend) => {
  let db: { url: string; drop: () => Promise<void> };
  let store: GraphStore;
  let state: SqlConnection;
  let hook: HttpsReceiver;
  let slack: HttpsReceiver;
  let smtp: SmtpReceiver;
  let clock = Date.UTC(2026, 2, 4, 10, 0, 0);
  let sequence = 0;
  const env = { DG_HOOK: '', DG_SLACK: '' };

  beforeAll(async () => {
    db = await backend.create('delivery');
    store = await openGraphStore(db.url);
    state = await store.state();
    hook = await startHttpsReceiver(verifySignature(SECRET));
    slack = await startHttpsReceiver((r) => {
      const payload = JSON.parse(r.body) as { text?: string; blocks?: { type: string }[] };
      if (typeof payload.text !== 'string' || !Array.isArray(payload.blocks))
        return 'not Block Kit';
      if (payload.blocks[0]?.type !== 'header') return 'first block must be a header';
      return undefined;
    });
    smtp = await startSmtpReceiver(SMTP);
    env.DG_HOOK = `${hook.url}/hook?token=${HOOK_TOKEN}`;
    env.DG_SLACK = `${slack.url}/services/T000/B000/XXXX`;
  });

  afterAll(async () => {
    await hook?.close();
    await slack?.close();
    await smtp?.close();
    await store?.close();
    await db?.drop();
  });

  function monitoring(overrides: Partial<MonitoringConfig> = {}): MonitoringConfig {
    return {
      ...monitoringSchema.parse({}),
      webhookSecret: SECRET,
      caFile: hook.caFile,
      email: smtp.emailConfig(),
      delivery: { maxAttempts: 3, backoffMs: 1000 },
      ...overrides,
    };
  }

  function deliverer(config = monitoring()): Deliverer {
    return new Deliverer({ db: state, monitoring: config, env, worker: 'test', now: () => clock });
  }

  async function queue(notification: OutgoingNotification): Promise<number> {
    const key = `test:${++sequence}`;
    await enqueue(state, [{ dedupeKey: key, ruleId: 'r1', alertId: 7, notification }], clock);
    const [row] = await state.all<{ id: number | string }>(
      'SELECT id FROM outbox WHERE dedupe_key = ?',
      [key],
    );
    return Number(row!.id);
  }

  async function row(id: number) {
    const [r] = await state.all<{
      status: string;
      attempts: number | string;
      last_error: string | null;
    }>('SELECT status, attempts, last_error FROM outbox WHERE id = ?', [id]);
    const attempts = await state.all<{ attempt: number | string; outcome: string }>(
      'SELECT attempt, outcome FROM delivery_attempts WHERE outbox_id = ? ORDER BY attempt',
      [id],
    );
    return {
      status: r!.status,
      attempts: Number(r!.attempts),
      lastError: r!.last_error,
      history: attempts.map((a) => `${Number(a.attempt)}:${a.outcome}`),
    };
  }

  const webhook = (body: unknown): OutgoingNotification => ({
    channel: 'WEBHOOK',
    fields: { url: '${DG_HOOK}', method: 'POST', body },
    alert,
  });

  it('signs a webhook with HMAC-SHA256, retries a 500 with backoff and delivers it once', async () => {
    const before = hook.requests.length;
    const id = await queue(webhook({ machines: ['web-01', 'web-02'] }));
    const sender = deliverer();
    hook.answer(500);
    expect(await sender.deliverDue()).toEqual({ delivered: 0, retried: 1, dead: 0 });
    clock += 500;
    expect(await sender.deliverDue()).toEqual({ delivered: 0, retried: 0, dead: 0 });
    clock += 600;
    expect(await sender.deliverDue()).toEqual({ delivered: 0, retried: 1, dead: 0 });
    hook.answer(200);
    clock += 2000;
    expect(await sender.deliverDue()).toEqual({ delivered: 1, retried: 0, dead: 0 });
    clock += 60_000;
    expect(await sender.deliverDue()).toEqual({ delivered: 0, retried: 0, dead: 0 });
    await sender.close();

    const seen = hook.requests.slice(before);
    expect(seen.map((r) => r.status)).toEqual([500, 500, 200]);
    expect(seen[2]!.path).toBe(`/hook?token=${HOOK_TOKEN}`);
    expect(JSON.parse(seen[2]!.body)).toEqual({ machines: ['web-01', 'web-02'] });
    expect(seen[2]!.headers['x-defender-graph-delivery']).toBe(String(id));
    expect(await row(id)).toEqual({
      status: 'delivered',
      attempts: 3,
      lastError: null,
      history: ['1:failed', '2:failed', '3:delivered'],
    });
  });

  it('delivers later, once, when the receiver was down; dead-letters after the last attempt', async () => {
    const downUrl = `${hook.url.replace(/:\d+$/, ':1')}/down`;
    const down: OutgoingNotification = {
      channel: 'WEBHOOK',
      fields: { url: downUrl, body: 'x' },
      alert,
    };
    const id = await queue(down);
    const sender = deliverer();
    for (let i = 0; i < 3; i++) {
      await sender.deliverDue();
      clock += 10_000;
    }
    const dead = await row(id);
    expect(dead.status).toBe('dead');
    expect(dead.history).toEqual(['1:failed', '2:failed', '3:dead']);
    expect(dead.lastError).toMatch(/^WEBHOOK url: /);

    const later = await queue(webhook('resent'));
    await hook.close();
    expect((await sender.deliverDue()).retried).toBe(1);
    hook = await startHttpsReceiver();
    env.DG_HOOK = `${hook.url}/hook?token=${HOOK_TOKEN}`;
    clock += 10_000;
    // A new process (a restart) picks the pending row up.
    await sender.close();
    const restarted = deliverer({ ...monitoring(), webhookSecret: undefined });
    expect(await restarted.deliverDue()).toEqual({ delivered: 1, retried: 0, dead: 0 });
    await restarted.close();
    expect(hook.requests).toHaveLength(1);
    expect(JSON.parse(hook.requests[0]!.body)).toEqual({ message: 'resent', alert });
    expect((await row(later)).history).toEqual(['1:failed', '2:delivered']);
  });

  it('dead-letters at once a plain-http URL off loopback and a missing ${VAR}', async () => {
    const plain = await queue({
      channel: 'WEBHOOK',
      fields: { url: 'http://hooks.example.com/x' },
      alert,
    });
    const unset = await queue({ channel: 'WEBHOOK', fields: { url: '${DG_UNSET_VAR}' }, alert });
    const sender = deliverer();
    expect(await sender.deliverDue()).toEqual({ delivered: 0, retried: 0, dead: 2 });
    await sender.close();
    expect((await row(plain)).lastError).toBe(
      'WEBHOOK url: must be an https:// URL (http:// only to a loopback address with monitoring.allowLoopbackHttp)',
    );
    expect((await row(unset)).lastError).toBe(
      'WEBHOOK url: environment variable DG_UNSET_VAR is not set',
    );
  });

  it('posts a Block Kit message to the Slack webhook', async () => {
    const id = await queue({
      channel: 'SEND_SLACK_MESSAGE',
      fields: { webhookUrl: '${DG_SLACK}', channels: ['#sec'], body: '*Affected:*\n- web-01' },
      alert,
    });
    const sender = deliverer();
    expect(await sender.deliverDue()).toEqual({ delivered: 1, retried: 0, dead: 0 });
    await sender.close();
    expect((await row(id)).status).toBe('delivered');
    const [request] = slack.requests;
    expect(request!.status).toBe(200);
    expect(JSON.parse(request!.body)).toEqual({
      text: 'CRITICAL alert: critical-cves',
      blocks: [
        {
          type: 'header',
          text: { type: 'plain_text', text: 'CRITICAL alert: critical-cves', emoji: true },
        },
        {
          type: 'section',
          fields: [
            { type: 'mrkdwn', text: '*Level*\n:red_circle: CRITICAL' },
            { type: 'mrkdwn', text: '*Status*\nnew' },
            { type: 'mrkdwn', text: '*Results*\n3' },
            { type: 'mrkdwn', text: '*Rule*\ncritical-cves' },
          ],
        },
        { type: 'section', text: { type: 'mrkdwn', text: 'Critical CVEs on high-risk machines' } },
        { type: 'section', text: { type: 'mrkdwn', text: '*Affected:*\n- web-01' } },
        {
          type: 'actions',
          elements: [
            {
              type: 'button',
              text: { type: 'plain_text', text: 'Open alert' },
              url: 'https://graph.example.com/alerts/7',
            },
          ],
        },
      ],
    });
  });

  it('mails over STARTTLS with text and HTML; a 451 refusal is retried and delivered once', async () => {
    const email: OutgoingNotification = {
      channel: 'SEND_EMAIL',
      fields: { recipients: ['soc@example.com'], body: 'Affected: <br>web-01<br>web-02' },
      alert,
    };
    const id = await queue(email);
    const sender = deliverer();
    smtp.refuse(451);
    expect(await sender.deliverDue()).toEqual({ delivered: 0, retried: 1, dead: 0 });
    smtp.refuse(undefined);
    clock += 1500;
    expect(await sender.deliverDue()).toEqual({ delivered: 1, retried: 0, dead: 0 });
    await sender.close();
    expect(smtp.mails).toHaveLength(1);
    const [mail] = smtp.mails;
    expect(mail!.to).toEqual(['soc@example.com']);
    expect(mail!.raw).toContain('Subject: [defender-graph] CRITICAL: critical-cves');
    expect(mail!.raw).toContain('Content-Type: text/plain');
    expect(mail!.raw).toContain('Content-Type: text/html');
    expect((await row(id)).history).toEqual(['1:failed', '2:delivered']);
  });

  it('holds mail for the daily digest and sends one mail per recipient list at the digest hour', async () => {
    const before = smtp.mails.length;
    clock = Date.UTC(2026, 2, 5, 9, 0, 0);
    for (const name of ['rule-a', 'rule-b'])
      await queue({
        channel: 'SEND_EMAIL',
        fields: { recipients: 'oncall@example.com', body: `${name} fired` },
        alert: { ...alert, ruleName: name },
      });
    const config = monitoring();
    const sender = deliverer({
      ...config,
      email: { ...config.email!, dailyDigest: true, digestHour: 8 },
    });
    clock += 3_600_000;
    expect(await sender.deliverDue()).toEqual({ delivered: 0, retried: 0, dead: 0 });
    clock = Date.UTC(2026, 2, 6, 8, 0, 0);
    expect(await sender.deliverDue()).toEqual({ delivered: 2, retried: 0, dead: 0 });
    await sender.close();
    const digests = smtp.mails.slice(before);
    expect(digests).toHaveLength(1);
    expect(digests[0]!.to).toEqual(['oncall@example.com']);
    expect(digests[0]!.raw).toContain('daily digest 2026-03-06: 2 alert notification(s)');
    clock += DAY;
  });

  it('a row claimed by a process that died is sent once its lease ends, not before', async () => {
    const before = hook.requests.length;
    const id = await queue(webhook({ orphan: true }));
    await state.run('UPDATE outbox SET claimed_by = ?, claimed_until = ? WHERE id = ?', [
      'dead-pid',
      clock + 60_000,
      id,
    ]);
    const sender = deliverer();
    expect(await sender.deliverDue()).toEqual({ delivered: 0, retried: 0, dead: 0 });
    clock += 61_000;
    expect(await sender.deliverDue()).toEqual({ delivered: 1, retried: 0, dead: 0 });
    await sender.close();
    expect(hook.requests.slice(before).map((r) => JSON.parse(r.body) as unknown)).toEqual([
      { orphan: true },
    ]);
  });

  it('keeps every secret out of the store', async () => {
    const tables = ['outbox', 'delivery_attempts', 'alert_rules', 'alerts', 'rule_evaluations'];
    for (const table of tables) {
      const rows = await state.all<Record<string, unknown>>(`SELECT * FROM ${table}`);
      const text = JSON.stringify(rows);
      for (const secret of [HOOK_TOKEN, SECRET, SMTP.pass, 'XXXX'])
        expect(text).not.toContain(secret);
    }
  });

  it('reports the outbox by channel and status in the metrics', async () => {
    await state.exec('DELETE FROM delivery_attempts; DELETE FROM outbox');
    await queue(webhook({ n: 1 }));
    await queue(webhook({ n: 2 }));
    await queue({ channel: 'WEBHOOK', fields: { url: 'http://hooks.example.com/x' }, alert });
    await queue({ channel: 'SEND_SLACK_MESSAGE', fields: { webhookUrl: '${DG_SLACK}' }, alert });
    const sender = deliverer();
    await sender.deliverDue();
    await sender.close();
    await queue(webhook({ n: 3 }));
    const text = await createMetrics(store).registry.getSingleMetricAsString(
      'defender_graph_alert_deliveries',
    );
    expect(text.split('\n').filter((line) => !line.startsWith('#'))).toEqual([
      'defender_graph_alert_deliveries{channel="SEND_SLACK_MESSAGE",status="delivered"} 1',
      'defender_graph_alert_deliveries{channel="WEBHOOK",status="dead"} 1',
      'defender_graph_alert_deliveries{channel="WEBHOOK",status="delivered"} 2',
      'defender_graph_alert_deliveries{channel="WEBHOOK",status="pending"} 1',
    ]);
  });
});
