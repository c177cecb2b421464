// Fan-out with copy-on-mutate: read-only branches share the data; a mutating branch gets its own
// clone unless it is the only one left that could see the original.
import { deepClone } from '../pdata/clone.js';
import type { Consumer } from './component.js';
import { AckJoin, deriveEnvelope, type Envelope } from './envelope.js';

export function fanOut(consumers: readonly Consumer[]): Consumer {
  if (consumers.length === 1) return consumers[0]!;
  const anyReadOnly = consumers.some((c) => !c.mutates);
  // When every branch mutates, the last one may keep the original.
  const clone = consumers.map((c, i) => c.mutates && (anyReadOnly || i < consumers.length - 1));
  return {
    // When every branch mutates, the last changes the very data it was given.
    mutates: !anyReadOnly,
    consume(envelope: Envelope): void {
      const join = new AckJoin(envelope);
      for (let i = 0; i < consumers.length; i++) {
        const data = clone[i] ? deepClone(envelope.data) : envelope.data;
        // The received encoding goes only where the data stays as it is.
        const child = deriveEnvelope(envelope, data, join.retain(), envelope.bytes, consumers[i]!.mutates ? undefined : envelope.otlp);
        deliver(consumers[i]!, child);
      }
      join.release();
    },
  };
}

/** Hands an envelope on; a consumer that throws has failed that envelope, not the pipeline. */
export function deliver(consumer: Consumer, envelope: Envelope): void {
  try {
    consumer.consume(envelope);
  } catch (err) {
    envelope.nack(err instanceof Error ? err : new Error(String(err)));
  }
}
