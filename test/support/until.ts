/** Waiting on state another process changes: no event reaches the test, so the store is polled. */
import { setTimeout as sleep } from 'node:timers/promises';

/** Reads until `done` holds (every 200 ms, at most 60 s); the timeout names `what` and the last value. */
export async function until<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await sleep(200);
  }
}
