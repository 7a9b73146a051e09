/** WEBHOOK: a JSON body to `url` (or `endpoint`), signed with HMAC-SHA256 when a secret is set. */
import { createHmac } from 'node:crypto';
import type { HttpTarget } from './http-target.js';
import { resolveSecrets } from './secrets.js';
import type { OutgoingNotification } from './types.js';

export const SIGNATURE_HEADER = 'x-defender-graph-signature';
export const TIMESTAMP_HEADER = 'x-defender-graph-timestamp';
export const DELIVERY_HEADER = 'x-defender-graph-delivery';

/** `sha256=<hex>` of `<timestamp>.<body>`: the receiver recomputes it with the shared secret. */
export function signature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** The JSON sent: the action's `body` (an object as is, text as `message`), else the alert. */
export function webhookBody(notification: OutgoingNotification): unknown {
  const body = notification.fields.body;
  if (body !== null && typeof body === 'object') return body;
  return {
    ...(typeof body === 'string' && { message: body }),
    alert: notification.alert,
    ...(notification.failure && { failure: true }),
  };
}

export async function sendWebhook(
  notification: OutgoingNotification,
  deliveryId: number,
  context: { http: HttpTarget; secret?: string; env: NodeJS.ProcessEnv; now: number },
): Promise<void> {
  const f = notification.fields;
  const url = resolveSecrets(String(f.url ?? f.endpoint ?? ''), context.env, 'WEBHOOK url');
  const method = String(f.method ?? 'POST').toUpperCase();
  const body =
    method === 'GET' || method === 'HEAD' ? undefined : JSON.stringify(webhookBody(notification));
  const headers: Record<string, string> = {};
  if (f.headers !== null && typeof f.headers === 'object')
    for (const [name, value] of Object.entries(f.headers as Record<string, unknown>))
      headers[name.toLowerCase()] = resolveSecrets(
        String(value),
        context.env,
        `WEBHOOK header ${name}`,
      );
  headers['content-type'] = 'application/json';
  headers[DELIVERY_HEADER] = String(deliveryId);
  const timestamp = String(Math.floor(context.now / 1000));
  headers[TIMESTAMP_HEADER] = timestamp;
  if (context.secret) headers[SIGNATURE_HEADER] = signature(context.secret, timestamp, body ?? '');
  await context.http.send(url, 'WEBHOOK url', { method, headers, body });
}
