import { afterEach, describe, expect, it } from 'vitest';
import { CallCounter } from '../../src/microsoft/call-counter.js';
import { DefenderClient } from '../../src/microsoft/defender-client.js';
import { effectiveQuotas } from '../../src/microsoft/endpoints.js';
import { ApiClient, createDispatcher } from '../../src/microsoft/http.js';
import { Pacer, SlidingWindowLimiter } from '../../src/microsoft/pacing.js';
import { sendJson, startHttpsServer, type TestServer } from './https-server.js';

/** A clock that only moves when the limiter waits: deterministic, no wall-clock. */
function fakeClock() {
  let now = 0;
  return { now: () => now, sleep: async (ms: number) => void (now += ms) };
}

describe('sliding-window pacing', () => {
  it('never lets more than the limit into any window', async () => {
    const clock = fakeClock();
    const limiter = new SlidingWindowLimiter(
      [{ limit: 3, windowMs: 1_000 }],
      clock.now,
      clock.sleep,
    );
    const starts: number[] = [];
    for (let i = 0; i < 7; i++) {
      await limiter.acquire();
      starts.push(clock.now());
    }
    expect(starts).toEqual([0, 0, 0, 1_001, 1_001, 1_001, 2_002]);
  });

  it('applies the per-minute and the per-hour window together, and weights by cost', async () => {
    const clock = fakeClock();
    const limiter = new SlidingWindowLimiter(
      [
        { limit: 2, windowMs: 60_000 },
        { limit: 3, windowMs: 3_600_000 },
      ],
      clock.now,
      clock.sleep,
    );
    const starts: number[] = [];
    for (let i = 0; i < 4; i++) {
      await limiter.acquire();
      starts.push(clock.now());
    }
    // Third waits for the minute window; fourth for the hour window to drop the first request.
    expect(starts).toEqual([0, 0, 60_001, 3_600_001]);

    const weighted = new SlidingWindowLimiter(
      [{ limit: 10, windowMs: 1_000 }],
      clock.now,
      clock.sleep,
    );
    const before = clock.now();
    await weighted.acquire(6);
    await weighted.acquire(6);
    expect(clock.now() - before).toBe(1_001);
  });

  it('counts a slot from its answer, so a slow answer delays the next window', async () => {
    const clock = fakeClock();
    const limiter = new SlidingWindowLimiter(
      [{ limit: 2, windowMs: 1_000 }],
      clock.now,
      clock.sleep,
    );
    const releaseFirst = await limiter.acquire();
    await limiter.acquire();
    await clock.sleep(500);
    releaseFirst(); // answered at 500: the server may have counted it that late
    await limiter.acquire();
    expect(clock.now()).toBe(1_501);
  });

  it('lets a slot go exactly one window after its stamp', async () => {
    const clock = fakeClock();
    const limiter = new SlidingWindowLimiter(
      [{ limit: 1, windowMs: 1_000 }],
      clock.now,
      clock.sleep,
    );
    await limiter.acquire();
    await clock.sleep(1_000);
    await limiter.acquire();
    expect(clock.now()).toBe(1_000);
  });

  it('waits for as many of the oldest slots as the cost needs, and for the latest of them', async () => {
    const clock = fakeClock();
    const limiter = new SlidingWindowLimiter(
      [{ limit: 3, windowMs: 1_000 }],
      clock.now,
      clock.sleep,
    );
    for (let i = 0; i < 3; i++) {
      await limiter.acquire();
      await clock.sleep(100);
    }
    await limiter.acquire(2); // the slots stamped at 0 and 100 must leave
    expect(clock.now()).toBe(1_101);
  });

  it('keeps exact spacing over thousands of requests, across compactions of its log', async () => {
    const clock = fakeClock();
    // The first limiter's log is compacted; the second's never is, as its hour window keeps every slot.
    const single = new SlidingWindowLimiter(
      [{ limit: 3, windowMs: 1_000 }],
      clock.now,
      clock.sleep,
    );
    const both = new SlidingWindowLimiter(
      [
        { limit: 3, windowMs: 1_000 },
        { limit: 100_000, windowMs: 3_600_000_000 },
      ],
      clock.now,
      clock.sleep,
    );
    for (const limiter of [single, both]) {
      const start = clock.now();
      const starts: number[] = [];
      for (let i = 0; i < 9_000; i++) {
        await limiter.acquire();
        starts.push(clock.now() - start);
      }
      expect(starts).toEqual(Array.from({ length: 9_000 }, (_, i) => Math.floor(i / 3) * 1_001));
      await clock.sleep(3_600_000_000);
    }
  });

  it('pads every Microsoft window by 2 %, and by at least 250 ms', () => {
    const pacer = new Pacer({
      bucket: [
        { limit: 5, windowMs: 60_000 },
        { limit: 9, windowMs: 1_000 },
      ],
    });
    // The padding is only visible in real time; read the limiter it built.
    const limiters = (pacer as unknown as { limiters: Map<string, { windows: unknown }> }).limiters;
    expect(limiters.get('bucket')?.windows).toEqual([
      { limit: 5, windowMs: 61_200 },
      { limit: 9, windowMs: 1_250 },
    ]);
  });

  it('scales and overrides Microsoft quotas from the config', () => {
    const quotas = effectiveQuotas(0.5, { 'defender:logonusers': { perMinute: 10 } });
    expect(quotas['defender:machines']).toEqual([
      { limit: 50, windowMs: 60_000 },
      { limit: 750, windowMs: 3_600_000 },
    ]);
    expect(quotas['defender:logonusers']).toEqual([{ limit: 5, windowMs: 60_000 }]);
    expect(() => effectiveQuotas(1, { nope: { perMinute: 1 } })).toThrow(/unknown bucket nope/);
  });
});

describe('pacing over real TLS', () => {
  let server: TestServer | undefined;
  afterEach(async () => server?.close());

  it('keeps concurrent per-machine calls under the bucket quota at the server', async () => {
    server = await startHttpsServer((_req, res) => sendJson(res, 200, { value: [] }));
    const windowMs = 400;
    const limit = 4;
    const http = new ApiClient({
      api: 'defender',
      base: server.url,
      tokens: { getToken: async () => 't', invalidate: () => undefined },
      pacer: new Pacer({ 'defender:logonusers': [{ limit, windowMs }] }),
      counter: new CallCounter(),
      dispatcher: createDispatcher(server.ca),
    });
    const defender = new DefenderClient(http, server.url);
    // Warm the connections through an unpaced bucket first: TLS handshakes on a busy machine
    // would otherwise delay early arrivals and blur the spacing the server sees.
    await Promise.all(Array.from({ length: 8 }, () => defender.probe('machines')));
    server.requests.length = 0;
    await Promise.all(Array.from({ length: 10 }, (_, i) => defender.machineLogonUsers(`m${i}`)));
    const arrivals = server.requests.map((r) => r.at).sort((a, b) => a - b);
    expect(arrivals).toHaveLength(10);
    // Any limit+1 consecutive arrivals span at least one window.
    for (let i = limit; i < arrivals.length; i++) {
      expect(arrivals[i]! - arrivals[i - limit]!).toBeGreaterThanOrEqual(windowMs);
    }
  });
});
