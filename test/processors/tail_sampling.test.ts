// tail_sampling on virtual time: traces held for decision_wait and judged whole by each policy
// type, the Collector's rule for combining decisions (drop wins, inverted matches), late spans
// following the cached decision, num_traces deciding the oldest early, and a flush at shutdown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Subject, VirtualTimeScheduler } from 'rxjs';
import Long from 'long';
import { tailSamplingProcessorFactory } from '../../src/processors/tail_sampling/factory.js';
import { type TailSamplingConfig } from '../../src/processors/tail_sampling/config.js';
import { finalDecision } from '../../src/processors/tail_sampling/policies.js';
import { createEnvelope, receiverContext, type Envelope } from '../../src/pipeline/envelope.js';
import type { KeyValue, Span, TracesData } from '../../src/pdata/types.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { measuredMemory, MiB } from '../helpers/memory.js';

const id = (n: number) => Uint8Array.from(Buffer.from(n.toString(16).padStart(32, '0'), 'hex'));
const kv = (key: string, value: KeyValue['value']): KeyValue => ({ key, value });

function setup(raw: Record<string, unknown>) {
  const scheduler = new VirtualTimeScheduler();
  const telemetry = new Telemetry();
  const ctx = { issues: [] as { message: string }[] };
  const config = tailSamplingProcessorFactory.schema.parse(raw, ctx as never) as TailSamplingConfig;
  assert.deepEqual(ctx.issues.map((i) => i.message), []);
  const p = tailSamplingProcessorFactory.create({ id: 'tail_sampling', kind: 'processor', logger: createLogger('silent'), telemetry, scheduler, reportStatus: () => {}, extension: () => undefined }, config, 'traces');
  const input = new Subject<Envelope>();
  const out: Envelope[] = [];
  let acked = 0;
  input.pipe(p.operator).subscribe((e) => out.push(e));
  const send = (spans: Span[], resource: KeyValue[] = [], context = receiverContext('otlp')) =>
    input.next(createEnvelope('traces', { resourceSpans: [{ resource: { attributes: resource }, scopeSpans: [{ spans }] }] }, context, { ack: () => acked++, nack: () => assert.fail() }));
  const advance = (ms: number) => {
    scheduler.maxFrames = scheduler.frame + ms;
    scheduler.flush();
  };
  const kept = () => new Set(out.flatMap((e) => (e.data as TracesData).resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => s.name!.split('/')[0]!)))));
  return { send, advance, out, kept, acked: () => acked, telemetry, complete: () => input.complete() };
}

const span = (trace: number, name: string, extra: Partial<Span> = {}): Span => ({
  traceId: id(trace),
  spanId: id(trace * 100 + name.length).subarray(8),
  name: `t${trace}/${name}`,
  startTimeUnixNano: Long.fromNumber(1_000_000_000),
  endTimeUnixNano: Long.fromNumber(1_000_000_000 + 10_000_000),
  attributes: [],
  events: [],
  links: [],
  ...extra,
});

test('traces wait for decision_wait, are judged whole, and leave together; sources acked on entry', async () => {
  const { send, advance, out, kept, acked, telemetry } = setup({ decision_wait: '10s', policies: [{ name: 'errors', type: 'status_code', status_code: { status_codes: ['ERROR'] } }] });
  send([span(1, 'root'), span(2, 'root')]);
  advance(5000);
  send([span(1, 'child', { status: { code: 2 } }), span(2, 'child')]);
  assert.equal(acked(), 2);
  assert.equal(out.length, 0, 'nothing before decision_wait');
  advance(5000);
  assert.deepEqual(kept(), new Set(['t1']));
  assert.equal(out[0]!.items, 2, 'both spans of the error trace, though they came in different requests');
  const text = await telemetry.render();
  assert.match(text, /otelcol_processor_tail_sampling_count_traces_sampled\{processor="tail_sampling",policy="errors",sampled="true"\} 1/);
  assert.match(text, /otelcol_processor_tail_sampling_global_count_traces_sampled\{processor="tail_sampling",sampled="false"\} 1/);
  assert.match(text, /otelcol_processor_tail_sampling_sampling_traces_on_memory\{processor="tail_sampling"\} 0/);
});

test('each policy type decides as the Collector documents', () => {
  const cases: Array<[string, Record<string, unknown>, Span[], boolean]> = [
    ['always_sample', {}, [span(1, 'a')], true],
    ['latency', { latency: { threshold_ms: 5 } }, [span(1, 'a')], true],
    ['latency', { latency: { threshold_ms: 5, upper_threshold_ms: 8 } }, [span(1, 'a')], false],
    ['status_code', { status_code: { status_codes: ['OK'] } }, [span(1, 'a', { status: { code: 1 } })], true],
    ['string_attribute', { string_attribute: { key: 'route', values: ['/pay'] } }, [span(1, 'a', { attributes: [kv('route', { stringValue: '/pay' })] })], true],
    ['string_attribute', { string_attribute: { key: 'route', values: ['^/adm.*'], enabled_regex_matching: true } }, [span(1, 'a', { attributes: [kv('route', { stringValue: '/admin' })] })], true],
    ['numeric_attribute', { numeric_attribute: { key: 'http.status_code', min_value: 500, max_value: 599 } }, [span(1, 'a', { attributes: [kv('http.status_code', { intValue: 503 })] })], true],
    ['numeric_attribute', { numeric_attribute: { key: 'http.status_code', min_value: 500, max_value: 599 } }, [span(1, 'a', { attributes: [kv('http.status_code', { intValue: 200 })] })], false],
    ['boolean_attribute', { boolean_attribute: { key: 'debug', value: true } }, [span(1, 'a', { attributes: [kv('debug', { boolValue: true })] })], true],
    ['probabilistic', { probabilistic: { sampling_percentage: 100 } }, [span(1, 'a')], true],
    ['probabilistic', { probabilistic: { sampling_percentage: 0 } }, [span(1, 'a')], false],
    ['span_count', { span_count: { min_spans: 2 } }, [span(1, 'a'), span(1, 'bb')], true],
    ['span_count', { span_count: { min_spans: 2, max_spans: 2 } }, [span(1, 'a'), span(1, 'bb'), span(1, 'ccc')], false],
    ['trace_state', { trace_state: { key: 'vendor', values: ['keep'] } }, [span(1, 'a', { traceState: 'ot=th:8,vendor=keep' })], true],
  ];
  for (const [type, section, spans, expected] of cases) {
    const { send, advance, kept } = setup({ decision_wait: '1s', policies: [{ name: 'p', type, ...section }] });
    send(spans);
    advance(1000);
    assert.equal(kept().has('t1'), expected, `${type} ${JSON.stringify(section)}`);
  }
});

test('combined decisions: drop wins, an inverted non-match samples unless another policy says no, and policies', () => {
  assert.equal(finalDecision(['Sampled', 'Dropped']), false);
  assert.equal(finalDecision(['Sampled', 'InvertNotSampled']), false);
  assert.equal(finalDecision(['NotSampled', 'Sampled']), true);
  assert.equal(finalDecision(['InvertSampled']), true);
  assert.equal(finalDecision(['InvertSampled', 'NotSampled']), false);
  const { send, advance, kept } = setup({
    decision_wait: '1s',
    policies: [
      { name: 'everything', type: 'always_sample' },
      { name: 'not-health', type: 'drop', drop: { drop_sub_policy: [{ name: 'health', type: 'string_attribute', string_attribute: { key: 'route', values: ['/health'] } }] } },
      { name: 'slow-and-errors', type: 'and', and: { and_sub_policy: [{ name: 'slow', type: 'latency', latency: { threshold_ms: 5 } }, { name: 'err', type: 'status_code', status_code: { status_codes: ['ERROR'] } }] } },
    ],
  });
  send([span(1, 'a', { attributes: [kv('route', { stringValue: '/health' })] }), span(2, 'a'), span(3, 'a', { status: { code: 2 } })]);
  advance(1000);
  assert.deepEqual(kept(), new Set(['t2', 't3']), 'the health check is dropped although always_sample matched');
  const inverted = setup({ decision_wait: '1s', policies: [{ name: 'not-internal', type: 'string_attribute', string_attribute: { key: 'team', values: ['internal'], invert_match: true } }] });
  inverted.send([span(1, 'a', { attributes: [kv('team', { stringValue: 'internal' })] }), span(2, 'a', { attributes: [kv('team', { stringValue: 'shop' })] })]);
  inverted.advance(1000);
  assert.deepEqual(inverted.kept(), new Set(['t2']));
});

test('rate_limiting and composite budgets are spans per second on the scheduler\'s clock', () => {
  const limited = setup({ decision_wait: '1s', policies: [{ name: 'rate', type: 'rate_limiting', rate_limiting: { spans_per_second: 3 } }] });
  limited.send([span(1, 'a'), span(1, 'bb'), span(2, 'a'), span(2, 'bb'), span(3, 'a')]);
  limited.advance(1000);
  assert.deepEqual(limited.kept(), new Set(['t1', 't3']), 'the second two-span trace would pass 3 spans/s; a later one-span trace fits');
  const composite = setup({
    decision_wait: '1s',
    policies: [
      {
        name: 'budget',
        type: 'composite',
        composite: {
          max_total_spans_per_second: 4,
          policy_order: ['errors', 'rest'],
          composite_sub_policy: [
            { name: 'errors', type: 'status_code', status_code: { status_codes: ['ERROR'] } },
            { name: 'rest', type: 'always_sample' },
          ],
          rate_allocation: [
            { policy: 'errors', percent: 50 },
            { policy: 'rest', percent: 50 },
          ],
        },
      },
    ],
  });
  composite.send([1, 2, 3].map((t) => span(t, 'a', { status: { code: 2 } })).concat([4, 5, 6].map((t) => span(t, 'a'))));
  composite.advance(1000);
  // Errors get 2 spans/s of the 4; the third error then falls to "rest", which has 2 of its own.
  assert.deepEqual(composite.kept(), new Set(['t1', 't2', 't3', 't4']));
});

test('late spans follow the cached decision; num_traces decides the oldest early; shutdown decides the rest', async () => {
  const { send, advance, out, kept, telemetry, complete } = setup({
    decision_wait: '10s',
    num_traces: 2,
    decision_cache: { sampled_cache_size: 10, non_sampled_cache_size: 10 },
    policies: [{ name: 'errors', type: 'status_code', status_code: { status_codes: ['ERROR'] } }],
  });
  send([span(1, 'a', { status: { code: 2 } }), span(2, 'a')]);
  send([span(3, 'a')]); // a third trace: trace 1, the oldest, is decided now
  assert.deepEqual(kept(), new Set(['t1']));
  advance(10_000);
  send([span(1, 'late'), span(2, 'late')]);
  assert.equal(out.length, 2);
  assert.equal((out[1]!.data as TracesData).resourceSpans[0]!.scopeSpans[0]!.spans[0]!.name, 't1/late', 'a late span of a kept trace goes straight out');
  send([span(9, 'a', { status: { code: 2 } })]);
  complete();
  assert.ok(kept().has('t9'), 'decided at shutdown, not lost');
  const text = await telemetry.render();
  assert.match(text, /otelcol_processor_tail_sampling_sampling_trace_dropped_too_early\{processor="tail_sampling"\} 1/);
  assert.match(text, /otelcol_processor_tail_sampling_late_spans\{processor="tail_sampling",sampled="true"\} 1/);
  assert.match(text, /otelcol_processor_tail_sampling_late_spans\{processor="tail_sampling",sampled="false"\} 1/);
});

test('config errors: a policy without its section, unknown composite members, duplicate names', () => {
  const issues = (raw: Record<string, unknown>) => {
    const ctx = { issues: [] as { message: string }[] };
    tailSamplingProcessorFactory.schema.parse(raw, ctx as never);
    return ctx.issues.map((i) => i.message).join('\n');
  };
  assert.match(issues({ policies: [{ name: 'x', type: 'latency' }] }), /policy "x" of type latency needs a "latency" section/);
  assert.match(issues({ policies: [{ name: 'c', type: 'composite', composite: { max_total_spans_per_second: 1, policy_order: ['nope'], composite_sub_policy: [] } }] }), /policy_order names "nope"/);
  assert.match(issues({ policies: [{ name: 'a', type: 'always_sample' }, { name: 'a', type: 'always_sample' }] }), /duplicate policy name "a"/);
});

test('kept spans leave under the request context they came with, one request per context, even within one trace', () => {
  const { send, advance, out } = setup({ decision_wait: '1s', policies: [{ name: 'all', type: 'always_sample' }] });
  const tenant = (name: string) => receiverContext('otlp', 'http', new Map([['x-tenant', [name]]]), name);
  send([span(1, 'a'), span(2, 'a')], [], tenant('acme'));
  send([span(1, 'b')], [], tenant('globex'));
  send([span(3, 'a')], [], tenant('acme'));
  advance(1000);
  const byTenant = new Map(out.map((e) => [e.context.tenant, (e.data as TracesData).resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((sp) => sp.name))).sort()]));
  assert.equal(out.length, 2);
  assert.deepEqual(byTenant.get('acme'), ['t1/a', 't2/a', 't3/a']);
  assert.deepEqual(byTenant.get('globex'), ['t1/b']);
  assert.deepEqual([...out.find((e) => e.context.tenant === 'acme')!.context.metadata], [['x-tenant', ['acme']]]);
});

test('max_spans_per_trace: a trace reaching it is decided at once and counted; its later spans follow the decision', async () => {
  const { send, advance, out, telemetry } = setup({
    decision_wait: '10s',
    max_spans_per_trace: 3,
    decision_cache: { sampled_cache_size: 10 },
    policies: [{ name: 'all', type: 'always_sample' }],
  });
  send([span(1, 'a'), span(1, 'bb'), span(1, 'ccc')]);
  assert.equal(out.length, 1, 'decided without waiting for decision_wait');
  assert.equal(out[0]!.items, 3);
  send([span(1, 'dddd')]);
  assert.equal(out.length, 2, 'a later span follows the cached decision');
  const text = await telemetry.render();
  assert.match(text, /sluice_processor_tail_sampling_traces_decided_at_span_limit\{processor="tail_sampling"\} 1/);
  assert.match(text, /otelcol_processor_tail_sampling_sampling_traces_on_memory\{processor="tail_sampling"\} 0/);
  advance(10_000);
  assert.equal(out.length, 2);
});

test('a flood of traces and spans holds at most num_traces × max_spans_per_trace spans; the heap stops growing at the cap', async (t) => {
  const { send, out, telemetry } = setup({ decision_wait: '1h', num_traces: 200, max_spans_per_trace: 500, policies: [{ name: 'none', type: 'probabilistic', probabilistic: { sampling_percentage: 0 } }] });
  const fill = (firstTrace: number, traces: number, spansEach: number) => {
    for (let trace = firstTrace; trace < firstTrace + traces; trace++) send(Array.from({ length: spansEach }, (_, i) => span(trace, `s${i}`)));
  };
  const baseline = measuredMemory();
  fill(1, 200, 499);
  const atCap = measuredMemory();
  // Three times as many spans again, into new traces and past the per-trace cap.
  fill(1000, 300, 1000);
  const flooded = measuredMemory();
  const fillHeap = atCap.heapUsed - baseline.heapUsed;
  const floodHeap = flooded.heapUsed - atCap.heapUsed;
  t.diagnostic(`heap ${MiB(fillHeap)} MiB for 99,800 held spans, then ${MiB(floodHeap)} MiB for 300,000 more; rss ${MiB(atCap.rss - baseline.rss)} then ${MiB(flooded.rss - atCap.rss)} MiB`);
  assert.ok(floodHeap < fillHeap / 2, `the flood grew the heap by ${MiB(floodHeap)} MiB; filling the cap took ${MiB(fillHeap)} MiB`);
  assert.equal(out.length, 0);
  const text = await telemetry.render();
  // Each flood trace reached the cap twice (1000 spans, 500 each time).
  assert.match(text, /sluice_processor_tail_sampling_traces_decided_at_span_limit\{processor="tail_sampling"\} 600/);
  const held = Number(/otelcol_processor_tail_sampling_sampling_traces_on_memory\{processor="tail_sampling"\} (\d+)/.exec(text)?.[1]);
  assert.ok(held <= 200, `${held} traces held`);
});
