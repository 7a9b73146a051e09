import { vi } from 'vitest';
import { ManualClock } from '../../src/scheduler/index.js';

/**
 * The scheduler reads the store's sync times, which the store stamps with Date.now: the test
 * fakes only Date (`vi.useFakeTimers({ toFake: ['Date'] })`; timers stay real for the drivers and
 * the emulator), and this manual clock follows it.
 */
export function testClock(): { clock: ManualClock; advance(ms: number): void } {
  const clock = new ManualClock(Date.now());
  return {
    clock,
    advance(ms) {
      vi.setSystemTime(Date.now() + ms);
      clock.set(Date.now());
    },
  };
}
