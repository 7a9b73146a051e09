/** SEND_EMAIL through SMTP (nodemailer): plain text and HTML, one alert or a daily digest. */
import { readFileSync } from 'node:fs';
import { createTransport, type Transporter } from 'nodemailer';
import type { MonitoringConfig } from '../config/instance-config.js';
import { DeliveryError } from './secrets.js';
import type { OutgoingNotification } from './types.js';

export type EmailConfig = NonNullable<MonitoringConfig['email']>;

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** Recipients as a list, whatever form the rule gave (a list, one address, a comma list). */
export function recipientsOf(notification: OutgoingNotification): string[] {
  const value = notification.fields.recipients;
  const list = Array.isArray(value)
    ? value.map(String)
    : typeof value === 'string'
      ? value.split(',')
      : [];
  return list.map((r) => r.trim()).filter((r) => r !== '');
}

function subjectOf(n: OutgoingNotification): string {
  return n.failure
    ? `[defender-graph] rule failed: ${n.alert.ruleName}`
    : `[defender-graph] ${n.alert.level}: ${n.alert.ruleName}`;
}

/** The rule's body is HTML (JupiterOne's examples use <br>); the text part strips the tags. */
function parts(n: OutgoingNotification): { text: string; html: string } {
  const body = typeof n.fields.body === 'string' ? n.fields.body : '';
  const lines = [
    `${subjectOf(n).replace('[defender-graph] ', '')}`,
    `Level: ${n.alert.level}  Status: ${n.alert.status}  Results: ${n.alert.resultSize}`,
    ...(n.alert.description ? [n.alert.description] : []),
  ];
  const link = n.alert.webLink ? [n.alert.webLink] : [];
  const text = [
    ...lines,
    '',
    body.replace(/<br\s*\/?>/gi, '\n').replace(/<[^>]+>/g, ''),
    ...link,
  ].join('\n');
  const html = [
    `<h2>${escapeHtml(lines[0]!)}</h2>`,
    ...lines.slice(1).map((l) => `<p>${escapeHtml(l)}</p>`),
    body ? `<div>${body}</div>` : '',
    ...link.map((l) => `<p><a href="${escapeHtml(l)}">Open alert</a></p>`),
  ].join('\n');
  return { text, html };
}

/** One mail for one notification. */
export function singleMail(n: OutgoingNotification): {
  subject: string;
  text: string;
  html: string;
} {
  return { subject: subjectOf(n), ...parts(n) };
}

/** One mail gathering several notifications (the daily digest). */
export function digestMail(
  ns: OutgoingNotification[],
  day: string,
): { subject: string; text: string; html: string } {
  const sections = ns.map(parts);
  return {
    subject: `[defender-graph] daily digest ${day}: ${ns.length} alert notification(s)`,
    text: sections.map((s) => s.text).join('\n\n----\n\n'),
    html: sections.map((s) => s.html).join('\n<hr>\n'),
  };
}

export class Mailer {
  private readonly transport: Transporter;

  constructor(private readonly config: EmailConfig) {
    this.transport = createTransport({
      host: config.host,
      port: config.port,
      secure: config.secure,
      requireTLS: !config.secure,
      ...(config.user && { auth: { user: config.user, pass: config.password ?? '' } }),
      tls: config.caFile ? { ca: readFileSync(config.caFile, 'utf8') } : {},
    });
  }

  async send(to: string[], mail: { subject: string; text: string; html: string }): Promise<void> {
    if (to.length === 0) throw new DeliveryError('SEND_EMAIL: no recipients', true);
    try {
      await this.transport.sendMail({ from: this.config.from, to, ...mail });
    } catch (err) {
      const e = err as Error & { responseCode?: number };
      // 5xx SMTP answers are permanent refusals; anything else (4xx, connection) may pass later.
      throw new DeliveryError(
        `SEND_EMAIL: ${e.message}`,
        e.responseCode !== undefined && e.responseCode >= 500,
      );
    }
  }

  close(): void {
    this.transport.close();
  }
}
