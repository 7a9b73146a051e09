/**
 * The one delivery policy for every channel: claim due outbox rows, send, record every attempt,
 * retry with exponential backoff, dead-letter after the last attempt or a permanent refusal.
 * Claims are leases, so a process that dies mid-delivery leaves rows another pass picks up
 * (at-least-once: a receiver may see a notification twice, with the same delivery id).
 */
import { readFileSync } from 'node:fs';
import type { MonitoringConfig } from '../config/instance-config.js';
import { slotAfter } from '../config/schedule.js';
import type { SqlConnection } from '../store/index.js';
import { parseJson } from '../store/rows.js';
import { digestMail, Mailer, recipientsOf, singleMail } from './email.js';
import { HttpTarget } from './http-target.js';
import { DeliveryError, redactSecrets } from './secrets.js';
import { sendSlack } from './slack.js';
import type { OutgoingNotification } from './types.js';
import { sendWebhook } from './webhook.js';

const MAX_BACKOFF_MS = 3_600_000;
/** How long a claimed row is ours by default; a pass that outlives it may be sent again by another. */
const DEFAULT_LEASE_MS = 120_000;

/** The delay before attempt `attempt + 1`, after `attempt` failures. */
export function backoffMs(attempt: number, firstMs: number): number {
  return Math.min(firstMs * 2 ** Math.max(0, attempt - 1), MAX_BACKOFF_MS);
}

export interface DeliveryContext {
  db: SqlConnection;
  monitoring: MonitoringConfig;
  env?: NodeJS.ProcessEnv;
  /** Names this process in claims. */
  worker: string;
  now: () => number;
}

interface OutboxRow {
  id: number | string;
  channel: string;
  payload: unknown;
  attempts: number | string;
  created_on: number | string;
}

export interface DeliveryReport {
  delivered: number;
  retried: number;
  dead: number;
}

export class Deliverer {
  private readonly http: HttpTarget;
  private readonly mailer: Mailer | undefined;
  private readonly env: NodeJS.ProcessEnv;

  constructor(private readonly context: DeliveryContext) {
    const { monitoring } = context;
    this.http = new HttpTarget({
      allowLoopbackHttp: monitoring.allowLoopbackHttp,
      ca: monitoring.caFile ? readFileSync(monitoring.caFile, 'utf8') : undefined,
    });
    this.mailer = monitoring.email && new Mailer(monitoring.email);
    this.env = context.env ?? process.env;
  }

  /** Sends every due row (emails held for the digest wait for its hour). */
  async deliverDue(): Promise<DeliveryReport> {
    const report: DeliveryReport = { delivered: 0, retried: 0, dead: 0 };
    const now = this.context.now();
    const due = await this.context.db.all<OutboxRow>(
      `SELECT id, channel, payload, attempts, created_on FROM outbox
       WHERE status = 'pending' AND next_attempt_on <= ? AND (claimed_until IS NULL OR claimed_until < ?)
       ORDER BY id`,
      [now, now],
    );
    const digest = this.context.monitoring.email?.dailyDigest === true;
    const held = digest ? due.filter((r) => r.channel === 'SEND_EMAIL') : [];
    for (const row of due) {
      if (held.includes(row) || !(await this.claim(row, now))) continue;
      const outcome = await this.attempt(row, () => this.sendOne(row));
      report[outcome]++;
    }
    if (held.length > 0) {
      const slot = slotAfter(
        { pollingInterval: 'ONE_DAY', pollingHour: this.context.monitoring.email!.digestHour },
        Math.min(...held.map((r) => Number(r.created_on))),
      )!;
      if (slot <= now) await this.sendDigest(held, now, report);
    }
    return report;
  }

  private async claim(row: OutboxRow, now: number): Promise<boolean> {
    const claimed = await this.context.db.run(
      `UPDATE outbox SET claimed_by = ?, claimed_until = ? WHERE id = ? AND status = 'pending'
       AND (claimed_until IS NULL OR claimed_until < ?)`,
      [
        this.context.worker,
        now + (this.context.monitoring.delivery.leaseMs ?? DEFAULT_LEASE_MS),
        Number(row.id),
        now,
      ],
    );
    return claimed === 1;
  }

  private async sendOne(row: OutboxRow): Promise<void> {
    const notification = parseJson<OutgoingNotification>(row.payload);
    switch (notification.channel) {
      case 'WEBHOOK':
        return sendWebhook(notification, Number(row.id), {
          http: this.http,
          secret: this.context.monitoring.webhookSecret,
          env: this.env,
          now: this.context.now(),
        });
      case 'SEND_SLACK_MESSAGE':
        return sendSlack(notification, { http: this.http, env: this.env });
      case 'SEND_EMAIL':
        if (!this.mailer)
          throw new DeliveryError('SEND_EMAIL: no monitoring.email (SMTP) in the config', true);
        return this.mailer.send(recipientsOf(notification), singleMail(notification));
    }
  }

  /** Groups held emails per recipient list: one digest mail each, every row recorded. */
  private async sendDigest(rows: OutboxRow[], now: number, report: DeliveryReport): Promise<void> {
    const groups = new Map<string, OutboxRow[]>();
    for (const row of rows) {
      const to = recipientsOf(parseJson<OutgoingNotification>(row.payload)).sort().join(',');
      groups.set(to, [...(groups.get(to) ?? []), row]);
    }
    const day = new Date(now).toISOString().slice(0, 10);
    for (const [to, group] of groups) {
      const claimed: OutboxRow[] = [];
      for (const row of group) if (await this.claim(row, now)) claimed.push(row);
      if (claimed.length === 0) continue;
      let failure: unknown;
      try {
        if (!this.mailer)
          throw new DeliveryError('SEND_EMAIL: no monitoring.email (SMTP) in the config', true);
        await this.mailer.send(
          to.split(','),
          digestMail(
            claimed.map((r) => parseJson<OutgoingNotification>(r.payload)),
            day,
          ),
        );
      } catch (err) {
        failure = err;
      }
      for (const row of claimed)
        report[
          await this.attempt(row, () => (failure ? Promise.reject(failure) : Promise.resolve()))
        ]++;
    }
  }

  /** One attempt: its outcome recorded, the row delivered, rescheduled or dead. */
  private async attempt(
    row: OutboxRow,
    send: () => Promise<void>,
  ): Promise<'delivered' | 'retried' | 'dead'> {
    const attempt = Number(row.attempts) + 1;
    const { db, monitoring } = this.context;
    let error: DeliveryError | undefined;
    try {
      await send();
    } catch (err) {
      error = err instanceof DeliveryError ? err : new DeliveryError((err as Error).message);
    }
    const now = this.context.now();
    const payload = JSON.stringify(parseJson(row.payload));
    const detail = error ? redactSecrets(error.message, payload, this.env) : null;
    const outcome = !error
      ? 'delivered'
      : error.permanent || attempt >= monitoring.delivery.maxAttempts
        ? 'dead'
        : 'retried';
    await db.transaction(async () => {
      await db.run(
        `INSERT INTO delivery_attempts (outbox_id, attempt, attempted_on, outcome, detail) VALUES (?, ?, ?, ?, ?)`,
        [Number(row.id), attempt, now, outcome === 'retried' ? 'failed' : outcome, detail],
      );
      await db.run(
        `UPDATE outbox SET status = ?, attempts = ?, next_attempt_on = ?, delivered_on = ?, last_error = ?,
           claimed_by = NULL, claimed_until = NULL WHERE id = ?`,
        [
          outcome === 'retried' ? 'pending' : outcome,
          attempt,
          outcome === 'retried' ? now + backoffMs(attempt, monitoring.delivery.backoffMs) : now,
          outcome === 'delivered' ? now : null,
          detail,
          Number(row.id),
        ],
      );
    });
    return outcome;
  }

  async close(): Promise<void> {
    this.mailer?.close();
    await this.http.close();
  }
}
