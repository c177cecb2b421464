import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Subject, VirtualTimeScheduler, map, type SchedulerLike } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import Long from 'long';
import { batchProcessorFactory } from '../../src/processors/batch/factory.js';
import { type BatchProcessorConfig } from '../../src/processors/batch/config.js';
import { createEnvelope, receiverContext, type Envelope } from '../../src/pipeline/envelope.js';
import { PermanentError, RetryableError } from '../../src/pipeline/errors.js';
import type { CreateSettings } from '../../src/pipeline/component.js';
import type { MetricsData, Signal, TracesData } from '../../src/pdata/types.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import type { ValidationContext } from '../../src/config/schema.js';

function parseConfig(raw: Record<string, unknown>): { config?: BatchProcessorConfig; issues: string[] } {
  const ctx: ValidationContext = { issues: [] };
  const config = batchProcessorFactory.schema.parse(raw, ctx, ['processors', 'batch']);
  return { config, issues: ctx.issues.map((i) => i.message) };
}

function config(raw: Record<string, unknown>): BatchProcessorConfig {
  const { config, issues } = parseConfig(raw);
  assert.deepEqual(issues, []);
  return config!;
}

function settingsFor(scheduler: SchedulerLike, telemetry = new Telemetry()): CreateSettings {
  return { id: 'batch', kind: 'processor', logger: createLogger('silent'), telemetry, scheduler, reportStatus: () => {}, extension: () => undefined };
}

function traces(...names: string[]): TracesData {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
        scopeSpans: [{ scope: { name: 'lib', attributes: [] }, spans: names.map((name) => ({ name, startTimeUnixNano: Long.fromNumber(1), attributes: [], events: [], links: [] })) }],
      },
    ],
  };
}

function spanNames(e: Envelope): string[] {
  return (e.data as TracesData).resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => s.name!)));
}

interface Parent {
  envelope: Envelope;
  calls: string[];
}

function parent(names: string[], opts: { metadata?: Record<string, string>; bytes?: number } = {}): Parent {
  const calls: string[] = [];
  const metadata = new Map(Object.entries(opts.metadata ?? {}).map(([k, v]) => [k, [v]] as const));
  const envelope = createEnvelope(
    'traces',
    traces(...names),
    receiverContext('otlp', 'grpc', metadata),
    { ack: () => calls.push('ack'), nack: (e) => calls.push(`nack:${e.name}`) },
    opts.bytes ?? 0,
  );
  return { envelope, calls };
}

/** Runs the operator over a Subject on a VirtualTimeScheduler, collecting what it emits. */
function harness(raw: Record<string, unknown>, signal: Signal = 'traces') {
  const scheduler = new VirtualTimeScheduler();
  const telemetry = new Telemetry();
  const processor = batchProcessorFactory.create(settingsFor(scheduler, telemetry), config(raw), signal);
  const source = new Subject<Envelope>();
  const out: Envelope[] = [];
  let completed = false;
  const subscription = source.pipe(processor.operator).subscribe({ next: (e) => out.push(e), complete: () => (completed = true) });
  return {
    scheduler,
    telemetry,
    source,
    out,
    subscription,
    isCompleted: () => completed,
    send: (p: Parent) => source.next(p.envelope),
  };
}

function marbleScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));
}

test('a batch is sent when send_batch_size items are pending; the rest waits for the timeout', () => {
  const ts = marbleScheduler();
  const processor = batchProcessorFactory.create(settingsFor(ts), config({ send_batch_size: 3, timeout: '1s' }), 'traces');
  ts.run(({ cold, expectObservable }) => {
    const values = { a: parent(['a']).envelope, b: parent(['b']).envelope, c: parent(['c']).envelope, d: parent(['d']).envelope };
    const out = cold<Envelope>('abcd 2s |', values).pipe(processor.operator, map(spanNames));
    expectObservable(out).toBe('--x 1000ms y 1000ms |', { x: ['a', 'b', 'c'], y: ['d'] });
  });
});

test('a batch is sent when the timeout after its first item expires', () => {
  const ts = marbleScheduler();
  const processor = batchProcessorFactory.create(settingsFor(ts), config({ send_batch_size: 100, timeout: '200ms' }), 'traces');
  ts.run(({ cold, expectObservable }) => {
    const values = { a: parent(['a']).envelope, b: parent(['b']).envelope, c: parent(['c']).envelope };
    const out = cold<Envelope>('a 50ms b 300ms c 500ms |', values).pipe(processor.operator, map(spanNames));
    // The second batch's clock starts with c (at 352), not when the first batch left.
    expectObservable(out).toBe('200ms x 351ms y 300ms |', { x: ['a', 'b'], y: ['c'] });
  });
});

test('timeout 0 sends every request as it arrives, without a timer', () => {
  const ts = marbleScheduler();
  const processor = batchProcessorFactory.create(settingsFor(ts), config({ send_batch_size: 100, timeout: 0 }), 'traces');
  ts.run(({ cold, expectObservable }) => {
    const values = { a: parent(['a1', 'a2']).envelope, b: parent(['b']).envelope };
    const out = cold<Envelope>('a 10ms b |', values).pipe(processor.operator, map(spanNames));
    expectObservable(out).toBe('x 10ms y|', { x: ['a1', 'a2'], y: ['b'] });
  });
});

test('completion of the source (shutdown) flushes the partial batch, then completes', () => {
  const ts = marbleScheduler();
  const processor = batchProcessorFactory.create(settingsFor(ts), config({ send_batch_size: 10000, timeout: '1h' }), 'traces');
  ts.run(({ cold, expectObservable }) => {
    const values = { a: parent(['a']).envelope, b: parent(['b']).envelope };
    const out = cold<Envelope>('ab|', values).pipe(processor.operator, map(spanNames));
    expectObservable(out).toBe('--(x|)', { x: ['a', 'b'] });
  });
});

test('parents merged into one batch are all acked when the batch is acked, and all nacked when it is nacked', () => {
  const h = harness({ send_batch_size: 3, timeout: '1s' });
  const first = [parent(['a']), parent(['b']), parent(['c'])];
  for (const p of first) h.send(p);
  assert.equal(h.out.length, 1);
  assert.deepEqual(first.map((p) => p.calls), [[], [], []], 'nobody is answered before the batch is');
  h.out[0]!.ack();
  assert.deepEqual(first.map((p) => p.calls), [['ack'], ['ack'], ['ack']]);

  const second = [parent(['d']), parent(['e'])];
  for (const p of second) h.send(p);
  h.scheduler.flush();
  assert.equal(h.out.length, 2);
  h.out[1]!.nack(new RetryableError('exporter queue full'));
  assert.deepEqual(second.map((p) => p.calls), [['nack:RetryableError'], ['nack:RetryableError']]);
});

test('send_batch_max_size splits a large request; its parent settles once every part has', () => {
  const h = harness({ send_batch_size: 2, send_batch_max_size: 2, timeout: '1s' });
  const big = parent(['s1', 's2', 's3', 's4', 's5'], { bytes: 500 });
  h.send(big);
  assert.deepEqual(h.out.map(spanNames), [['s1', 's2'], ['s3', 's4']], 'full parts leave at once');
  h.scheduler.flush();
  assert.deepEqual(h.out.map(spanNames), [['s1', 's2'], ['s3', 's4'], ['s5']], 'the remainder leaves on timeout');
  assert.deepEqual(h.out.map((e) => e.items), [2, 2, 1]);
  assert.deepEqual(h.out.map((e) => e.bytes), [200, 200, 100], 'bytes are shared in proportion to items');
  // Each part keeps the resource and scope of the original.
  for (const e of h.out) assert.equal((e.data as TracesData).resourceSpans[0]!.resource, (big.envelope.data as TracesData).resourceSpans[0]!.resource);

  h.out[0]!.ack();
  h.out[2]!.ack();
  assert.deepEqual(big.calls, []);
  h.out[1]!.ack();
  assert.deepEqual(big.calls, ['ack']);
});

test('a parent whose part is nacked is nacked once all its parts have settled', () => {
  const h = harness({ send_batch_size: 2, send_batch_max_size: 2, timeout: 0 });
  const big = parent(['s1', 's2', 's3']);
  h.send(big);
  assert.deepEqual(h.out.map(spanNames), [['s1', 's2'], ['s3']], 'with timeout 0 nothing is held back');
  h.out[1]!.nack(new PermanentError('bad'));
  assert.deepEqual(big.calls, []);
  h.out[0]!.ack();
  assert.deepEqual(big.calls, ['nack:PermanentError']);
});

test('a batch combines the tail of one request with the next', () => {
  const h = harness({ send_batch_size: 3, send_batch_max_size: 3, timeout: '1s' });
  const a = parent(['a1', 'a2', 'a3', 'a4']);
  const b = parent(['b1', 'b2']);
  h.send(a);
  h.send(b);
  assert.deepEqual(h.out.map(spanNames), [['a1', 'a2', 'a3'], ['a4', 'b1', 'b2']]);
  h.out[1]!.ack();
  assert.deepEqual([a.calls, b.calls], [[], ['ack']]);
  h.out[0]!.ack();
  assert.deepEqual(a.calls, ['ack']);
});

test('data points of one metric may be split across batches', () => {
  const h = harness({ send_batch_size: 2, send_batch_max_size: 2, timeout: 0 }, 'metrics');
  const points = [1, 2, 3].map((v) => ({ attributes: [], asInt: Long.fromNumber(v), exemplars: [] }));
  const data: MetricsData = { resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'm', unit: 's', sum: { isMonotonic: true, aggregationTemporality: 2, dataPoints: points } }] }] }] };
  const calls: string[] = [];
  h.source.next(createEnvelope('metrics', data, receiverContext('otlp'), { ack: () => calls.push('ack'), nack: () => calls.push('nack') }));
  const metrics = h.out.map((e) => (e.data as MetricsData).resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!);
  assert.deepEqual(
    metrics.map((m) => [m.name, m.unit, m.sum!.isMonotonic, m.sum!.aggregationTemporality, m.sum!.dataPoints.map((p) => Number(p.asInt))]),
    [
      ['m', 's', true, 2, [1, 2]],
      ['m', 's', true, 2, [3]],
    ],
  );
  for (const e of h.out) e.ack();
  assert.deepEqual(calls, ['ack']);
});

test('metadata_keys batch per tenant, and each batch carries only its tenant\'s metadata', () => {
  const h = harness({ send_batch_size: 2, timeout: '1s', metadata_keys: ['X-Scope-OrgID'] });
  h.send(parent(['a1'], { metadata: { 'x-scope-orgid': 'acme', authorization: 'secret' } }));
  h.send(parent(['b1'], { metadata: { 'x-scope-orgid': 'globex' } }));
  h.send(parent(['a2'], { metadata: { 'x-scope-orgid': 'acme' } }));
  assert.deepEqual(h.out.map(spanNames), [['a1', 'a2']]);
  assert.deepEqual([...h.out[0]!.context.metadata], [['x-scope-orgid', ['acme']]]);
  assert.equal(h.out[0]!.context.receiver, 'otlp');
  h.source.complete();
  assert.deepEqual(h.out.map(spanNames), [['a1', 'a2'], ['b1']]);
  assert.deepEqual([...h.out[1]!.context.metadata], [['x-scope-orgid', ['globex']]]);
  assert.equal(h.isCompleted(), true);
});

test('different tenants never share a batch, even without metadata_keys', () => {
  const h = harness({ send_batch_size: 2, timeout: '1s' });
  const tenant = (name: string, t: string) => createEnvelope('traces', traces(name), receiverContext('otlp', 'http', undefined, t), { ack: () => {}, nack: () => {} });
  h.source.next(tenant('a1', 'acme'));
  h.source.next(tenant('b1', 'globex'));
  h.source.next(tenant('a2', 'acme'));
  assert.deepEqual(h.out.map(spanNames), [['a1', 'a2']]);
  assert.equal(h.out[0]!.context.tenant, 'acme');
});

test('without metadata_keys, batches carry no client metadata', () => {
  const h = harness({ send_batch_size: 1, timeout: '1s' });
  h.send(parent(['a'], { metadata: { 'x-scope-orgid': 'acme' } }));
  assert.equal(h.out[0]!.context.metadata.size, 0);
});

test('beyond metadata_cardinality_limit new combinations are refused (retryable) until a batch frees its slot', async () => {
  const h = harness({ send_batch_size: 100, timeout: '1s', metadata_keys: ['tenant'], metadata_cardinality_limit: 1 });
  const a = parent(['a'], { metadata: { tenant: 'one' } });
  const b = parent(['b'], { metadata: { tenant: 'two' } });
  h.send(a);
  h.send(b);
  assert.deepEqual(b.calls, ['nack:RetryableError']);
  assert.match(await h.telemetry.render(), /otelcol_processor_batch_metadata_cardinality\{processor="batch"\} 1/);
  assert.match(await h.telemetry.render(), /otelcol_processor_refused_spans\{processor="batch"\} 1/);
  h.scheduler.flush();
  assert.deepEqual(h.out.map(spanNames), [['a']]);
  assert.match(await h.telemetry.render(), /otelcol_processor_batch_metadata_cardinality\{processor="batch"\} 0/);
  const retry = parent(['b'], { metadata: { tenant: 'two' } });
  h.send(retry);
  assert.deepEqual(retry.calls, []);
  h.scheduler.flush();
  assert.deepEqual(h.out.map(spanNames), [['a'], ['b']]);
});

test('a subscription that ends without completion nacks (retryable) what it still holds', () => {
  const h = harness({ send_batch_size: 100, timeout: '1s' });
  const held = parent(['a']);
  h.send(held);
  h.subscription.unsubscribe();
  assert.deepEqual(held.calls, ['nack:RetryableError']);
  assert.equal(h.scheduler.actions.length, 0, 'no timer is left behind');
});

test('a request without items is acknowledged at once: there is nothing to batch or send', () => {
  const h = harness({ send_batch_size: 100, timeout: '1s' });
  const empty = parent([]);
  h.send(empty);
  assert.deepEqual(h.out, []);
  assert.deepEqual(empty.calls, ['ack']);
});

test('send sizes, triggers and pending items are recorded under the Collector\'s names', async () => {
  const h = harness({ send_batch_size: 2, timeout: '1s' });
  h.send(parent(['a', 'b'], { bytes: 40 }));
  h.send(parent(['c']));
  let text = await h.telemetry.render();
  assert.match(text, /sluice_processor_batch_pending_items\{processor="batch",data_type="traces"\} 1/);
  h.scheduler.flush();
  text = await h.telemetry.render();
  assert.match(text, /otelcol_processor_batch_batch_send_size_count\{processor="batch"\} 2/);
  assert.match(text, /otelcol_processor_batch_batch_send_size_sum\{processor="batch"\} 3/);
  assert.match(text, /otelcol_processor_batch_batch_send_size_bucket\{le="10",processor="batch"\} 2/);
  assert.match(text, /otelcol_processor_batch_batch_send_size_bytes_sum\{processor="batch"\} 40/);
  assert.match(text, /otelcol_processor_batch_batch_size_trigger_send\{processor="batch"\} 1/);
  assert.match(text, /otelcol_processor_batch_timeout_trigger_send\{processor="batch"\} 1/);
  assert.match(text, /sluice_processor_batch_pending_items\{processor="batch",data_type="traces"\} 0/);
});

test('config: defaults follow the Collector; a max size below the trigger size and duplicate keys are errors', () => {
  assert.deepEqual(config({}), { send_batch_size: 8192, send_batch_max_size: 0, timeout: 200, metadata_keys: [], metadata_cardinality_limit: 1000 });
  assert.match(parseConfig({ send_batch_size: 100, send_batch_max_size: 50 }).issues.join(), /send_batch_max_size \(50\) must be greater than or equal to send_batch_size \(100\)/);
  assert.match(parseConfig({ metadata_keys: ['Tenant', 'tenant'] }).issues.join(), /duplicate entry in metadata_keys/);
  assert.match(parseConfig({ sendbatchsize: 1 }).issues.join(), /unknown key "sendbatchsize"/);
  assert.deepEqual(parseConfig({ send_batch_size: 100, send_batch_max_size: 100 }).issues, []);
});

test('in a pipeline, close() flushes the held batch to the exporters and the client is answered', async () => {
  const scheduler = new VirtualTimeScheduler();
  const processor = batchProcessorFactory.create(settingsFor(scheduler), config({ send_batch_size: 1000, timeout: '1h' }), 'traces');
  const exported: Envelope[] = [];
  const pipeline = new Pipeline('traces', 'traces', [processor], false, { mutates: false, consume: (e) => (exported.push(e), e.ack()) }, createLogger('silent'));
  pipeline.start();
  const held = parent(['a', 'b']);
  pipeline.consume(held.envelope);
  assert.equal(exported.length, 0);
  await pipeline.close();
  assert.deepEqual(exported.map(spanNames), [['a', 'b']]);
  assert.deepEqual(held.calls, ['ack']);
  pipeline.dispose();
});
