import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Subject, VirtualTimeScheduler } from 'rxjs';
import type { CreateSettings } from '../../src/pipeline/component.js';
import { createEnvelope, receiverContext, type Envelope } from '../../src/pipeline/envelope.js';
import { PermanentError, RetryableError } from '../../src/pipeline/errors.js';
import { processorOperator, statelessProcessor, type ProcessorOutput } from '../../src/pipeline/processor-helper.js';
import type { TracesData } from '../../src/pdata/types.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { LogCapture } from '../helpers/exporter-harness.js';

function settingsWith() {
  const scheduler = new VirtualTimeScheduler();
  const telemetry = new Telemetry();
  const capture = new LogCapture();
  const settings: CreateSettings = { id: 'p', kind: 'processor', logger: createLogger('error', capture), telemetry, scheduler, reportStatus: () => {}, extension: () => undefined };
  /** The logged messages so far; pino writes asynchronously, so read after a turn of the event loop. */
  const logs = async () => {
    await new Promise((resolve) => setImmediate(resolve));
    return capture.lines;
  };
  return { settings, scheduler, telemetry, logs };
}

const spans = (...names: string[]): TracesData => ({
  resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans: names.map((name) => ({ name, traceId: new Uint8Array(16), spanId: new Uint8Array(8) }) as never) }] }],
});

function request(data: TracesData, context = receiverContext('otlp')) {
  const outcome: string[] = [];
  const envelope = createEnvelope('traces', data, context, { ack: () => outcome.push('ack'), nack: (e) => outcome.push(`${e.name}: ${e.message}`) });
  return { envelope, outcome };
}

function run(operator: ReturnType<typeof processorOperator>) {
  const input = new Subject<Envelope>();
  const out: Envelope[] = [];
  const subscription = input.pipe(operator).subscribe({ next: (e) => out.push(e), error: (err) => assert.fail(`the stream failed: ${err}`) });
  return { input, out, subscription };
}

test('a throw fails that one request with a permanent error naming the processor; the next request is served', async () => {
  const { settings, telemetry, logs } = settingsWith();
  const p = statelessProcessor(settings, 'traces', (data) => {
    if (data.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.name === 'bad') throw new TypeError('cannot read x of undefined');
    return data;
  });
  const h = run(p.operator);
  const bad = request(spans('bad', 'also'));
  const good = request(spans('good'));
  h.input.next(bad.envelope);
  h.input.next(good.envelope);
  assert.deepEqual(bad.outcome, ['PermanentError: processor p failed on this request: cannot read x of undefined']);
  assert.deepEqual(h.out, [good.envelope]);
  assert.equal(h.subscription.closed, false);
  const text = await telemetry.render();
  assert.match(text, /sluice_processor_failed_items\{processor="p",otel_signal="traces"\} 2/);
  assert.match(text, /otelcol_processor_incoming_items\{processor="p",otel_signal="traces"\} 3/);
  assert.match(text, /otelcol_processor_outgoing_items\{processor="p",otel_signal="traces"\} 1/);
  assert.equal((await logs()).filter((l) => String(l.msg).includes('processor failed')).length, 1);
});

test('failures are logged once per interval however many there are, each counted', async () => {
  const { settings, scheduler, telemetry, logs } = settingsWith();
  const p = statelessProcessor(settings, 'traces', () => {
    throw new Error('boom');
  });
  const h = run(p.operator);
  for (let i = 0; i < 5; i++) h.input.next(request(spans('a')).envelope);
  scheduler.frame = 10_000;
  h.input.next(request(spans('a')).envelope);
  const failures = (await logs()).filter((l) => String(l.msg).includes('processor failed'));
  assert.equal(failures.length, 2);
  assert.equal(failures[1]!.failures_since_last_log, 4);
  assert.match(await telemetry.render(), /sluice_processor_failed_items\{processor="p",otel_signal="traces"\} 6/);
});

test('a deliberate refusal reaches the sender as it is and is counted as refused', async () => {
  const { settings, telemetry } = settingsWith();
  const p = statelessProcessor(settings, 'traces', () => {
    throw new RetryableError('full', 500);
  });
  const h = run(p.operator);
  const r = request(spans('a'));
  h.input.next(r.envelope);
  assert.deepEqual(r.outcome, ['RetryableError: full']);
  assert.match(await telemetry.render(), /otelcol_processor_refused_spans\{processor="p"\} 1/);
});

test('returning nothing, or data with no items left, acknowledges the request', () => {
  const { settings } = settingsWith();
  const drop = run(statelessProcessor(settings, 'traces', () => undefined).operator);
  const a = request(spans('a'));
  drop.input.next(a.envelope);
  assert.deepEqual(a.outcome, ['ack']);
  const empty = run(statelessProcessor(settings, 'traces', (data) => ((data.resourceSpans = []), data)).operator);
  const b = request(spans('b'));
  empty.input.next(b.envelope);
  assert.deepEqual(b.outcome, ['ack']);
  assert.deepEqual([...drop.out, ...empty.out], []);
});

test('what a processor releases later carries the context it is given; a refusal of standalone data is counted as dropped', async () => {
  const { settings, scheduler, telemetry } = settingsWith();
  const held: { data: TracesData; context: Envelope['context'] }[] = [];
  const operator = processorOperator(settings, 'traces', {
    process: ({ data, context }) => {
      held.push({ data, context });
      return undefined;
    },
    open: (out: ProcessorOutput<'traces'>) => {
      const timer = out.every(1000, () => {
        for (const h of held.splice(0)) out.emit(h.data, h.context);
      });
      return () => timer.unsubscribe();
    },
  });
  const h = run(operator);
  const tenant = receiverContext('otlp', 'http', new Map([['x-tenant', ['acme']]]), 'acme');
  const r = request(spans('a', 'b'), tenant);
  h.input.next(r.envelope);
  assert.deepEqual(r.outcome, ['ack'], 'held data is acknowledged once it is held');
  scheduler.maxFrames = 1000;
  scheduler.flush();
  assert.equal(h.out.length, 1);
  assert.equal(h.out[0]!.context, tenant);
  assert.equal(h.out[0]!.items, 2);
  h.out[0]!.nack(new PermanentError('backend refused'));
  assert.match(await telemetry.render(), /otelcol_processor_dropped_spans\{processor="p"\} 2/);
});

test('a throw in a timer task is contained: the timer keeps running and the stream stays open', async () => {
  const { settings, scheduler, logs } = settingsWith();
  let runs = 0;
  const operator = processorOperator(settings, 'traces', {
    process: ({ data }) => data,
    open: (out) => {
      const timer = out.every(1000, () => {
        runs++;
        throw new Error('tick failed');
      });
      return () => timer.unsubscribe();
    },
  });
  const h = run(operator);
  scheduler.maxFrames = 3000;
  scheduler.flush();
  assert.equal(runs, 3);
  assert.equal(h.subscription.closed, false);
  assert.equal((await logs()).filter((l) => l.stage === 'timer').length, 1);
});

test('at completion the processor flushes what it holds before the stream completes', () => {
  const { settings } = settingsWith();
  let pending: TracesData | undefined;
  const operator = processorOperator(settings, 'traces', {
    process: ({ data }) => ((pending = data), undefined),
    flush: (out) => pending && out.emit(pending, receiverContext('p')),
  });
  const input = new Subject<Envelope>();
  const out: Envelope[] = [];
  let completed = false;
  input.pipe(operator).subscribe({ next: (e) => out.push(e), complete: () => (completed = true) });
  input.next(request(spans('a')).envelope);
  input.complete();
  assert.equal(out.length, 1);
  assert.ok(completed);
});
