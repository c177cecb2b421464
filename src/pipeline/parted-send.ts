// For exporters whose backend takes one batch as several requests (per tenant, per resource, per
// size limit). The exporter helper retries a failed batch with the same data object, so keeping
// the parts and how far the last attempt got lets a retry resume at the part that failed: accepted
// parts are not sent twice (the backend would store them twice), a translation with state
// (cumulative to delta) runs once per batch, and a part refused for good does not hold back the
// ones after it.
import { isRetryable, PermanentError } from './errors.js';

interface Progress<P> {
  parts: P[];
  /** Index of the first part not yet accepted or refused. */
  next: number;
  rejected: number;
  error?: string;
}

export class PartedSend<P> {
  private readonly progress = new WeakMap<object, Progress<P>>();

  /** `itemsOf` counts a part's spans, points or records, for the refusal's item count. */
  constructor(private readonly itemsOf: (part: P) => number) {}

  /**
   * Sends `data` as the parts `split` makes of it (called once per batch), one `post` each. A
   * retryable failure is rethrown with the progress kept; permanent ones are collected and thrown
   * together at the end, with the number of items refused.
   */
  async send(data: object, split: () => P[], post: (part: P) => Promise<void>): Promise<void> {
    let progress = this.progress.get(data);
    if (!progress) this.progress.set(data, (progress = { parts: split(), next: 0, rejected: 0 }));
    for (; progress.next < progress.parts.length; progress.next++) {
      const part = progress.parts[progress.next]!;
      try {
        await post(part);
      } catch (err) {
        if (isRetryable(err)) throw err;
        progress.rejected += this.itemsOf(part);
        progress.error ??= (err as Error).message;
      }
    }
    this.progress.delete(data);
    if (progress.rejected > 0) throw new PermanentError(progress.error!, progress.rejected);
  }
}
