/**
 * Rate limits as Microsoft documents them, every limit multiplied by `quotaScale`:
 * - Defender: per (application, tenant, endpoint), a sliding per-minute and per-hour call count
 *   (defender-api.md §5). Refused calls do not count, so resending early keeps getting 429.
 * - Graph directory: a token bucket of resource units per (application, tenant) refilled over 10 s,
 *   sized by tenant (graph-api.md §7).
 */

export interface QuotaRefusal {
  retryAfterSeconds: number;
  /** The limit that was hit, already scaled. */
  limit: number;
  /** The window as a .NET TimeSpan string (`00:01:00`, `01:00:00`), as the real 429 message writes it. */
  window: string;
}

export interface DefenderQuota {
  perMinute: number;
  perHour: number;
}

interface Window {
  seconds: number;
  label: string;
  limit: (q: DefenderQuota) => number;
}

const WINDOWS: Window[] = [
  { seconds: 60, label: '00:01:00', limit: (q) => q.perMinute },
  { seconds: 3600, label: '01:00:00', limit: (q) => q.perHour },
];

/** Per-second call counts for one key over the last hour. */
class CallHistory {
  private readonly counts = new Map<number, number>();

  count(nowSecond: number, windowSeconds: number): number {
    let total = 0;
    for (const [second, n] of this.counts) if (second > nowSecond - windowSeconds) total += n;
    return total;
  }

  /** Seconds until the count in the window falls below `limit`. */
  secondsUntilBelow(nowSecond: number, windowSeconds: number, limit: number): number {
    const inWindow = [...this.counts]
      .filter(([second]) => second > nowSecond - windowSeconds)
      .sort(([a], [b]) => a - b);
    let remaining = inWindow.reduce((sum, [, n]) => sum + n, 0);
    for (const [second, n] of inWindow) {
      remaining -= n;
      if (remaining < limit) return second + windowSeconds - nowSecond;
    }
    return 1;
  }

  record(nowSecond: number): void {
    this.counts.set(nowSecond, (this.counts.get(nowSecond) ?? 0) + 1);
    for (const second of this.counts.keys())
      if (second <= nowSecond - 3600) this.counts.delete(second);
  }
}

export class DefenderQuotas {
  private readonly histories = new Map<string, CallHistory>();

  constructor(
    private readonly scale: number,
    private readonly now: () => number = Date.now,
  ) {}

  scaled(quota: DefenderQuota): DefenderQuota {
    return {
      perMinute: Math.max(1, Math.round(quota.perMinute * this.scale)),
      perHour: Math.max(1, Math.round(quota.perHour * this.scale)),
    };
  }

  /** Counts the call, or refuses it without counting. */
  take(key: string, quota: DefenderQuota): QuotaRefusal | undefined {
    const limits = this.scaled(quota);
    const nowSecond = Math.floor(this.now() / 1000);
    let history = this.histories.get(key);
    if (!history) this.histories.set(key, (history = new CallHistory()));
    for (const w of WINDOWS) {
      const limit = w.limit(limits);
      if (history.count(nowSecond, w.seconds) >= limit)
        return {
          retryAfterSeconds: Math.max(1, history.secondsUntilBelow(nowSecond, w.seconds, limit)),
          limit,
          window: w.label,
        };
    }
    history.record(nowSecond);
    return undefined;
  }
}

/** Graph's per-request resource-unit cost (graph-api.md §7). */
export function graphRequestCost(route: string, query: URLSearchParams): number {
  const base = route.endsWith('/transitiveMembers')
    ? 5
    : route.endsWith('/members')
      ? 3
      : /\/(users|devices)$/.test(route)
        ? 2
        : 1;
  const top = Number(query.get('$top') ?? '100');
  const cost =
    base - (query.has('$select') ? 1 : 0) + (query.has('$expand') ? 1 : 0) - (top < 20 ? 1 : 0);
  return Math.max(1, cost);
}

/** Bucket size per 10 s by tenant size: S (<50 users), M (50–500), L (>500). */
export function graphBucketSize(userCount: number): number {
  return userCount < 50 ? 3500 : userCount <= 500 ? 5000 : 8000;
}

export class GraphResourceUnits {
  private readonly buckets = new Map<string, { units: number; at: number }>();

  constructor(
    private readonly scale: number,
    private readonly now: () => number = Date.now,
  ) {}

  take(key: string, cost: number, bucketSize: number): QuotaRefusal | undefined {
    const capacity = Math.max(1, Math.round(bucketSize * this.scale));
    const refillPerMs = capacity / 10_000;
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { units: capacity, at: now };
    bucket.units = Math.min(capacity, bucket.units + (now - bucket.at) * refillPerMs);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.units < cost)
      return {
        retryAfterSeconds: Math.max(1, Math.ceil((cost - bucket.units) / refillPerMs / 1000)),
        limit: capacity,
        window: '00:00:10',
      };
    bucket.units -= cost;
    return undefined;
  }
}

interface CpuWindow {
  ms: number;
  label: string;
  /** CPU time allowed in the window at scale 1. */
  allowedMs: number;
}

/** Advanced Hunting's CPU quota: 10 min per hour and 3 h per day per tenant (defender-api.md §4.12). */
const CPU_WINDOWS: CpuWindow[] = [
  { ms: 3_600_000, label: '01:00:00', allowedMs: 600_000 },
  { ms: 86_400_000, label: '1.00:00:00', allowedMs: 10_800_000 },
];

/** CPU time spent per key, checked before a query runs and charged once it has. */
export class HuntingCpuQuota {
  private readonly spent = new Map<string, { at: number; ms: number }[]>();

  constructor(
    private readonly scale: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** A refusal when a window's CPU is used up; `limit` is the allowed CPU in whole seconds. */
  check(key: string): QuotaRefusal | undefined {
    const now = this.now();
    const log = (this.spent.get(key) ?? []).filter((s) => s.at > now - CPU_WINDOWS[1]!.ms);
    this.spent.set(key, log);
    for (const w of CPU_WINDOWS) {
      const allowed = w.allowedMs * this.scale;
      const inWindow = log.filter((s) => s.at > now - w.ms);
      let used = inWindow.reduce((sum, s) => sum + s.ms, 0);
      if (used < allowed) continue;
      // Wait until enough of the oldest spending leaves the window.
      let freeAt = now;
      for (const s of inWindow) {
        used -= s.ms;
        freeAt = s.at + w.ms;
        if (used < allowed) break;
      }
      return {
        retryAfterSeconds: Math.max(1, Math.ceil((freeAt - now) / 1000)),
        limit: Math.round(allowed / 1000),
        window: w.label,
      };
    }
    return undefined;
  }

  charge(key: string, cpuMs: number): void {
    const log = this.spent.get(key) ?? [];
    log.push({ at: this.now(), ms: cpuMs });
    this.spent.set(key, log);
  }
}
