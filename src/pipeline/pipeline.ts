// A pipeline: one signal, an ordered chain of processors (RxJS operators), then its fan-out.
// The source Subject is not a buffer: next() runs the chain synchronously, and every stage that
// holds data does so in a bounded buffer of its own. Processors run on the processor helper,
// which contains their failures, so the chain itself does not fail.
import { Subject, type Subscription } from 'rxjs';
import type { Logger } from 'pino';
import type { Signal } from '../pdata/types.js';
import type { Consumer, Processor } from './component.js';
import type { Envelope } from './envelope.js';
import { RetryableError } from './errors.js';
import { deliver } from './fanout.js';

export class Pipeline implements Consumer {
  readonly mutates: boolean;
  private readonly source = new Subject<Envelope>();
  private subscription: Subscription | undefined;
  private closed = false;
  private drained: Promise<void> = Promise.resolve();

  constructor(
    readonly id: string,
    readonly signal: Signal,
    private readonly processors: readonly Processor[],
    processorsMutate: boolean,
    private readonly next: Consumer,
    private readonly logger: Logger,
  ) {
    this.mutates = processorsMutate;
  }

  start(): void {
    const chained = this.processors.reduce((stream, p) => stream.pipe(p.operator), this.source.asObservable());
    this.drained = new Promise<void>((resolve) => {
      this.subscription = chained.subscribe({
        next: (envelope) => deliver(this.next, envelope),
        complete: () => resolve(),
        error: (err: unknown) => {
          this.logger.error({ err, pipeline: this.id }, 'processor chain failed; the pipeline stops taking data');
          this.closed = true;
          resolve();
        },
      });
    });
  }

  consume(envelope: Envelope): void {
    if (this.closed) {
      envelope.nack(new RetryableError(`pipeline ${this.id} is shutting down`));
      return;
    }
    this.source.next(envelope);
  }

  /** Stops admission and completes the chain so processors flush what they hold; resolves once they have. */
  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.source.complete();
    }
    return this.drained;
  }

  dispose(): void {
    this.subscription?.unsubscribe();
  }
}
