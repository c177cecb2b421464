// The exporter helper on virtual time: retries, back-off, Retry-After, giving up, the bounded
// queue and its acks, timeouts, consumer concurrency, the shutdown drain, batches sent as several
// requests (progress kept per queued batch), encode failures and the health reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createExporter, exporterHelperConfig, type EncodingSender, type ExportSender, type ExporterHelperConfig } from '../../src/pipeline/exporter-helper.js';
import { createEnvelope, receiverContext, type Envelope } from '../../src/pipeline/envelope.js';
import { PermanentError, RetryableError } from '../../src/pipeline/errors.js';
import { s } from '../../src/config/schema.js';
import type { TracesData } from '../../src/pdata/types.js';
import { delay } from '../../src/pipeline/retry.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { VirtualClock, settle } from '../helpers/virtual-time.js';
import { LogCapture, exporterCounter } from '../helpers/exporter-harness.js';

const ID = 'otlp/test';

function helperConfig(overrides: Record<string, unknown> = {}): ExporterHelperConfig {
  const ctx = { issues: [] };
  const parsed = s.object(exporterHelperConfig).parse(overrides, ctx);
  assert.deepEqual(ctx.issues, []);
  return parsed!;
}

function traces(spans: number): TracesData {
  const list = Array.from({ length: spans }, (_, i) => ({ name: `op-${i}`, attributes: [], events: [], links: [] }));
  return { resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans: list }] }] };
}

interface Outcome {
  envelope: Envelope;
  state: 'pending' | 'acked' | 'nacked';
  error?: Error;
}

function envelope(spans = 2, data = traces(spans)): Outcome {
  const outcome = {} as Outcome;
  outcome.state = 'pending';
  outcome.envelope = createEnvelope('traces', data, receiverContext('otlp'), {
    ack: () => (outcome.state = 'acked'),
    nack: (err) => {
      outcome.state = 'nacked';
      outcome.error = err;
    },
  });
  return outcome;
}

/** Records each send with its virtual time and answers with `answer(callIndex, abort)`. */
class ScriptedSender implements ExportSender<'traces'> {
  readonly calls: Array<{ at: number; spans: number; abort: AbortSignal }> = [];
  constructor(
    private readonly clock: VirtualClock,
    private readonly answer: (call: number, abort: AbortSignal) => Promise<void>,
  ) {}
  send(data: TracesData, _context: unknown, abort: AbortSignal): Promise<void> {
    this.calls.push({ at: this.clock.now(), spans: data.resourceSpans[0]!.scopeSpans[0]!.spans.length, abort });
    return this.answer(this.calls.length - 1, abort);
  }
}

const counter = (telemetry: Telemetry, name: string) => exporterCounter(telemetry, name, ID);

function setup(config: ExporterHelperConfig, answer: (call: number, abort: AbortSignal) => Promise<void>) {
  const clock = new VirtualClock();
  const telemetry = new Telemetry();
  const logs = new LogCapture();
  const sender = new ScriptedSender(clock, answer);
  const exporter = createExporter(
    { id: ID, kind: 'exporter', logger: createLogger('debug', logs), telemetry, scheduler: clock.scheduler, reportStatus: () => {}, extension: () => undefined },
    'traces',
    config,
    sender,
  );
  return { clock, telemetry, logs, sender, exporter };
}

const never = () => new Promise<void>(() => {});

test('retries with exponentially growing, jittered and capped intervals until the send succeeds', async () => {
  const config = helperConfig({
    retry_on_failure: { initial_interval: '1s', max_interval: '5s', multiplier: 2, randomization_factor: 0.5, max_elapsed_time: 0 },
  });
  const { clock, telemetry, sender, exporter } = setup(config, async (call) => {
    if (call < 5) throw new RetryableError('backend unavailable');
  });
  const e = envelope(3);
  exporter.consume(e.envelope);
  assert.equal(e.state, 'acked', 'accepted into the queue is acked at once');
  while (sender.calls.length < 6) assert.notEqual(await clock.next(), undefined, 'a retry is scheduled');
  await settle();
  const gaps = sender.calls.slice(1).map((c, i) => c.at - sender.calls[i]!.at);
  const bases = [1000, 2000, 4000, 5000, 5000];
  gaps.forEach((gap, i) => {
    assert.ok(gap >= bases[i]! * 0.5 - 1 && gap <= bases[i]! * 1.5 + 1, `retry ${i + 1} after ${gap}ms, expected ${bases[i]}ms ±50%`);
  });
  assert.equal(await counter(telemetry, 'otelcol_exporter_sent_spans'), 3);
  assert.equal(await counter(telemetry, 'otelcol_exporter_send_failed_spans'), 0);
});

test('the jitter spreads retries: the same schedule does not produce identical intervals every time', async () => {
  const config = helperConfig({ retry_on_failure: { initial_interval: '10s', randomization_factor: 0.5 } });
  const firstGaps = new Set<number>();
  for (let run = 0; run < 8; run++) {
    const { clock, sender, exporter } = setup(config, async (call) => {
      if (call === 0) throw new RetryableError('down');
    });
    exporter.consume(envelope().envelope);
    await clock.next();
    await settle();
    assert.equal(sender.calls.length, 2);
    firstGaps.add(sender.calls[1]!.at - sender.calls[0]!.at);
  }
  assert.ok(firstGaps.size > 1, `intervals vary: ${[...firstGaps].join(', ')}`);
});

test('Retry-After from the backend stretches the back-off delay', async () => {
  const config = helperConfig({ retry_on_failure: { initial_interval: '1s', randomization_factor: 0.5 } });
  const { clock, sender, exporter } = setup(config, async (call) => {
    if (call === 0) throw new RetryableError('throttled', 60_000, true);
  });
  exporter.consume(envelope().envelope);
  await clock.advance(59_999);
  assert.equal(sender.calls.length, 1, 'no retry before Retry-After elapsed');
  await clock.advance(1);
  await settle();
  assert.equal(sender.calls.length, 2);
  assert.equal(sender.calls[1]!.at, 60_000);
});

test('gives up after max_elapsed_time, counts the items as failed and logs the last error', async () => {
  const config = helperConfig({
    retry_on_failure: { initial_interval: '1s', max_interval: '1m', multiplier: 2, randomization_factor: 0, max_elapsed_time: '10s' },
  });
  const { clock, telemetry, logs, sender, exporter } = setup(config, async (call) => {
    throw new RetryableError(`unavailable #${call}`);
  });
  exporter.consume(envelope(4).envelope);
  await clock.advance(60_000);
  // Attempts at 0, 1s, 3s, 7s; the next wait (8s) would end past 10s.
  assert.deepEqual(
    sender.calls.map((c) => c.at),
    [0, 1000, 3000, 7000],
  );
  assert.equal(await counter(telemetry, 'otelcol_exporter_send_failed_spans'), 4);
  assert.equal(await counter(telemetry, 'otelcol_exporter_sent_spans'), 0);
  const failure = logs.lines.find((l) => l.level === 'error');
  assert.ok(failure, 'an error line is logged');
  assert.equal(failure.items, 4);
  assert.equal(failure.error, 'unavailable #3');
  assert.match(String(failure.reason), /no more retries/);
  const retries = logs.lines.filter((l) => l.msg === 'Exporting failed, will retry');
  assert.deepEqual(
    retries.map((l) => [l.level, l.interval_ms]),
    [
      ['warn', 1000],
      ['debug', 2000],
      ['debug', 4000],
    ],
  );
});

test('permanent errors are not retried; they are counted and logged', async () => {
  const { clock, telemetry, logs, sender, exporter } = setup(helperConfig(), async () => {
    throw new PermanentError('bad data');
  });
  exporter.consume(envelope(5).envelope);
  await clock.advance(600_000);
  assert.equal(sender.calls.length, 1);
  assert.equal(await counter(telemetry, 'otelcol_exporter_send_failed_spans'), 5);
  assert.ok(logs.lines.some((l) => l.level === 'error' && l.error === 'bad data' && l.reason === 'not retryable'));
});

test('a full queue refuses with a retryable nack and counts enqueue failures', async () => {
  const config = helperConfig({ sending_queue: { num_consumers: 1, queue_size: 2 } });
  const { telemetry, sender, exporter } = setup(config, never);
  const outcomes = [envelope(1), envelope(1), envelope(1), envelope(7)];
  for (const o of outcomes) exporter.consume(o.envelope);
  await settle();
  assert.equal(sender.calls.length, 1, 'one consumer takes the first batch; two wait in the queue');
  assert.deepEqual(
    outcomes.map((o) => o.state),
    ['acked', 'acked', 'acked', 'nacked'],
  );
  const refusal = outcomes[3]!.error!;
  assert.ok(refusal instanceof RetryableError);
  assert.equal(refusal.message, 'sending queue is full');
  assert.equal(await counter(telemetry, 'otelcol_exporter_enqueue_failed_spans'), 7);
  const { values } = await telemetry.registry.getSingleMetric('otelcol_exporter_queue_size')!.get();
  assert.equal(values.find((v) => v.labels.exporter === ID)?.value, 2);
});

test('without a queue the envelope is acked only after a successful send', async () => {
  const config = helperConfig({ sending_queue: { enabled: false }, retry_on_failure: { initial_interval: '1s', randomization_factor: 0 } });
  const { clock, telemetry, sender, exporter } = setup(config, async (call) => {
    if (call === 0) throw new RetryableError('down');
    await delay(clock.scheduler, 500);
  });
  const e = envelope(2);
  exporter.consume(e.envelope);
  await settle();
  assert.equal(e.state, 'pending', 'not acked while the first attempt failed');
  await clock.advance(1000);
  assert.equal(sender.calls.length, 2);
  assert.equal(e.state, 'pending', 'not acked while the retry is under way');
  await clock.advance(500);
  assert.equal(e.state, 'acked');
  assert.equal(await counter(telemetry, 'otelcol_exporter_sent_spans'), 2);
});

test('without a queue a failure nacks the envelope with the final error', async () => {
  const permanent = setup(helperConfig({ sending_queue: { enabled: false } }), async () => {
    throw new PermanentError('rejected by backend');
  });
  const p = envelope();
  permanent.exporter.consume(p.envelope);
  await permanent.clock.advance(0);
  assert.equal(p.state, 'nacked');
  assert.ok(p.error instanceof PermanentError);

  const exhausted = setup(
    helperConfig({ sending_queue: { enabled: false }, retry_on_failure: { initial_interval: '1s', randomization_factor: 0, max_elapsed_time: '2s' } }),
    async () => {
      throw new RetryableError('still down');
    },
  );
  const r = envelope();
  exhausted.exporter.consume(r.envelope);
  await exhausted.clock.advance(10_000);
  assert.equal(r.state, 'nacked');
  assert.ok(r.error instanceof RetryableError, 'the caller may retry later');
  assert.equal(r.error.message, 'still down');
});

test('the request timeout aborts a hanging send, which is then retried', async () => {
  const config = helperConfig({ timeout: '2s', retry_on_failure: { initial_interval: '1s', randomization_factor: 0 } });
  const { clock, telemetry, sender, exporter } = setup(config, (call) => (call === 0 ? never() : Promise.resolve()));
  exporter.consume(envelope(3).envelope);
  await clock.advance(1999);
  assert.equal(sender.calls[0]!.abort.aborted, false);
  await clock.advance(1);
  assert.equal(sender.calls[0]!.abort.aborted, true, 'the sender is told to give up');
  assert.match(String((sender.calls[0]!.abort.reason as Error).message), /timed out after 2000ms/);
  await clock.advance(1000);
  assert.equal(sender.calls.length, 2);
  assert.equal(sender.calls[1]!.at, 3000);
  assert.equal(await counter(telemetry, 'otelcol_exporter_sent_spans'), 3);
});

test('num_consumers bounds how many batches are sent at once', async () => {
  const config = helperConfig({ sending_queue: { num_consumers: 3, queue_size: 20 } });
  let running = 0;
  let peak = 0;
  const { clock, telemetry, exporter } = setup(config, async () => {
    running++;
    peak = Math.max(peak, running);
    await delay(clock.scheduler, 100);
    running--;
  });
  for (let i = 0; i < 10; i++) exporter.consume(envelope(1).envelope);
  await clock.advance(1000);
  assert.equal(peak, 3);
  assert.equal(await counter(telemetry, 'otelcol_exporter_sent_spans'), 10);
});

test('shutdown drains the queue when the deadline allows', async () => {
  const config = helperConfig({ sending_queue: { num_consumers: 1 } });
  const { clock, telemetry, exporter } = setup(config, () => delay(clock.scheduler, 100));
  for (let i = 0; i < 5; i++) exporter.consume(envelope(2).envelope);
  let done = false;
  void exporter.shutdown(clock.now() + 60_000).then(() => (done = true));
  await clock.advance(499);
  assert.equal(done, false);
  await clock.advance(1);
  assert.equal(done, true, 'resolved once the last batch was sent, not at the deadline');
  assert.equal(await counter(telemetry, 'otelcol_exporter_sent_spans'), 10);
  assert.equal(await counter(telemetry, 'otelcol_exporter_send_failed_spans'), 0);
});

test('shutdown stops accepting, drains until the deadline, then drops and counts the rest', async () => {
  const config = helperConfig({ sending_queue: { num_consumers: 1 } });
  const { clock, telemetry, logs, exporter } = setup(config, (_call, abort) => delay(clock.scheduler, 1000, abort));
  for (let i = 0; i < 5; i++) exporter.consume(envelope(3).envelope);
  let done = false;
  void exporter.shutdown(clock.now() + 2500).then(() => (done = true));
  const late = envelope(4);
  exporter.consume(late.envelope);
  assert.equal(late.state, 'nacked');
  assert.ok(late.error instanceof RetryableError);

  await clock.advance(2400);
  assert.equal(done, false);
  assert.equal(await counter(telemetry, 'otelcol_exporter_sent_spans'), 6, 'two batches sent before the deadline');
  await clock.advance(200);
  assert.equal(done, true);
  // One batch was in flight and two were still queued.
  assert.equal(await counter(telemetry, 'otelcol_exporter_send_failed_spans'), 9);
  const dropped = logs.lines.filter((l) => l.level === 'error');
  assert.equal(dropped.length, 1, 'one error line for the whole drop');
  assert.equal(dropped[0]!.dropped_items, 9);
});

test('retries stop at the shutdown deadline', async () => {
  const config = helperConfig({ retry_on_failure: { initial_interval: '1s', randomization_factor: 0, max_elapsed_time: 0 } });
  const { clock, telemetry, sender, exporter } = setup(config, async () => {
    throw new RetryableError('down');
  });
  exporter.consume(envelope(2).envelope);
  let done = false;
  void exporter.shutdown(clock.now() + 5000).then(() => (done = true));
  await clock.advance(6000);
  assert.equal(done, true);
  const beforeDeadline = sender.calls.filter((c) => c.at <= 5000).length;
  assert.equal(sender.calls.length, beforeDeadline, 'no attempt after the deadline');
  assert.equal(await counter(telemetry, 'otelcol_exporter_send_failed_spans'), 2);
});

test('the shutdown deadline is read on the scheduler clock, not the wall clock', async () => {
  const config = helperConfig({ sending_queue: { num_consumers: 1 } });
  const { clock, telemetry, exporter } = setup(config, (_call, abort) => delay(clock.scheduler, 10_000, abort));
  // Virtual time far from the wall clock: a deadline mixing the two would fire at once or never.
  await clock.advance(3_600_000);
  exporter.consume(envelope(3).envelope);
  let done = false;
  void exporter.shutdown(clock.now() + 2000).then(() => (done = true));
  await clock.advance(1999);
  assert.equal(done, false, 'still draining before the deadline');
  await clock.advance(1);
  assert.equal(done, true, 'cut at the deadline');
  assert.equal(await counter(telemetry, 'otelcol_exporter_send_failed_spans'), 3);
});

/** Splits a batch into one request per span name and answers each post with `answer(name, post)`. */
class SplittingSender implements EncodingSender<'traces', string[]> {
  readonly posts: string[] = [];
  encodes = 0;
  constructor(private readonly answer: (name: string, post: number) => Promise<void> | void) {}
  encode(data: TracesData): string[][] {
    this.encodes++;
    return data.resourceSpans[0]!.scopeSpans[0]!.spans.map((span) => [span.name!]);
  }
  async send(request: string[]): Promise<void> {
    this.posts.push(request[0]!);
    await this.answer(request[0]!, this.posts.length - 1);
  }
  itemsOf(request: string[]): number {
    return request.length;
  }
}

function setupSplitting(config: ExporterHelperConfig, answer: (name: string, post: number) => Promise<void> | void) {
  const clock = new VirtualClock();
  const telemetry = new Telemetry();
  const statuses: Array<[string, string | undefined]> = [];
  const sender = new SplittingSender(answer);
  const exporter = createExporter(
    { id: ID, kind: 'exporter', logger: createLogger('silent'), telemetry, scheduler: clock.scheduler, reportStatus: (status, error) => statuses.push([status, error]), extension: () => undefined },
    'traces',
    config,
    sender,
  );
  return { clock, telemetry, statuses, sender, exporter };
}

const noQueue = (retry: Record<string, unknown> = {}) => helperConfig({ sending_queue: { enabled: false }, retry_on_failure: { initial_interval: '1s', randomization_factor: 0, ...retry } });

test('a retry resumes at the request that failed: accepted requests are not sent again, and the batch is encoded once', async () => {
  const failOnce = new Set(['op-2']);
  const { clock, telemetry, sender, exporter } = setupSplitting(noQueue(), (name) => {
    if (failOnce.delete(name)) throw new RetryableError('busy');
  });
  const e = envelope(4);
  exporter.consume(e.envelope);
  await clock.advance(1000);
  assert.equal(e.state, 'acked');
  assert.deepEqual(sender.posts, ['op-0', 'op-1', 'op-2', 'op-2', 'op-3']);
  assert.equal(sender.encodes, 1, 'the retry re-sends the same requests instead of encoding again');
  assert.equal(await counter(telemetry, 'otelcol_exporter_sent_spans'), 4);
});

test('the same data object queued twice is two batches, each with its own progress', async () => {
  const failures = new Map([['op-1', 1]]);
  const { clock, sender, exporter } = setupSplitting(noQueue(), async (name) => {
    // Both batches are under way at once: the first fails at op-1 while the second is still sending.
    await delay(clock.scheduler, 10);
    const left = failures.get(name) ?? 0;
    if (left > 0) {
      failures.set(name, left - 1);
      throw new RetryableError('busy');
    }
  });
  const data = traces(3);
  const first = envelope(3, data);
  const second = envelope(3, data);
  exporter.consume(first.envelope);
  exporter.consume(second.envelope);
  await clock.advance(5000);
  assert.deepEqual([first.state, second.state], ['acked', 'acked']);
  const count = (name: string) => sender.posts.filter((p) => p === name).length;
  assert.deepEqual(['op-0', 'op-1', 'op-2'].map(count), [2, 3, 2], 'each batch sends every request once, plus the one retry of op-1');
  assert.equal(sender.encodes, 2);
});

test('a request refused for good does not hold back the next ones; the batch is refused with the refused items counted', async () => {
  const { clock, telemetry, sender, exporter } = setupSplitting(noQueue(), (name) => {
    if (name === 'op-1' || name === 'op-3') throw new PermanentError(`bad ${name}`);
  });
  const e = envelope(5);
  exporter.consume(e.envelope);
  await clock.advance(0);
  assert.deepEqual(sender.posts, ['op-0', 'op-1', 'op-2', 'op-3', 'op-4'], 'nothing retried, nothing skipped');
  assert.equal(e.state, 'nacked');
  assert.ok(e.error instanceof PermanentError);
  assert.equal(e.error.message, 'bad op-1', 'the first refusal speaks for the batch');
  assert.equal(e.error.rejectedItems, 2);
  assert.equal(await counter(telemetry, 'otelcol_exporter_sent_spans'), 3);
  assert.equal(await counter(telemetry, 'otelcol_exporter_send_failed_spans'), 2);
});

test('giving up after part of a batch went through counts only the rest as failed', async () => {
  const { clock, telemetry, exporter } = setupSplitting(noQueue({ max_elapsed_time: '3s' }), (name) => {
    if (name === 'op-2') throw new RetryableError('still down');
  });
  const e = envelope(4);
  exporter.consume(e.envelope);
  await clock.advance(10_000);
  assert.equal(e.state, 'nacked');
  assert.ok(e.error instanceof RetryableError);
  assert.equal(await counter(telemetry, 'otelcol_exporter_sent_spans'), 2);
  assert.equal(await counter(telemetry, 'otelcol_exporter_send_failed_spans'), 2);
});

test('a batch that cannot be encoded is refused for good at once, in every exporter', async () => {
  const clock = new VirtualClock();
  const telemetry = new Telemetry();
  let encodes = 0;
  const sender: EncodingSender<'traces', Buffer> = {
    encode: () => {
      encodes++;
      throw new RangeError('invalid span id length');
    },
    send: () => Promise.resolve(),
  };
  const exporter = createExporter({ id: ID, kind: 'exporter', logger: createLogger('silent'), telemetry, scheduler: clock.scheduler, reportStatus: () => {}, extension: () => undefined }, 'traces', noQueue(), sender);
  const e = envelope(2);
  exporter.consume(e.envelope);
  await clock.advance(60_000);
  assert.equal(e.state, 'nacked');
  assert.ok(e.error instanceof PermanentError);
  assert.equal(e.error.message, 'cannot encode traces: invalid span id length');
  assert.equal(encodes, 1, 'not retried');
  assert.equal(await counter(telemetry, 'otelcol_exporter_send_failed_spans'), 2);
});

test('health: recoverable while sends fail and are retried, ok after the next success, permanent when data is refused; silent once shutting down', async () => {
  let down = true;
  const { clock, statuses, exporter } = setupSplitting(helperConfig({ retry_on_failure: { initial_interval: '1s', multiplier: 1, randomization_factor: 0, max_elapsed_time: 0 } }), (name) => {
    if (down) throw new RetryableError('connection refused');
    if (name === 'bad') throw new PermanentError('HTTP 400: bad');
  });
  exporter.consume(envelope(1).envelope);
  await clock.advance(3000);
  assert.deepEqual(statuses, [['recoverable_error', 'connection refused']], 'reported once, not at every retry');
  down = false;
  await clock.advance(1000);
  assert.deepEqual(statuses.at(-1), ['ok', undefined]);
  const bad = traces(1);
  bad.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.name = 'bad';
  exporter.consume(envelope(1, bad).envelope);
  await clock.advance(0);
  assert.deepEqual(statuses.at(-1), ['permanent_error', 'HTTP 400: bad']);
  const reported = statuses.length;
  exporter.consume(envelope(1).envelope);
  void exporter.shutdown(clock.now() + 1000);
  await clock.advance(1000);
  assert.equal(statuses.length, reported, 'the service reports stopping and stopped; a success while draining does not overwrite them');
});
