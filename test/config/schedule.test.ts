import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { POLLING_INTERVALS, WEEKDAYS } from '../../src/config/instance-config.js';
import { isDue, nextRunAt, slotAfter, type Schedule } from '../../src/config/schedule.js';

const at = (iso: string) => Date.parse(iso);

describe('schedule arithmetic', () => {
  it('is due now when the instance never synced, never when DISABLED', () => {
    const now = at('2026-03-04T10:00:00Z');
    expect(nextRunAt({ pollingInterval: 'ONE_HOUR' }, undefined, now)).toBe(now);
    expect(nextRunAt({ pollingInterval: 'DISABLED' }, undefined, now)).toBeUndefined();
    expect(nextRunAt({ pollingInterval: 'DISABLED' }, now - 1e9, now)).toBeUndefined();
  });

  it('anchors only daily and weekly schedules, a weekday only weekly, and fires strictly after the last start', () => {
    const iso = (ms: number | undefined) => new Date(ms!).toISOString();
    const last = at('2026-03-04T06:00:00Z'); // a Wednesday, exactly on the 06:00 slot
    // An hour or a day on a shorter interval is ignored: one period after the last start.
    expect(iso(slotAfter({ pollingInterval: 'FOUR_HOURS', pollingHour: 3 }, last))).toBe(
      '2026-03-04T10:00:00.000Z',
    );
    // A weekday on a daily schedule is ignored.
    expect(
      iso(slotAfter({ pollingInterval: 'ONE_DAY', pollingHour: 6, pollingDay: 'MONDAY' }, last)),
    ).toBe('2026-03-05T06:00:00.000Z');
    // A last start exactly on the slot: the next slot, not the same one.
    expect(iso(slotAfter({ pollingInterval: 'ONE_DAY', pollingHour: 6 }, last))).toBe(
      '2026-03-05T06:00:00.000Z',
    );
    // Due exactly at the next slot, not a millisecond before.
    const hourly: Schedule = { pollingInterval: 'ONE_HOUR' };
    expect(isDue(hourly, last, last + 3_600_000)).toBe(true);
    expect(isDue(hourly, last, last + 3_599_999)).toBe(false);
  });

  it('puts the next run one period after the last start', () => {
    const last = at('2026-03-04T10:07:00Z');
    const cases: [Schedule['pollingInterval'], string][] = [
      ['THIRTY_MINUTES', '2026-03-04T10:37:00Z'],
      ['ONE_HOUR', '2026-03-04T11:07:00Z'],
      ['FOUR_HOURS', '2026-03-04T14:07:00Z'],
      ['EIGHT_HOURS', '2026-03-04T18:07:00Z'],
      ['TWELVE_HOURS', '2026-03-04T22:07:00Z'],
      ['ONE_DAY', '2026-03-05T10:07:00Z'],
      ['ONE_WEEK', '2026-03-11T10:07:00Z'],
    ];
    for (const [pollingInterval, next] of cases)
      expect(new Date(nextRunAt({ pollingInterval }, last, last + 1)!).toISOString()).toBe(
        new Date(at(next)).toISOString(),
      );
  });

  it('runs ONE_DAY at its UTC hour and ONE_WEEK on its day and hour', () => {
    // 2026-03-04 is a Wednesday.
    const last = at('2026-03-04T10:07:00Z');
    expect(slotAfter({ pollingInterval: 'ONE_DAY', pollingHour: 3 }, last)).toBe(
      at('2026-03-05T03:00:00Z'),
    );
    expect(slotAfter({ pollingInterval: 'ONE_DAY', pollingHour: 22 }, last)).toBe(
      at('2026-03-04T22:00:00Z'),
    );
    expect(
      slotAfter({ pollingInterval: 'ONE_WEEK', pollingDay: 'MONDAY', pollingHour: 6 }, last),
    ).toBe(at('2026-03-09T06:00:00Z'));
    expect(
      slotAfter({ pollingInterval: 'ONE_WEEK', pollingDay: 'WEDNESDAY', pollingHour: 11 }, last),
    ).toBe(at('2026-03-04T11:00:00Z'));
    expect(
      slotAfter({ pollingInterval: 'ONE_WEEK', pollingDay: 'WEDNESDAY', pollingHour: 9 }, last),
    ).toBe(at('2026-03-11T09:00:00Z'));
  });

  it('coalesces missed runs: a week down on ONE_HOUR is one run due now, then an hour after it', () => {
    const last = at('2026-03-04T10:00:00Z');
    const now = at('2026-03-11T10:30:00Z');
    const schedule: Schedule = { pollingInterval: 'ONE_HOUR' };
    expect(isDue(schedule, last, now)).toBe(true);
    // The catch-up run starts now; the next is one period after it, not the backlog's next slot.
    expect(nextRunAt(schedule, now, now + 1)).toBe(at('2026-03-11T11:30:00Z'));
    expect(isDue(schedule, now, now + 1)).toBe(false);
  });

  it('property: the next slot is after the last run, within one period, and on the anchor', () => {
    const periodic = POLLING_INTERVALS.filter((p) => p !== 'DISABLED');
    fc.assert(
      fc.property(
        fc.constantFrom(...periodic),
        fc.option(fc.integer({ min: 0, max: 23 }), { nil: undefined }),
        fc.option(fc.constantFrom(...WEEKDAYS), { nil: undefined }),
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        (pollingInterval, hour, day, last) => {
          const schedule: Schedule = {
            pollingInterval,
            ...((pollingInterval === 'ONE_DAY' || pollingInterval === 'ONE_WEEK') &&
              hour !== undefined && { pollingHour: hour }),
            ...(pollingInterval === 'ONE_WEEK' && day !== undefined && { pollingDay: day }),
          };
          const next = slotAfter(schedule, last)!;
          const periodMs = { ONE_WEEK: 7 * 86_400_000, ONE_DAY: 86_400_000 }[
            pollingInterval as 'ONE_DAY'
          ];
          expect(next).toBeGreaterThan(last);
          if (schedule.pollingHour !== undefined || schedule.pollingDay !== undefined) {
            expect(next - last).toBeLessThanOrEqual(periodMs);
            const date = new Date(next);
            expect(date.getUTCHours()).toBe(schedule.pollingHour ?? 0);
            expect(date.getUTCMinutes()).toBe(0);
            if (schedule.pollingDay !== undefined)
              expect(WEEKDAYS[date.getUTCDay()]).toBe(schedule.pollingDay);
          }
        },
      ),
    );
  });
});
