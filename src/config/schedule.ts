/**
 * Schedule arithmetic for JupiterOne's polling intervals, as pure functions of the stored last
 * run and the clock: when a sync (or a rule evaluation) is next due.
 */
import type { PollingInterval, Weekday } from './instance-config.js';
import { WEEKDAYS } from './instance-config.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The period of each interval; DISABLED has none (on demand only). */
export const INTERVAL_MS: Record<Exclude<PollingInterval, 'DISABLED'>, number> = {
  THIRTY_MINUTES: 30 * MINUTE,
  ONE_HOUR: HOUR,
  FOUR_HOURS: 4 * HOUR,
  EIGHT_HOURS: 8 * HOUR,
  TWELVE_HOURS: 12 * HOUR,
  ONE_DAY: DAY,
  ONE_WEEK: 7 * DAY,
};

export interface Schedule {
  pollingInterval: PollingInterval;
  /** UTC hour for ONE_DAY and ONE_WEEK. */
  pollingHour?: number;
  /** Weekday for ONE_WEEK. */
  pollingDay?: Weekday;
}

/**
 * The first time after `last` the schedule fires. Anchored schedules (an hour, a weekday) fire at
 * the next matching UTC slot strictly after `last`; the others one period after `last`.
 */
export function slotAfter(schedule: Schedule, last: number): number | undefined {
  if (schedule.pollingInterval === 'DISABLED') return undefined;
  const period = INTERVAL_MS[schedule.pollingInterval];
  const anchored =
    (schedule.pollingInterval === 'ONE_DAY' || schedule.pollingInterval === 'ONE_WEEK') &&
    (schedule.pollingHour !== undefined || schedule.pollingDay !== undefined);
  if (!anchored) return last + period;
  const hour = schedule.pollingHour ?? 0;
  const dayStart = Math.floor(last / DAY) * DAY;
  let slot = dayStart + hour * HOUR;
  if (schedule.pollingInterval === 'ONE_WEEK' && schedule.pollingDay !== undefined) {
    const wanted = WEEKDAYS.indexOf(schedule.pollingDay);
    const today = new Date(dayStart).getUTCDay();
    slot += ((wanted - today + 7) % 7) * DAY;
  }
  while (slot <= last) slot += period;
  return slot;
}

/**
 * When the next run is due, from the start of the last run (undefined: never ran). A schedule that
 * never ran is due now; runs missed while nothing was running coalesce into one run due now (the
 * caller runs it at once); DISABLED is never due.
 */
export function nextRunAt(
  schedule: Schedule,
  lastRunStartedOn: number | undefined,
  now: number,
): number | undefined {
  if (schedule.pollingInterval === 'DISABLED') return undefined;
  if (lastRunStartedOn === undefined) return now;
  return slotAfter(schedule, lastRunStartedOn);
}

/** Whether a run is due at `now`. */
export function isDue(
  schedule: Schedule,
  lastRunStartedOn: number | undefined,
  now: number,
): boolean {
  const next = nextRunAt(schedule, lastRunStartedOn, now);
  return next !== undefined && next <= now;
}
