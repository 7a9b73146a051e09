import { setTimeout as sleep } from 'node:timers/promises';
import type { QuotaWindow } from './endpoints.js';

/**
 * Client-side pacing: one sliding-window log per bucket, checked against every window (per minute
 * and per hour), so a full sync stays under Microsoft's quotas instead of relying on 429s.
 */
export class SlidingWindowLimiter {
  private readonly times: number[] = [];
  private readonly costs: number[] = [];
  /** Per window: index of its oldest entry still inside it, and the cost summed from there. */
  private readonly starts: number[];
  private readonly sums: number[];
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly windows: QuotaWindow[],
    private readonly now: () => number = Date.now,
    private readonly wait: (ms: number) => Promise<unknown> = sleep,
  ) {
    this.starts = windows.map(() => 0);
    this.sums = windows.map(() => 0);
  }

  /** Resolves when `cost` units fit in every window; callers are served in arrival order. */
  acquire(cost = 1): Promise<void> {
    const turn = this.queue.then(() => this.waitForRoom(cost));
    this.queue = turn;
    return turn;
  }

  private async waitForRoom(cost: number): Promise<void> {
    for (;;) {
      const delay = this.delayFor(cost, this.now());
      if (delay <= 0) break;
      await this.wait(delay);
    }
    this.times.push(this.now());
    this.costs.push(cost);
    for (let w = 0; w < this.windows.length; w++) this.sums[w]! += cost;
    this.compact();
  }

  /** Milliseconds until `cost` more units fit in every window (0 = now). */
  private delayFor(cost: number, now: number): number {
    let delay = 0;
    for (const [w, { limit, windowMs }] of this.windows.entries()) {
      while (
        this.starts[w]! < this.times.length &&
        this.times[this.starts[w]!]! <= now - windowMs
      ) {
        this.sums[w]! -= this.costs[this.starts[w]!]!;
        this.starts[w]!++;
      }
      let excess = this.sums[w]! + cost - limit;
      // The entry whose expiry frees enough units decides the wait.
      for (let i = this.starts[w]!; excess > 0 && i < this.times.length; i++) {
        excess -= this.costs[i]!;
        if (excess <= 0) delay = Math.max(delay, this.times[i]! + windowMs - now + 1);
      }
    }
    return delay;
  }

  private compact(): void {
    const drop = Math.min(...this.starts);
    if (drop < 4096 || drop * 2 < this.times.length) return;
    this.times.splice(0, drop);
    this.costs.splice(0, drop);
    for (let w = 0; w < this.starts.length; w++) this.starts[w]! -= drop;
  }
}

/** One limiter per bucket; a bucket without a quota is not paced. */
export class Pacer {
  private readonly limiters = new Map<string, SlidingWindowLimiter>();

  constructor(quotas: Record<string, QuotaWindow[]>) {
    for (const [bucket, windows] of Object.entries(quotas)) {
      // Headroom: the server stamps arrival, we stamp departure, and latencies differ (a new
      // TLS connection can delay one request by tens of milliseconds).
      const padded = windows.map((w) => ({
        limit: w.limit,
        windowMs: w.windowMs + Math.max(250, Math.ceil(w.windowMs * 0.02)),
      }));
      this.limiters.set(bucket, new SlidingWindowLimiter(padded));
    }
  }

  acquire(bucket: string, cost = 1): Promise<void> {
    return this.limiters.get(bucket)?.acquire(cost) ?? Promise.resolve();
  }
}
