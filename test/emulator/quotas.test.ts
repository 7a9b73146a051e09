import { describe, expect, it } from 'vitest';
import { DefenderQuotas, graphRequestCost, GraphResourceUnits } from '../../src/emulator/quotas.js';

/** A settable clock: quota windows are tested on simulated time, never the wall clock. */
function clock(startMs = 1_700_000_000_000) {
  let now = startMs;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('Defender sliding windows', () => {
  it('refuses the call over the per-minute limit until the oldest call leaves the window', () => {
    const c = clock();
    const quotas = new DefenderQuotas(1, c.now);
    const quota = { perMinute: 3, perHour: 100 };
    for (let i = 0; i < 3; i++) {
      expect(quotas.take('k', quota)).toBeUndefined();
      c.advance(10_000);
    }
    // Calls at t=0, 10 s, 20 s; now t=30 s: the first leaves the window at t=60 s.
    expect(quotas.take('k', quota)).toEqual({
      retryAfterSeconds: 30,
      limit: 3,
      window: '00:01:00',
    });
    c.advance(29_000);
    expect(quotas.take('k', quota)?.retryAfterSeconds).toBe(1);
    c.advance(1_000);
    expect(quotas.take('k', quota)).toBeUndefined();
  });

  it('applies the hourly limit too, and keys are independent', () => {
    const c = clock();
    const quotas = new DefenderQuotas(1, c.now);
    const quota = { perMinute: 100, perHour: 5 };
    for (let i = 0; i < 5; i++) {
      expect(quotas.take('a', quota)).toBeUndefined();
      c.advance(61_000);
    }
    const refusal = quotas.take('a', quota);
    expect(refusal).toMatchObject({ limit: 5, window: '01:00:00' });
    expect(refusal!.retryAfterSeconds).toBe(3600 - 5 * 61);
    expect(quotas.take('b', quota)).toBeUndefined();
  });

  it('scales every limit by quotaScale (at least 1)', () => {
    const quotas = new DefenderQuotas(0.05, clock().now);
    expect(quotas.scaled({ perMinute: 100, perHour: 1500 })).toEqual({ perMinute: 5, perHour: 75 });
    expect(new DefenderQuotas(0.001).scaled({ perMinute: 50, perHour: 1500 }).perMinute).toBe(1);
  });
});

describe('Graph resource units', () => {
  it('costs requests as documented', () => {
    const q = (s: string) => new URLSearchParams(s);
    expect(graphRequestCost('GET /graph/v1.0/users', q(''))).toBe(2);
    expect(graphRequestCost('GET /graph/v1.0/users', q('$select=id'))).toBe(1);
    expect(graphRequestCost('GET /graph/v1.0/groups/{id}/members', q(''))).toBe(3);
    expect(graphRequestCost('GET /graph/v1.0/groups/{id}/transitiveMembers', q('$top=5'))).toBe(4);
    expect(graphRequestCost('GET /graph/v1.0/organization', q('$select=id&$top=1'))).toBe(1);
  });

  it('refills the bucket over 10 s and says when enough units are back', () => {
    const c = clock();
    const units = new GraphResourceUnits(0.001, c.now); // 3,500 × 0.001 = 3.5 → 4 units per 10 s
    expect(units.take('k', 2, 3500)).toBeUndefined();
    expect(units.take('k', 2, 3500)).toBeUndefined();
    expect(units.take('k', 2, 3500)).toEqual({
      retryAfterSeconds: 5,
      limit: 4,
      window: '00:00:10',
    });
    c.advance(5_000);
    expect(units.take('k', 2, 3500)).toBeUndefined();
  });
});
