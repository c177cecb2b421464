// A test sink built on sluice's own otlp receiver: records what arrives, per signal.
import { asyncScheduler } from 'rxjs';
import { otlpReceiverFactory, type OtlpReceiver } from '../../src/receivers/otlp/factory.js';
import type { Consumer } from '../../src/pipeline/component.js';
import type { Envelope } from '../../src/pipeline/envelope.js';
import type { Signal, SignalData } from '../../src/pdata/types.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { waitUntil } from './wait.js';

export interface Sink {
  grpcPort: number;
  httpPort: number;
  received: { [S in Signal]: Array<{ data: SignalData[S]; metadata: ReadonlyMap<string, readonly string[]> }> };
  items: Record<Signal, number>;
  /** How the sink answers: ack by default; tests may swap in a failure or a delay. */
  answer: (envelope: Envelope) => void;
  waitForItems(signal: Signal, count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startSink(options: { grpcPort?: number; includeMetadata?: boolean } = {}): Promise<Sink> {
  const sink = {
    received: { traces: [], metrics: [], logs: [] },
    items: { traces: 0, metrics: 0, logs: 0 },
    answer: (e: Envelope) => e.ack(),
  } as unknown as Sink;
  const consumer = (signal: Signal): Consumer => ({
    mutates: false,
    consume(envelope) {
      (sink.received[signal] as Array<{ data: unknown; metadata: ReadonlyMap<string, readonly string[]> }>).push({
        data: envelope.data,
        metadata: envelope.context.metadata,
      });
      sink.items[signal] += envelope.items;
      sink.answer(envelope);
    },
  });
  const config = otlpReceiverFactory.schema.parse(
    {
      protocols: {
        grpc: { endpoint: `127.0.0.1:${options.grpcPort ?? 0}`, include_metadata: options.includeMetadata ?? true },
        http: { endpoint: '127.0.0.1:0', include_metadata: options.includeMetadata ?? true },
      },
    },
    { issues: [] },
  );
  const receiver = otlpReceiverFactory.create(
    { id: 'otlp/sink', kind: 'receiver', logger: createLogger('silent'), telemetry: new Telemetry(), scheduler: asyncScheduler, reportStatus: () => {}, extension: () => undefined },
    config!,
    { traces: consumer('traces'), metrics: consumer('metrics'), logs: consumer('logs') },
  ) as OtlpReceiver;
  await receiver.start();
  const ports = receiver.ports();
  sink.grpcPort = ports.grpc!;
  sink.httpPort = ports.http!;
  sink.waitForItems = (signal, count, timeoutMs = 20_000) =>
    waitUntil(() => sink.items[signal] >= count, timeoutMs, () => `sink has ${sink.items[signal]} of ${count} ${signal} items`);
  sink.close = () => receiver.shutdown(Date.now() + 2000);
  return sink;
}
