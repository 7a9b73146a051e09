/** What the outbox carries: a rendered delivery action and the alert it is about. */

export const CHANNELS = ['WEBHOOK', 'SEND_SLACK_MESSAGE', 'SEND_EMAIL'] as const;
export type Channel = (typeof CHANNELS)[number];

export interface AlertSummary {
  id?: number;
  ruleId: string;
  ruleName: string;
  description?: string;
  level: string;
  status: string;
  resultSize: number;
  webLink?: string;
}

/** One notification to send. `fields` are the action's rendered fields; `${ENV}` stays unresolved. */
export interface OutgoingNotification {
  channel: Channel;
  fields: Record<string, unknown>;
  alert: AlertSummary;
  /** A failure notice of `notifyOnFailure` rather than an alert. */
  failure?: boolean;
}
