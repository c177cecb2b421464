// The exporter helper's sending_queue options on virtual time: wait_for_result, block_on_overflow,
// sizer, batching inside the queue (min_size, flush_timeout, max_size, per-context partitions), and
// a persistent queue in a real file_storage extension that answers once durable and replays after
// a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createExporter, exporterHelperConfig, type EncodingSender, type ExportSender, type ExporterHelperConfig } from '../../src/pipeline/exporter-helper.js';
import type { QueueBatchConfig } from '../../src/pipeline/queue-batch-config.js';
import { joinEncodedRequests, otlpBuffer, otlpCodecs } from '../../src/codec/otlp-proto.js';
import { exporterCounter } from '../helpers/exporter-harness.js';
import { createEnvelope, receiverContext, type Envelope, type EnvelopeContext } from '../../src/pipeline/envelope.js';
import { PermanentError } from '../../src/pipeline/errors.js';
import type { Exporter, Extension, ServiceHost } from '../../src/pipeline/component.js';
import { s } from '../../src/config/schema.js';
import { countItems } from '../../src/pdata/count.js';
import type { TracesData } from '../../src/pdata/types.js';
import { fileStorageExtensionFactory } from '../../src/extensions/file_storage/factory.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { VirtualClock, settle } from '../helpers/virtual-time.js';
import { waitUntil } from '../helpers/wait.js';

function helperConfig(overrides: Record<string, unknown>): ExporterHelperConfig {
  const ctx = { issues: [] };
  const parsed = s.object(exporterHelperConfig).parse(overrides, ctx);
  assert.deepEqual(ctx.issues, []);
  return parsed!;
}

function traces(spans: number, prefix = 's'): TracesData {
  const list = Array.from({ length: spans }, (_, i) => ({ name: `${prefix}-${i}`, attributes: [], events: [], links: [] }));
  return { resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans: list }] }] };
}

interface Outcome {
  envelope: Envelope;
  state: 'pending' | 'acked' | 'nacked';
  error?: Error;
}

function envelope(spans: number, context: EnvelopeContext = receiverContext('otlp'), prefix = 's'): Outcome {
  const outcome = { state: 'pending' } as Outcome;
  outcome.envelope = createEnvelope('traces', traces(spans, prefix), context, {
    ack: () => (outcome.state = 'acked'),
    nack: (err) => {
      outcome.state = 'nacked';
      outcome.error = err;
    },
  }, spans * 100);
  return outcome;
}

/** Records what each send carried (span names, context) and answers with `answer`. */
class RecordingSender implements ExportSender<'traces'> {
  readonly sends: Array<{ at: number; names: (string | undefined)[]; tenant?: string }> = [];
  constructor(
    private readonly clock: VirtualClock,
    private readonly answer: (call: number) => Promise<void> = () => Promise.resolve(),
  ) {}
  send(data: TracesData, context: EnvelopeContext): Promise<void> {
    const names = data.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((sp) => sp.name)));
    assert.equal(names.length, countItems('traces', data));
    this.sends.push({ at: this.clock.now(), names, tenant: context.tenant });
    return this.answer(this.sends.length - 1);
  }
}

function setup(overrides: Record<string, unknown>, answer?: (call: number) => Promise<void>, extensions: Record<string, Extension> = {}, queueBatch?: QueueBatchConfig) {
  const clock = new VirtualClock();
  const sender = new RecordingSender(clock, answer);
  const telemetry = new Telemetry();
  const exporter = createExporter(
    { id: 'otlp/q', kind: 'exporter', logger: createLogger('silent'), telemetry, scheduler: clock.scheduler, reportStatus: () => {}, extension: (id) => extensions[id], queueBatch },
    'traces',
    helperConfig(overrides),
    sender,
  );
  return { clock, sender, exporter, telemetry };
}

const spanNames = (data: TracesData) => data.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((sp) => sp.name)));

/**
 * A sender whose requests join, as the otlp exporters' do. As theirs, its requests are OTLP
 * protobuf, so the queue's OTLP bytes can be sent as they are; `asOtlp: false` makes it one whose
 * requests only join (a format of its own), which the batcher encodes piece by piece.
 */
class OtlpSender implements EncodingSender<'traces', Buffer> {
  readonly sends: (string | undefined)[][] = [];
  encodes = 0;
  encodedSpans = 0;
  fromStored = 0;
  readonly fromOtlp: ((otlp: Uint8Array) => Buffer) | undefined;
  constructor(
    private readonly answer: () => Promise<void> = () => Promise.resolve(),
    asOtlp = true,
  ) {
    this.fromOtlp = asOtlp
      ? (otlp) => {
          this.fromStored++;
          return otlpBuffer(otlp);
        }
      : undefined;
  }
  encode(data: TracesData): Buffer[] {
    this.encodes++;
    this.encodedSpans += spanNames(data).length;
    if (spanNames(data).some((n) => n?.startsWith('bad'))) throw new Error('cannot encode a bad span');
    return [otlpBuffer(otlpCodecs.traces.encode(data))];
  }
  join(requests: Buffer[]): Buffer {
    return joinEncodedRequests(requests);
  }
  send(body: Buffer): Promise<void> {
    this.sends.push(spanNames(otlpCodecs.traces.decode(body)));
    return this.answer();
  }
}

function setupOtlp(overrides: Record<string, unknown>, answer?: () => Promise<void>, extensions: Record<string, Extension> = {}, asOtlp = true) {
  const clock = new VirtualClock();
  const sender = new OtlpSender(answer, asOtlp);
  const telemetry = new Telemetry();
  const exporter = createExporter(
    { id: 'otlp/q', kind: 'exporter', logger: createLogger('silent'), telemetry, scheduler: clock.scheduler, reportStatus: () => {}, extension: (id) => extensions[id] },
    'traces',
    helperConfig(overrides),
    sender,
  );
  return { clock, sender, exporter, telemetry };
}

const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

/** A promise the test resolves or rejects when it wants the backend to answer. */
function gate(): { promise: Promise<void>; open(): void; fail(err: Error): void } {
  let open!: () => void;
  let fail!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    open = res;
    fail = rej;
  });
  return { promise, open, fail };
}

test('wait_for_result: the client is answered after export, with the export error when it fails', async () => {
  const gates = [gate(), gate()];
  const { exporter } = setup({ sending_queue: { wait_for_result: true } }, (call) => gates[call]!.promise);
  assert.equal(exporter.answersAtEnqueue, false);
  const first = envelope(2);
  const second = envelope(3);
  exporter.consume(first.envelope);
  exporter.consume(second.envelope);
  await settle();
  assert.deepEqual([first.state, second.state], ['pending', 'pending'], 'queued is not enough with wait_for_result');
  gates[0]!.open();
  gates[1]!.fail(new PermanentError('bad data'));
  await settle();
  assert.equal(first.state, 'acked');
  assert.equal(second.state, 'nacked');
  assert.equal(second.error?.message, 'bad data');
});

test('default: answered at enqueue', async () => {
  const { exporter, sender } = setup({}, () => new Promise(() => {}));
  assert.equal(exporter.answersAtEnqueue, true);
  const o = envelope(2);
  exporter.consume(o.envelope);
  assert.equal(o.state, 'acked');
  await settle();
  assert.equal(sender.sends.length, 1);
});

test('block_on_overflow: a full queue makes the client wait for room instead of refusing it, in order', async () => {
  const gates = [gate(), gate(), gate(), gate()];
  const { exporter, sender } = setup({ sending_queue: { num_consumers: 1, queue_size: 1, block_on_overflow: true } }, (call) => gates[call]!.promise);
  const outcomes = [envelope(1, undefined, 'a'), envelope(1, undefined, 'b'), envelope(1, undefined, 'c'), envelope(1, undefined, 'd')];
  for (const o of outcomes) exporter.consume(o.envelope);
  await settle();
  // a is being sent, b fills the queue, c and d wait their turn.
  assert.deepEqual(outcomes.map((o) => o.state), ['acked', 'acked', 'pending', 'pending']);
  gates[0]!.open();
  await settle();
  assert.deepEqual(outcomes.map((o) => o.state), ['acked', 'acked', 'acked', 'pending']);
  gates[1]!.open();
  gates[2]!.open();
  gates[3]!.open();
  await settle();
  assert.deepEqual(outcomes.map((o) => o.state), ['acked', 'acked', 'acked', 'acked']);
  assert.deepEqual(sender.sends.map((s) => s.names[0]), ['a-0', 'b-0', 'c-0', 'd-0']);
});

test('block_on_overflow: clients still waiting at shutdown are refused as retryable', async () => {
  const { exporter, clock } = setup({ sending_queue: { num_consumers: 1, queue_size: 1, block_on_overflow: true } }, () => new Promise(() => {}));
  const outcomes = [envelope(1), envelope(1), envelope(1)];
  for (const o of outcomes) exporter.consume(o.envelope);
  await settle();
  const stopped = exporter.shutdown(clock.now() + 1000);
  await settle();
  assert.equal(outcomes[2]!.state, 'nacked');
  assert.equal(outcomes[2]!.error?.name, 'RetryableError');
  clock.advance(1000);
  await stopped;
});

test('sizer items: queue_size counts items, so a request that would overflow it is refused', async () => {
  const { exporter } = setup({ sending_queue: { num_consumers: 1, queue_size: 10, sizer: 'items' } }, () => new Promise(() => {}));
  const outcomes = [envelope(4), envelope(6), envelope(1)];
  for (const o of outcomes) exporter.consume(o.envelope);
  await settle();
  // The first is taken by the consumer; 6 then fit beside nothing, the next 1 does too (6 + 1 <= 10).
  assert.deepEqual(outcomes.map((o) => o.state), ['acked', 'acked', 'acked']);
  const big = envelope(4);
  exporter.consume(big.envelope);
  assert.equal(big.state, 'nacked');
  assert.equal(big.error?.message, 'sending queue is full');
});

test('batch: requests are merged until min_size, and what stays below it goes at flush_timeout', async () => {
  const { exporter, sender, clock } = setup({ sending_queue: { batch: { min_size: 250, flush_timeout: '200ms' } } });
  const outcomes = [envelope(100, undefined, 'a'), envelope(100, undefined, 'b')];
  for (const o of outcomes) exporter.consume(o.envelope);
  assert.deepEqual(outcomes.map((o) => o.state), ['acked', 'acked'], 'clients are answered at enqueue, not at the flush');
  await settle();
  assert.equal(sender.sends.length, 0, 'below min_size: waiting');
  exporter.consume(envelope(100, undefined, 'c').envelope);
  await settle();
  assert.equal(sender.sends.length, 1, 'min_size reached');
  assert.equal(sender.sends[0]!.names.length, 300);
  exporter.consume(envelope(10, undefined, 'd').envelope);
  clock.advance(199);
  await settle();
  assert.equal(sender.sends.length, 1);
  clock.advance(1);
  await settle();
  assert.equal(sender.sends.length, 2, 'flush_timeout');
  assert.equal(sender.sends[1]!.at, 200);
  assert.equal(sender.sends[1]!.names.length, 10);
});

test('batch: max_size splits a batch so none carries more, in order and without loss', async () => {
  const { exporter, sender, clock } = setup({ sending_queue: { batch: { min_size: 100, max_size: 150 } } });
  exporter.consume(envelope(120, undefined, 'a').envelope);
  exporter.consume(envelope(200, undefined, 'b').envelope);
  await settle();
  assert.deepEqual(sender.sends.map((s) => s.names.length), [120, 150], 'the 50 left are below min_size and wait');
  clock.advance(200);
  await settle();
  assert.deepEqual(sender.sends.map((s) => s.names.length), [120, 150, 50]);
  const expected = [...Array.from({ length: 120 }, (_, i) => `a-${i}`), ...Array.from({ length: 200 }, (_, i) => `b-${i}`)];
  assert.deepEqual(sender.sends.flatMap((s) => s.names), expected);
});

test('batch: data of different request contexts never shares a batch', async () => {
  const { exporter, sender, clock } = setup({ sending_queue: { batch: { min_size: 1000, flush_timeout: '1s' } } });
  exporter.consume(envelope(5, receiverContext('otlp', 'http', undefined, 'acme'), 'acme').envelope);
  exporter.consume(envelope(5, receiverContext('otlp', 'http', undefined, 'globex'), 'globex').envelope);
  exporter.consume(envelope(5, receiverContext('otlp', 'http', undefined, 'acme'), 'acme2').envelope);
  clock.advance(1000);
  await settle();
  const byTenant = new Map(sender.sends.map((s) => [s.tenant, s.names]));
  assert.equal(sender.sends.length, 2);
  assert.deepEqual(byTenant.get('acme')?.length, 10);
  assert.ok(byTenant.get('acme')!.every((n) => n?.startsWith('acme')));
  assert.deepEqual(byTenant.get('globex')?.length, 5);
});

test('batch with wait_for_result: each client hears of its own request once the batch carrying it is exported', async () => {
  const g = gate();
  const { exporter, sender } = setup({ sending_queue: { wait_for_result: true, batch: { min_size: 4 } } }, () => g.promise);
  const outcomes = [envelope(2), envelope(2)];
  for (const o of outcomes) exporter.consume(o.envelope);
  await settle();
  assert.equal(sender.sends.length, 1);
  assert.deepEqual(outcomes.map((o) => o.state), ['pending', 'pending']);
  g.open();
  await settle();
  assert.deepEqual(outcomes.map((o) => o.state), ['acked', 'acked']);
});

test('shutdown: the batcher sends what it holds without waiting for min_size or the timeout', async () => {
  const { exporter, sender, clock } = setup({ sending_queue: { batch: { min_size: 1000, flush_timeout: '1h' } } });
  exporter.consume(envelope(3).envelope);
  await settle();
  assert.equal(sender.sends.length, 0);
  await exporter.shutdown(clock.now() + 1000);
  assert.equal(sender.sends.length, 1);
  assert.equal(sender.sends[0]!.names.length, 3);
});

test('batch with wait_for_result: a batch processor\'s batching is not taken over, so a request is not held twice', async () => {
  const { exporter, sender } = setup({ sending_queue: { wait_for_result: true } }, undefined, {}, { min_size: 1000, flush_timeout: 3_600_000, max_size: 0, sizer: 'items' });
  exporter.consume(envelope(2).envelope);
  exporter.consume(envelope(3).envelope);
  await settle();
  assert.deepEqual(sender.sends.map((s) => s.names.length), [2, 3], 'sent as the processor emitted them, without waiting for min_size or the timeout');
});

test('batch with a joining sender: each request is encoded once as it joins, and the backend gets their join in order', async () => {
  const { exporter, sender, clock } = setupOtlp({ sending_queue: { batch: { min_size: 1000, flush_timeout: '200ms' } } }, undefined, {}, false);
  exporter.consume(envelope(100, undefined, 'a').envelope);
  exporter.consume(envelope(50, undefined, 'b').envelope);
  exporter.consume(envelope(7, undefined, 'c').envelope);
  await settle();
  assert.equal(sender.encodes, 3, 'encoded on the way in, before the flush');
  assert.equal(sender.sends.length, 0);
  clock.advance(200);
  await settle();
  assert.equal(sender.encodes, 3, 'the flush joins, it does not encode again');
  assert.deepEqual(sender.sends, [[...names('a', 100), ...names('b', 50), ...names('c', 7)]]);
});

test('batch with a joining sender: max_size splits, the pieces are encoded again, in order and without loss', async () => {
  const { exporter, sender, clock } = setupOtlp({ sending_queue: { batch: { min_size: 100, max_size: 150 } } }, undefined, {}, false);
  exporter.consume(envelope(120, undefined, 'a').envelope);
  exporter.consume(envelope(200, undefined, 'b').envelope);
  clock.advance(200);
  await settle();
  assert.deepEqual(sender.sends.map((s) => s.length), [120, 150, 50]);
  assert.deepEqual(sender.sends.flat(), [...names('a', 120), ...names('b', 200)]);
});

test('batch with a joining sender: a request far over max_size is encoded piece by piece as it is cut, each span once', async () => {
  const { exporter, sender, clock } = setupOtlp({ sending_queue: { batch: { min_size: 100, max_size: 100 } } }, undefined, {}, false);
  exporter.consume(envelope(1000, undefined, 'big').envelope);
  clock.advance(200);
  await settle();
  assert.deepEqual(sender.sends.map((s) => s.length), Array.from({ length: 10 }, () => 100));
  assert.deepEqual(sender.sends.flat(), names('big', 1000));
  assert.equal(sender.encodedSpans, 1000, 'no remainder encoded only to be split again');
});

test('batch with a joining sender: a request that cannot be encoded is refused for good on its own, the rest of its batch is sent, and the exporter goes on', async () => {
  const { exporter, sender, clock, telemetry } = setupOtlp({ sending_queue: { batch: { min_size: 1000, flush_timeout: '200ms' } } }, undefined, {}, false);
  exporter.consume(envelope(3, undefined, 'good').envelope);
  exporter.consume(envelope(2, undefined, 'bad').envelope);
  exporter.consume(envelope(1, undefined, 'fine').envelope);
  clock.advance(200);
  await settle();
  assert.deepEqual(sender.sends, [[...names('good', 3), ...names('fine', 1)]]);
  assert.equal(await exporterCounter(telemetry, 'otelcol_exporter_send_failed_spans', 'otlp/q'), 2);
  exporter.consume(envelope(4, undefined, 'later').envelope);
  clock.advance(200);
  await settle();
  assert.deepEqual(sender.sends.at(-1), names('later', 4));
});

test('memory queue with an OTLP sender: requests wait as OTLP bytes and are sent without a second encoding, batched or not', async () => {
  const single = setupOtlp({ sending_queue: {} });
  single.exporter.consume(envelope(3, undefined, 'a').envelope);
  await settle();
  assert.deepEqual(single.sender.sends, [names('a', 3)]);
  const batched = setupOtlp({ sending_queue: { batch: { min_size: 1000, flush_timeout: '200ms' } } });
  batched.exporter.consume(envelope(3, undefined, 'b').envelope);
  batched.exporter.consume(envelope(2, undefined, 'c').envelope);
  batched.clock.advance(200);
  await settle();
  assert.deepEqual(batched.sender.sends, [[...names('b', 3), ...names('c', 2)]]);
  for (const { sender } of [single, batched]) assert.equal(sender.encodes, 0, 'the sender never encoded: the queue\'s OTLP went as it was');
});

function fileStorage(directory: string): Extension {
  const ctx = { issues: [] };
  const config = fileStorageExtensionFactory.schema.parse({ directory }, ctx)!;
  assert.deepEqual(ctx.issues, []);
  return fileStorageExtensionFactory.create(
    { id: 'file_storage', kind: 'extension', logger: createLogger('silent'), telemetry: new Telemetry(), scheduler: new VirtualClock().scheduler, reportStatus: () => {}, extension: () => undefined },
    config,
    {} as ServiceHost,
  );
}

test('storage: answered once durable, and what was not exported is sent after a restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-queue-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const start = async (answer: (call: number) => Promise<void>) => {
    const storage = fileStorage(dir);
    await storage.start();
    const run = setup({ sending_queue: { storage: 'file_storage', num_consumers: 1 }, retry_on_failure: { enabled: false } }, answer, { file_storage: storage });
    await run.exporter.start();
    return { ...run, storage };
  };

  // The backend never answers: everything stays in the queue.
  const first = await start(() => new Promise(() => {}));
  const outcomes = [envelope(2, undefined, 'a'), envelope(3, undefined, 'b'), envelope(4, undefined, 'c')];
  for (const o of outcomes) first.exporter.consume(o.envelope);
  assert.deepEqual(outcomes.map((o) => o.state), ['pending', 'pending', 'pending'], 'not durable yet');
  await waitUntil(() => outcomes.every((o) => o.state === 'acked'), 10_000, () => `every request durable and acked: ${outcomes.map((o) => o.state).join()}`);
  const stopping = first.exporter.shutdown(first.clock.now() + 10);
  first.clock.advance(10);
  await stopping;
  await first.storage.shutdown(0);

  const second = await start(() => Promise.resolve());
  await waitUntil(() => second.sender.sends.length === 3, 10_000, () => `replayed ${second.sender.sends.length} of 3`);
  assert.deepEqual(second.sender.sends.map((s) => s.names.length), [2, 3, 4]);
  await second.exporter.shutdown(second.clock.now() + 1000);
  await second.storage.shutdown(0);

  // Sent and acked: nothing comes back a third time.
  const third = await start(() => Promise.resolve());
  await settle();
  assert.equal(third.sender.sends.length, 0);
  await third.exporter.shutdown(third.clock.now());
  await third.storage.shutdown(0);
});

test('storage with an OTLP sender: requests read back are sent as the bytes stored, neither decoded nor encoded again', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-queue-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const start = async (answer: () => Promise<void>, batch?: Record<string, unknown>) => {
    const storage = fileStorage(dir);
    await storage.start();
    const run = setupOtlp({ sending_queue: { storage: 'file_storage', num_consumers: 1, batch }, retry_on_failure: { enabled: false } }, answer, { file_storage: storage });
    await run.exporter.start();
    return { ...run, storage };
  };
  const stop = async (run: Awaited<ReturnType<typeof start>>) => {
    const stopping = run.exporter.shutdown(run.clock.now() + 10);
    run.clock.advance(10);
    await stopping;
    await run.storage.shutdown(0);
  };

  const first = await start(() => new Promise(() => {}));
  const outcomes = [envelope(2, undefined, 'a'), envelope(3, undefined, 'b'), envelope(4, undefined, 'c')];
  for (const o of outcomes) first.exporter.consume(o.envelope);
  await waitUntil(() => outcomes.every((o) => o.state === 'acked'), 10_000, () => `acked: ${outcomes.map((o) => o.state).join()}`);
  await stop(first);

  // Requests one by one, then through the batcher: both send the stored bytes.
  const second = await start(() => Promise.resolve());
  await waitUntil(() => second.sender.sends.length === 3, 10_000, () => `replayed ${second.sender.sends.length} of 3`);
  assert.deepEqual(second.sender.sends, [names('a', 2), names('b', 3), names('c', 4)]);
  assert.deepEqual([second.sender.encodes, second.sender.fromStored], [0, 3]);
  for (const o of [envelope(5, undefined, 'd'), envelope(6, undefined, 'e')]) second.exporter.consume(o.envelope);
  await waitUntil(() => second.sender.sends.length === 5, 10_000, () => `sent ${second.sender.sends.length} of 5`);
  await stop(second);

  const batched = await start(() => Promise.resolve(), { min_size: 1000, flush_timeout: '1s' });
  for (const o of [envelope(1, undefined, 'f'), envelope(2, undefined, 'g')]) batched.exporter.consume(o.envelope);
  await waitUntil(() => batched.sender.fromStored === 2, 10_000, () => `taken from the store ${batched.sender.fromStored} of 2`);
  batched.clock.advance(1000);
  await settle();
  assert.deepEqual(batched.sender.sends, [[...names('f', 1), ...names('g', 2)]]);
  assert.equal(batched.sender.encodes, 0);
  await stop(batched);
});

test('storage: data that cannot be encoded is refused for good (the client would retry it forever), counted, and the queue goes on', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-queue-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const storage = fileStorage(dir);
  await storage.start();
  const { exporter, sender, telemetry, clock } = setup({ sending_queue: { storage: 'file_storage' }, retry_on_failure: { enabled: false } }, undefined, { file_storage: storage });
  await exporter.start();
  const broken = envelope(2);
  (broken.envelope.data as TracesData).resourceSpans[0]!.scopeSpans[0]!.spans[0]!.attributes = [null as never];
  exporter.consume(broken.envelope);
  const fine = envelope(3, undefined, 'ok');
  exporter.consume(fine.envelope);
  await waitUntil(() => broken.state !== 'pending' && fine.state === 'acked', 10_000, () => `broken ${broken.state}, fine ${fine.state}`);
  assert.equal(broken.state, 'nacked');
  assert.ok(broken.error instanceof PermanentError, `permanent, not retryable: ${broken.error?.message}`);
  assert.match(broken.error.message, /cannot encode traces for the persistent queue/);
  assert.equal(await exporterCounter(telemetry, 'otelcol_exporter_enqueue_failed_spans', 'otlp/q'), 2);
  await waitUntil(() => sender.sends.length === 1, 10_000, () => `sent ${sender.sends.length}`);
  assert.deepEqual(sender.sends[0]!.names, names('ok', 3));
  const stopping = exporter.shutdown(clock.now() + 10);
  clock.advance(10);
  await stopping;
  await storage.shutdown(0);
});

test('storage: an exporter naming an extension that is not a storage extension fails to start with a clear error', async () => {
  const notStorage: Extension = { start: async () => {}, shutdown: async () => {} };
  const { exporter } = setup({ sending_queue: { storage: 'health_check' } }, undefined, { health_check: notStorage });
  await assert.rejects(exporter.start(), /sending_queue.storage: extension "health_check" is not a storage extension/);
  const missing: Exporter = setup({ sending_queue: { storage: 'file_storage' } }).exporter;
  await assert.rejects(missing.start(), /extension "file_storage" is not enabled in service.extensions/);
});
