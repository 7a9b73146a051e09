import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock, systemClock } from '../../src/scheduler/index.js';

/** Settles pending promise callbacks, so a sleep that resolved has run its `then`. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Starts a sleep and reports whether it has resolved yet. */
function track(promise: Promise<void>): { woke: () => boolean } {
  let woke = false;
  void promise.then(() => {
    woke = true;
  });
  return { woke: () => woke };
}

describe('ManualClock', () => {
  it('reads the time it was given and moves only by set and advance', () => {
    const clock = new ManualClock(1_000);
    expect(clock.now()).toBe(1_000);
    clock.advance(250);
    expect(clock.now()).toBe(1_250);
    clock.set(5_000);
    expect(clock.now()).toBe(5_000);
  });

  it('wakes a sleeper exactly when its time comes, not a millisecond before', async () => {
    const clock = new ManualClock(1_000);
    const sleep = track(clock.sleep(500, new AbortController().signal));
    clock.advance(499);
    await settle();
    expect(sleep.woke()).toBe(false);
    clock.advance(1);
    await settle();
    expect(sleep.woke()).toBe(true);
  });

  it('wakes only the sleepers whose time came, each once, and forgets them', async () => {
    const clock = new ManualClock(0);
    const signal = new AbortController().signal;
    const short = track(clock.sleep(100, signal));
    const long = track(clock.sleep(300, signal));
    clock.set(200);
    await settle();
    expect([short.woke(), long.woke()]).toEqual([true, false]);
    clock.set(300);
    await settle();
    expect([short.woke(), long.woke()]).toEqual([true, true]);
  });

  it('resolves at once when the signal is already aborted, and early when it aborts', async () => {
    const clock = new ManualClock(0);
    const aborted = new AbortController();
    aborted.abort();
    const before = track(clock.sleep(1_000, aborted.signal));
    await settle();
    expect(before.woke()).toBe(true);

    const controller = new AbortController();
    const during = track(clock.sleep(1_000, controller.signal));
    await settle();
    expect(during.woke()).toBe(false);
    controller.abort();
    await settle();
    expect(during.woke()).toBe(true);
  });

  it('a woken sleeper stops listening on the signal and is never woken again', () => {
    const clock = new ManualClock(0);
    const controller = new AbortController();
    const add = vi.spyOn(controller.signal, 'addEventListener');
    const remove = vi.spyOn(controller.signal, 'removeEventListener');
    void clock.sleep(1_000, controller.signal);
    clock.advance(1_000);
    clock.advance(1_000);
    expect(add.mock.calls.map((call) => [call[0], call[2]])).toEqual([['abort', { once: true }]]);
    expect(remove.mock.calls.map((call) => [call[0], call[1]])).toEqual([
      ['abort', add.mock.calls[0]?.[1]],
    ]);

    const aborted = new AbortController();
    const removeAborted = vi.spyOn(aborted.signal, 'removeEventListener');
    void clock.sleep(1_000, aborted.signal);
    aborted.abort();
    clock.advance(1_000);
    expect(removeAborted).toHaveBeenCalledTimes(1);
  });
});

describe('systemClock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reads Date.now', () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 123_456 });
    expect(systemClock.now()).toBe(123_456);
  });

  it('sleeps exactly the given time on the timers, not a millisecond less', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const sleep = track(systemClock.sleep(500, new AbortController().signal));
    await vi.advanceTimersByTimeAsync(499);
    expect(sleep.woke()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(sleep.woke()).toBe(true);
  });

  it('resolves at once when the signal is already aborted, and early when it aborts', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const aborted = new AbortController();
    aborted.abort();
    const before = track(systemClock.sleep(1_000, aborted.signal));
    await vi.advanceTimersByTimeAsync(0);
    expect(before.woke()).toBe(true);
    expect(vi.getTimerCount()).toBe(0);

    const controller = new AbortController();
    const during = track(systemClock.sleep(1_000, controller.signal));
    await vi.advanceTimersByTimeAsync(0);
    expect(during.woke()).toBe(false);
    controller.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(during.woke()).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stops listening on the signal once the time is up', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const controller = new AbortController();
    const add = vi.spyOn(controller.signal, 'addEventListener');
    const remove = vi.spyOn(controller.signal, 'removeEventListener');
    const sleep = systemClock.sleep(1_000, controller.signal);
    await vi.advanceTimersByTimeAsync(1_000);
    await sleep;
    expect(add.mock.calls.map((call) => [call[0], call[2]])).toEqual([['abort', { once: true }]]);
    expect(remove.mock.calls.map((call) => [call[0], call[1]])).toEqual([
      ['abort', add.mock.calls[0]?.[1]],
    ]);
  });
});
