/**
 * The outbox: every notification is a row before anything is sent, so an alert is never lost;
 * `deliver.ts` sends due rows, retries with backoff and dead-letters after the last attempt.
 */
import type { SqlConnection } from '../store/index.js';
import type { OutgoingNotification } from './types.js';

export type OutboxStatus = 'pending' | 'delivered' | 'dead';

/** A short, secret-free description of the destination for listings (never the URL itself). */
export function describeTarget(notification: OutgoingNotification): string {
  const f = notification.fields;
  if (notification.channel === 'SEND_EMAIL') {
    const recipients = Array.isArray(f.recipients) ? f.recipients : [f.recipients];
    return `email to ${recipients.map(String).join(', ')}`;
  }
  const url = String(f.url ?? f.endpoint ?? f.webhookUrl ?? '');
  const env = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}/.exec(url);
  if (env) return `${notification.channel} to \${${env[1]}}`;
  try {
    return `${notification.channel} to ${new URL(url).host}`;
  } catch {
    return `${notification.channel} (no valid URL)`;
  }
}

/**
 * Adds notifications inside the caller's transaction. `dedupeKey` makes a repeated evaluation
 * (a crash between evaluation and commit) enqueue nothing twice.
 */
export async function enqueue(
  db: SqlConnection,
  items: {
    dedupeKey: string;
    notification: OutgoingNotification;
    alertId?: number;
    ruleId: string;
  }[],
  now: number,
): Promise<number> {
  let added = 0;
  for (const item of items) {
    added += await db.run(
      `INSERT INTO outbox (dedupe_key, alert_id, rule_id, channel, target, payload, status, attempts,
         next_attempt_on, created_on)
       VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING`,
      [
        item.dedupeKey,
        item.alertId ?? null,
        item.ruleId,
        item.notification.channel,
        describeTarget(item.notification),
        JSON.stringify(item.notification),
        now,
        now,
      ],
    );
  }
  return added;
}

/** Notifications by channel and status (pending, delivered, dead), for the metrics. */
export async function outboxCounts(
  db: SqlConnection,
): Promise<{ channel: string; status: OutboxStatus; count: number }[]> {
  const rows = await db.all<{ channel: string; status: OutboxStatus; count: number | string }>(
    'SELECT channel, status, COUNT(*) AS count FROM outbox GROUP BY channel, status ORDER BY channel, status',
  );
  return rows.map((r) => ({ ...r, count: Number(r.count) }));
}
