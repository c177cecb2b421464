// Bounded polling for end-to-end tests: real servers settle on their own schedule, so we wait
// for a condition with a generous limit instead of asserting on elapsed time.
import { setTimeout as sleep } from 'node:timers/promises';

export async function waitUntil(condition: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
  const limit = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > limit) throw new Error(`timed out waiting: ${describe()}`);
    await sleep(20);
  }
}
