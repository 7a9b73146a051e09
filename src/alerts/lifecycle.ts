/**
 * The alert lifecycle as a pure decision: one alert per rule while its condition holds
 * (new → ongoing), resolved when it stops holding; a person's acknowledgement or dismissal stays
 * until then.
 */

export const ALERT_STATUSES = ['new', 'ongoing', 'acknowledged', 'dismissed', 'resolved'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

export type AlertDecision =
  | { action: 'open' }
  | { action: 'continue'; status: AlertStatus }
  | { action: 'resolve'; status: AlertStatus }
  | { action: 'none' };

/**
 * What an evaluation does to the rule's current alert (the latest one not yet resolved). A
 * failed evaluation decides nothing: the caller keeps the alert as it was.
 */
export function decideAlert(
  current: { status: AlertStatus } | undefined,
  raised: boolean,
): AlertDecision {
  if (!current) return raised ? { action: 'open' } : { action: 'none' };
  if (raised)
    return { action: 'continue', status: current.status === 'new' ? 'ongoing' : current.status };
  return { action: 'resolve', status: current.status === 'dismissed' ? 'dismissed' : 'resolved' };
}

/** A dismissed alert notifies no one until its condition stops and holds again. */
export function notifies(status: AlertStatus | undefined): boolean {
  return status !== 'dismissed';
}
