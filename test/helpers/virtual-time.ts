// Drives a VirtualTimeScheduler from async tests. Code under test mixes scheduler timers with
// promises, so after every timer we let pending microtasks and I/O callbacks run before the next
// one fires; otherwise a timer scheduled from a promise continuation would be missed.
import { VirtualTimeScheduler } from 'rxjs';

/** Lets queued promise continuations (and anything they chain) run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export class VirtualClock {
  readonly scheduler = new VirtualTimeScheduler();

  now(): number {
    return this.scheduler.now();
  }

  /** Runs every timer due within the next `ms`, one at a time, settling in between; ends exactly `ms` later. */
  async advance(ms: number): Promise<void> {
    const target = this.scheduler.frame + ms;
    await settle();
    for (let next = this.scheduler.actions[0]; next && next.delay <= target; next = this.scheduler.actions[0]) {
      this.scheduler.maxFrames = next.delay;
      this.scheduler.flush();
      await settle();
    }
    this.scheduler.frame = target;
    this.scheduler.maxFrames = Infinity;
  }

  /** Advances to the next pending timer (if any) and returns the virtual time it fired at. */
  async next(): Promise<number | undefined> {
    await settle();
    const next = this.scheduler.actions[0];
    if (!next) return undefined;
    await this.advance(next.delay - this.scheduler.frame);
    return this.scheduler.frame;
  }
}
