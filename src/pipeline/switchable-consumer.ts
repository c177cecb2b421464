// A receiver's hand-off point into the pipelines. A receiver kept across a reload keeps its
// sockets and its instance, so what it hands data to has to change under it: the service points
// this at the new graph's pipeline entries in one synchronous step, so every request goes wholly
// to the old graph or wholly to the new one.
import type { Consumer } from './component.js';
import type { Envelope } from './envelope.js';

export class SwitchableConsumer implements Consumer {
  constructor(private target: Consumer) {}

  get mutates(): boolean {
    return this.target.mutates;
  }

  consume(envelope: Envelope): void {
    this.target.consume(envelope);
  }

  /** Envelopes consumed from now on go to `target`; those already handed on stay where they went. */
  switchTo(target: Consumer): void {
    this.target = target;
  }
}
