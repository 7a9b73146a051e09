import { setTimeout as sleep } from 'node:timers/promises';
import type { QuotaWindow } from './endpoints.js';

/** Marks a paced request answered: its slot is then counted from that moment. */
export type ReleaseSlot = () => void;

interface Slot {
  /** When the slot leaves every window's reckoning starts: departure, then the answer. */
  time: number;
  cost: number;
}

/**
 * Client-side pacing: one sliding-window log per bucket, checked against every window (per minute
 * and per hour), so a full sync stays under Microsoft's quotas instead of relying on 429s.
 *
 * The server counts a request when it arrives, which is somewhere between our departure and the
 * answer. A slot is therefore stamped again when its answer comes (`release`): a later request
 * waits for a full window after that, so it cannot land in the same server window even when the
 * server was slow to take the earlier one in.
 */
export class SlidingWindowLimiter {
  private readonly slots: Slot[] = [];
  /** Per window: index of its oldest slot still inside it, and the cost summed from there. */
  private readonly starts: number[];
  private readonly sums: number[];
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly windows: QuotaWindow[],
    private readonly now: () => number = Date.now,
    private readonly wait: (ms: number) => Promise<unknown> = sleep,
  ) {
    this.starts = windows.map(() => 0);
    this.sums = windows.map(() => 0);
  }

  /** Resolves when `cost` units fit in every window; callers are served in arrival order. */
  acquire(cost = 1): Promise<ReleaseSlot> {
    const turn = this.queue.then(() => this.waitForRoom(cost));
    this.queue = turn;
    return turn;
  }

  private async waitForRoom(cost: number): Promise<ReleaseSlot> {
    for (;;) {
      const delay = this.delayFor(cost, this.now());
      if (delay <= 0) break;
      await this.wait(delay);
    }
    const slot: Slot = { time: this.now(), cost };
    this.slots.push(slot);
    for (let w = 0; w < this.windows.length; w++) this.sums[w]! += cost;
    this.compact();
    return () => {
      slot.time = Math.max(slot.time, this.now());
    };
  }

  /** Milliseconds until `cost` more units fit in every window (0 = now). */
  private delayFor(cost: number, now: number): number {
    let delay = 0;
    for (const [w, { limit, windowMs }] of this.windows.entries()) {
      // Slots leave in order; one answered late holds those behind it (never too early).
      while (
        this.starts[w]! < this.slots.length &&
        this.slots[this.starts[w]!]!.time <= now - windowMs
      ) {
        this.sums[w]! -= this.slots[this.starts[w]!]!.cost;
        this.starts[w]!++;
      }
      let excess = this.sums[w]! + cost - limit;
      let latest = -Infinity;
      // Enough of the oldest slots must leave: wait for the latest-stamped among them.
      for (let i = this.starts[w]!; excess > 0 && i < this.slots.length; i++) {
        excess -= this.slots[i]!.cost;
        latest = Math.max(latest, this.slots[i]!.time);
        if (excess <= 0) delay = Math.max(delay, latest + windowMs - now + 1);
      }
    }
    return delay;
  }

  private compact(): void {
    const drop = Math.min(...this.starts);
    if (drop < 4096 || drop * 2 < this.slots.length) return;
    this.slots.splice(0, drop);
    for (let w = 0; w < this.starts.length; w++) this.starts[w]! -= drop;
  }
}

/** One limiter per bucket; a bucket without a quota is not paced. */
export class Pacer {
  private readonly limiters = new Map<string, SlidingWindowLimiter>();

  /** `onWait` hears every pause for a quota (a progress display shows it). */
  constructor(
    quotas: Record<string, QuotaWindow[]>,
    onWait?: (bucket: string, waitMs: number) => void,
  ) {
    for (const [bucket, windows] of Object.entries(quotas)) {
      // A little headroom for clocks and servers that count in whole seconds.
      const padded = windows.map((w) => ({
        limit: w.limit,
        windowMs: w.windowMs + Math.max(250, Math.ceil(w.windowMs * 0.02)),
      }));
      const wait = (ms: number) => {
        onWait?.(bucket, ms);
        return sleep(ms);
      };
      this.limiters.set(bucket, new SlidingWindowLimiter(padded, Date.now, wait));
    }
  }

  /** Waits for room in the bucket; call the returned function when the answer arrives. */
  acquire(bucket: string, cost = 1): Promise<ReleaseSlot> {
    return this.limiters.get(bucket)?.acquire(cost) ?? Promise.resolve(() => undefined);
  }
}

/**
 * The least time `calls` requests take under `windows` when sent as fast as they allow: call k
 * (from 0) cannot leave before ⌊k / limit⌋ whole windows have passed, in every window.
 */
export function minimumDurationMs(calls: number, windows: QuotaWindow[]): number {
  if (calls <= 0) return 0;
  return Math.max(0, ...windows.map((w) => Math.floor((calls - 1) / w.limit) * w.windowMs));
}
