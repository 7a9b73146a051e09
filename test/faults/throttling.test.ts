import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../store/backends.js';
import { expectStepFailed, proveFault, startRig, type FaultRig } from './harness.js';

const USERS_ROUTE = 'GET /graph/v1.0/users';

describe.each(BACKENDS)('throttling, exhausted quotas and gateway pages on $name', (backend) => {
  let rig: FaultRig;
  beforeAll(async () => {
    rig = await startRig(
      backend,
      'throttling',
      { seed: 26 },
      { http: { maxRetries: 6, timeoutSeconds: 10 } },
    );
  });
  afterAll(async () => rig?.close());

  /** The first machines request meets the hourly quota used up: 40 minutes to wait. */
  const exhaustHourlyQuota = () =>
    rig.te.setFaults({
      defenderHourlyQuota: { requests: 1, retryAfterSeconds: 2400 },
      paths: ['/defender/api/machines'],
    });

  /** Injected 429s on half the /users pages (of 10 users), then what the collector waited before each retry. */
  async function throttledUsers(format: 'seconds' | 'date' | 'absent'): Promise<number[]> {
    let waits: number[] = [];
    await proveFault(
      rig,
      async () => {
        await rig.te.setFaults({
          rate429: 0.5,
          retryAfterSeconds: 7,
          retryAfterFormat: format,
          pageSize: 10,
          paths: ['/graph/v1.0/users'],
        });
        await rig.te.resetStats();
      },
      async (outcome) => {
        expect(outcome.exitCode, JSON.stringify(outcome.steps)).toBe(0);
        const refused = (await rig.te.stats()).requests[USERS_ROUTE]?.['429'] ?? 0;
        expect(refused).toBeGreaterThan(0);
        waits = outcome.waits;
        expect(waits).toHaveLength(refused);
      },
    );
    return waits;
  }

  it('Retry-After in seconds is honoured exactly', async () => {
    for (const wait of await throttledUsers('seconds')) expect(wait).toBe(7_000);
  });

  it('Retry-After as an HTTP date is honoured to the second', async () => {
    for (const wait of await throttledUsers('date')) {
      expect(wait).toBeGreaterThan(5_000);
      expect(wait).toBeLessThanOrEqual(7_000);
    }
  });

  it('without Retry-After the collector backs off exponentially', async () => {
    const waits = await throttledUsers('absent');
    // Capped exponential with jitter: attempt n waits between 2^n/2 and 2^n seconds.
    for (const wait of waits) {
      expect(wait).toBeGreaterThanOrEqual(500);
      expect(wait).toBeLessThanOrEqual(64_000);
      expect(wait).not.toBe(7_000);
    }
  });

  it('the hourly Defender quota exhausted: by default the collector sleeps through it and says so', async () => {
    await proveFault(rig, exhaustHourlyQuota, (outcome) => {
      expect(outcome.exitCode, JSON.stringify(outcome.steps)).toBe(0);
      expect(outcome.waits).toContain(2_400_000);
      expect(outcome.warnings.filter((w) => w.startsWith('quota exhausted'))).toEqual([
        expect.stringMatching(
          /^quota exhausted on defender GET \/api\/machines: waiting 40 min until \d\d:\d\d UTC as Microsoft asks \(set http\.quotaExhausted: stop to stop instead\) /,
        ),
      ]);
    });
  });

  it('the hourly Defender quota exhausted with http.quotaExhausted: stop fails the step clearly', async () => {
    await proveFault(
      rig,
      exhaustHourlyQuota,
      (outcome) => {
        expect(outcome.exitCode).toBe(3);
        expect(outcome.waits).not.toContain(2_400_000);
        const step = outcome.steps['fetch-machines']!;
        expect(step.status).toBe('failure');
        expect(step.code).toBe('QUOTA_EXHAUSTED');
        expect(step.message).toMatch(
          /^defender GET \/api\/machines: HTTP 429: 429 API calls quota exceeded! Maximum allowed 1500 per 01:00:00 for the key Destination\+TenantID\+AppID\. You can send requests again in 2400 seconds\.\. The quota is exhausted: Microsoft asks to wait 40 min \(until \d\d:\d\d UTC\); stopped as configured \(http\.quotaExhausted: stop\)$/,
        );
      },
      { instance: { http: { maxRetries: 6, timeoutSeconds: 10, quotaExhausted: 'stop' } } },
    );
  });

  it.each([503, 504] as const)(
    'a gateway %i HTML page is retried, then fails the step by name',
    async (status) => {
      const titles = { 503: '503 Service Unavailable', 504: '504 Gateway Time-out' };
      await proveFault(
        rig,
        () =>
          rig.te.setFaults({
            gateway: { status, rate: 1 },
            paths: ['/defender/api/vulnerabilities'],
          }),
        (outcome) => {
          expectStepFailed(
            outcome,
            'fetch-vulnerabilities',
            'SERVER_ERROR',
            `defender GET /api/vulnerabilities: HTTP ${status}: an HTML page titled "${titles[status]}", not the API's JSON`,
          );
          expect(outcome.waits).toHaveLength(6);
        },
      );
    },
  );

  it('gateway pages on a third of the requests are retried through', async () => {
    await proveFault(
      rig,
      () => rig.te.setFaults({ gateway: { status: 504, rate: 0.3 } }),
      (outcome) => {
        expect(outcome.exitCode, JSON.stringify(outcome.steps)).toBe(0);
        expect(outcome.waits.length).toBeGreaterThan(0);
      },
      // With 2 retries a request fails 0.3³ = 2.7 % of the time, and concurrent requests draw
      // from one random sequence in any order; with 8 it is 0.3⁹ ≈ 0.002 %.
      { instance: { http: { maxRetries: 8, timeoutSeconds: 10 } } },
    );
  });
});
