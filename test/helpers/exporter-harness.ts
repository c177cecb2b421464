// What exporter tests share: captured pino lines, counters read back from Telemetry, and
// envelopes whose settlement can be inspected.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { Exporter, ExporterFactory } from '../../src/pipeline/component.js';
import { createEnvelope, receiverContext, type EnvelopeContext } from '../../src/pipeline/envelope.js';
import type { Signal, SignalData } from '../../src/pdata/types.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { VirtualClock } from './virtual-time.js';

/** A pino destination keeping every line, parsed. */
export class LogCapture extends Writable {
  readonly lines: Array<Record<string, unknown>> = [];
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    for (const line of chunk.toString().split('\n')) if (line) this.lines.push(JSON.parse(line) as Record<string, unknown>);
    done();
  }
}

/** The value of a counter for one exporter id (0 when never incremented). */
export async function exporterCounter(telemetry: Telemetry, name: string, id: string): Promise<number> {
  const metric = telemetry.registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values.find((v) => v.labels.exporter === id)?.value ?? 0;
}

export interface Outcome {
  state: 'pending' | 'acked' | 'nacked';
  error?: Error;
}

/** Hands `data` to the exporter in a fresh envelope and reports how it was settled. */
export function submit<S extends Signal>(exporter: Exporter, signal: S, data: SignalData[S], context: EnvelopeContext = receiverContext('otlp')): Outcome {
  const outcome: Outcome = { state: 'pending' };
  exporter.consume(
    createEnvelope(signal, data, context, {
      ack: () => (outcome.state = 'acked'),
      nack: (err) => {
        outcome.state = 'nacked';
        outcome.error = err;
      },
    }),
  );
  return outcome;
}

export interface ExporterHarness {
  id: string;
  clock: VirtualClock;
  telemetry: Telemetry;
  logs: LogCapture;
  exporter: Exporter;
  counter(name: string): Promise<number>;
}

/** Validates `config` with the factory's schema (failing on any issue), creates and starts the exporter on virtual time. */
export async function startExporter<C>(factory: ExporterFactory<C>, id: string, signal: Signal, config: Record<string, unknown>): Promise<ExporterHarness> {
  const ctx = { issues: [] };
  const parsed = factory.schema.parse(config, ctx);
  assert.deepEqual(ctx.issues, []);
  const clock = new VirtualClock();
  const telemetry = new Telemetry();
  const logs = new LogCapture();
  const exporter = factory.create({ id, kind: 'exporter', logger: createLogger('debug', logs), telemetry, scheduler: clock.scheduler, reportStatus: () => {}, extension: () => undefined }, parsed!, signal);
  await exporter.start();
  return { id, clock, telemetry, logs, exporter, counter: (name) => exporterCounter(telemetry, name, id) };
}

/**
 * Advances virtual time in `stepMs` steps, letting real I/O run in between, until `outcome` is
 * settled: a retry's timer is only scheduled once the failed reply has arrived over the socket,
 * which a single advance may come too early for.
 */
export async function settleWithRetries(h: ExporterHarness, outcome: Outcome, stepMs: number, maxSteps = 200): Promise<void> {
  for (let i = 0; i < maxSteps && outcome.state === 'pending'; i++) {
    await h.clock.advance(stepMs);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.notEqual(outcome.state, 'pending', `still pending after ${maxSteps} steps of ${stepMs} ms`);
}
