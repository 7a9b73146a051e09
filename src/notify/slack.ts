/** SEND_SLACK_MESSAGE: a readable Block Kit message to a Slack incoming-webhook URL. */
import type { HttpTarget } from './http-target.js';
import { DeliveryError, resolveSecrets } from './secrets.js';
import type { OutgoingNotification } from './types.js';

const LEVEL_EMOJI: Record<string, string> = {
  CRITICAL: ':red_circle:',
  HIGH: ':large_orange_circle:',
  MEDIUM: ':large_yellow_circle:',
  LOW: ':large_blue_circle:',
  INFO: ':white_circle:',
};

/** Slack's section text limit. */
const MAX_TEXT = 3000;

const clip = (text: string) => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text);

/** The Block Kit payload: a header, the level and status, the rule's body, a link. */
export function slackMessage(notification: OutgoingNotification): {
  text: string;
  blocks: unknown[];
} {
  const { alert } = notification;
  const title = notification.failure
    ? `Alert rule failed: ${alert.ruleName}`
    : `${alert.level} alert: ${alert.ruleName}`;
  const body = typeof notification.fields.body === 'string' ? notification.fields.body : '';
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(title).slice(0, 150), emoji: true } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Level*\n${LEVEL_EMOJI[alert.level] ?? ''} ${alert.level}` },
        { type: 'mrkdwn', text: `*Status*\n${alert.status}` },
        { type: 'mrkdwn', text: `*Results*\n${alert.resultSize}` },
        { type: 'mrkdwn', text: `*Rule*\n${alert.ruleName}` },
      ],
    },
  ];
  if (alert.description)
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(alert.description) } });
  if (body) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(body) } });
  if (alert.webLink)
    blocks.push({
      type: 'actions',
      elements: [
        { type: 'button', text: { type: 'plain_text', text: 'Open alert' }, url: alert.webLink },
      ],
    });
  return { text: title, blocks };
}

export async function sendSlack(
  notification: OutgoingNotification,
  context: { http: HttpTarget; env: NodeJS.ProcessEnv },
): Promise<void> {
  const f = notification.fields;
  const reference = f.webhookUrl ?? f.url;
  if (typeof reference !== 'string' || reference === '')
    throw new DeliveryError(
      'SEND_SLACK_MESSAGE: needs webhookUrl (a Slack incoming-webhook URL, e.g. ${SLACK_WEBHOOK_URL}); integrationInstanceId has no meaning here',
      true,
    );
  const url = resolveSecrets(reference, context.env, 'SEND_SLACK_MESSAGE webhookUrl');
  await context.http.send(url, 'SEND_SLACK_MESSAGE webhookUrl', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(slackMessage(notification)),
  });
}
