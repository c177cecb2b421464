// probabilistic_sampler: the tracestate arithmetic, the Collector-compatible hash, decisions in
// each mode, the stream contract (empty envelopes acked, kept ones passed on), and the
// specification's promise: two gateways that share nothing keep or drop the same whole traces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Subject, asyncScheduler } from 'rxjs';
import Long from 'long';
import { probabilisticSamplerProcessorFactory } from '../../src/processors/probabilistic_sampler/factory.js';
import { type ProbabilisticSamplerConfig } from '../../src/processors/probabilistic_sampler/config.js';
import { decide, fnv1a32 } from '../../src/processors/probabilistic_sampler/sampler.js';
import { encodeThreshold, MAX_56, parseOtTraceState, thresholdFor, traceIdRandomness, withThreshold } from '../../src/pdata/tracestate.js';
import { createEnvelope, receiverContext, type Envelope } from '../../src/pipeline/envelope.js';
import type { LogsData, Span, TracesData } from '../../src/pdata/types.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { receiverPorts, startServiceFromFiles } from '../helpers/service.js';
import { startSink } from '../helpers/sink.js';
import { otlpCodecs } from '../../src/codec/otlp-proto.js';

const hex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));

test('thresholds: encoding, rounding to the precision, parsing, and writing into tracestate', () => {
  assert.equal(encodeThreshold(0n), '0');
  assert.equal(encodeThreshold(BigInt('0xe6666666666666')), 'e6666666666666');
  assert.equal(thresholdFor(0.1, 4), BigInt('0xe6660000000000'));
  assert.equal(encodeThreshold(thresholdFor(0.1, 4)!), 'e666');
  assert.equal(encodeThreshold(thresholdFor(0.5, 4)!), '8');
  assert.equal(thresholdFor(1, 4), 0n);
  assert.equal(thresholdFor(0, 4), undefined);
  assert.ok(thresholdFor(1e-12, 4)! < MAX_56, 'never rounds up to "reject everything"');
  assert.deepEqual(parseOtTraceState('vendor=1,ot=th:e666;rv:0123456789abcd'), { threshold: BigInt('0xe6660000000000'), randomness: BigInt('0x0123456789abcd'), badRandomness: false });
  assert.deepEqual(parseOtTraceState('ot=rv:xyz'), { badRandomness: true });
  assert.equal(withThreshold('vendor=1,ot=rv:0123456789abcd;th:8', BigInt('0xe6660000000000')), 'ot=th:e666;rv:0123456789abcd,vendor=1');
  assert.equal(withThreshold(undefined, 0n), 'ot=th:0');
  assert.equal(traceIdRandomness(hex('0af7651916cd43dd8448eb211c80319c')), BigInt('0x48eb211c80319c'));
  assert.equal(traceIdRandomness(new Uint8Array(16)), undefined);
});

test('hash_seed is FNV-1a over the little-endian seed and the trace id, as the Go Collector computes it', () => {
  // The seed's four bytes are "foob": FNV-1a 32 of "foobar" is the published 0xbf9cf968.
  assert.equal(fnv1a32(0x626f6f66, new TextEncoder().encode('ar')), 0xbf9cf968);
  const settings = { mode: 'hash_seed' as const, percentage: 50, seed: 7, precision: 4, failClosed: true };
  const traceId = hex('0af7651916cd43dd8448eb211c80319c');
  const bucket = fnv1a32(7, traceId) & 0x3fff;
  assert.equal(decide(settings, { hashInput: traceId }).keep, bucket < 0x2000);
  assert.equal(decide({ ...settings, percentage: 100 }, { hashInput: traceId }).keep, true);
  assert.equal(decide({ ...settings, percentage: 0 }, { hashInput: traceId }).keep, false);
});

test('proportional multiplies with the probability already applied; equalizing takes the stricter threshold; unknown randomness follows fail_closed', () => {
  const base = { percentage: 50, seed: 0, precision: 4, failClosed: true };
  const high = BigInt('0xf0000000000000'); // above every threshold below
  // Arriving at 50 % (th:8), proportional 50 % makes 25 % (th:c); equalizing keeps 50 %.
  assert.deepEqual(decide({ ...base, mode: 'proportional' }, { value: high, traceState: 'ot=th:8' }), { keep: true, threshold: BigInt('0xc0000000000000') });
  assert.deepEqual(decide({ ...base, mode: 'equalizing' }, { value: high, traceState: 'ot=th:8' }), { keep: true, threshold: BigInt('0x80000000000000') });
  assert.deepEqual(decide({ ...base, mode: 'proportional' }, { value: BigInt('0xb0000000000000'), traceState: 'ot=th:8' }), { keep: false });
  // An explicit rv wins over the trace id's bits.
  assert.equal(decide({ ...base, mode: 'proportional' }, { value: high, traceState: 'ot=rv:00000000000001' }).keep, false);
  assert.equal(decide({ ...base, mode: 'proportional' }, { value: undefined }).keep, false);
  assert.equal(decide({ ...base, mode: 'proportional', failClosed: false }, { value: undefined }).keep, true);
  assert.equal(decide({ ...base, mode: 'proportional' }, { value: high, traceState: 'ot=rv:bad' }).keep, false, 'malformed rv is unknown randomness');
});

function processor(raw: Record<string, unknown>, signal: 'traces' | 'logs', telemetry = new Telemetry()) {
  const ctx = { issues: [] as unknown[] };
  const config = probabilisticSamplerProcessorFactory.schema.parse(raw, ctx as never) as ProbabilisticSamplerConfig;
  assert.deepEqual(ctx.issues, []);
  return probabilisticSamplerProcessorFactory.create({ id: 'probabilistic_sampler', kind: 'processor', logger: createLogger('silent'), telemetry, scheduler: asyncScheduler, reportStatus: () => {}, extension: () => undefined }, config, signal);
}

function run(p: ReturnType<typeof processor>, envelopes: Envelope[]): Envelope[] {
  const out: Envelope[] = [];
  const input = new Subject<Envelope>();
  input.pipe(p.operator).subscribe((e) => out.push(e));
  for (const e of envelopes) input.next(e);
  input.complete();
  return out;
}

const span = (traceId: string, name: string, extra: Partial<Span> = {}): Span => ({ traceId: hex(traceId), spanId: hex('0000000000000001'), name, attributes: [], events: [], links: [], ...extra });

test('on the stream: dropped spans leave, an emptied envelope is acked, kept spans carry th; sampling.priority overrides; counted', async () => {
  const telemetry = new Telemetry();
  const p = processor({ mode: 'proportional', sampling_percentage: 50 }, 'traces', telemetry);
  const keepId = '000000000000000000f0000000000000'; // randomness 0xf0000000000000: kept at 50 %
  const dropId = '00000000000000000010000000000000'; // randomness 0x10000000000000: dropped
  let acked = 0;
  const settle = { ack: () => acked++, nack: () => assert.fail('nothing is refused') };
  const mixed: TracesData = { resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans: [span(keepId, 'kept', { traceState: 'vendor=x' }), span(dropId, 'dropped'), span(dropId, 'forced', { attributes: [{ key: 'sampling.priority', value: { intValue: 1 } }] })] }] }] };
  const allDropped: TracesData = { resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans: [span(dropId, 'gone')] }] }] };
  const out = run(p, [createEnvelope('traces', mixed, receiverContext('otlp'), settle), createEnvelope('traces', allDropped, receiverContext('otlp'), settle)]);
  assert.equal(out.length, 1);
  assert.equal(acked, 1, 'the emptied envelope is acked, not lost or refused');
  assert.equal(out[0]!.items, 2);
  const spans = (out[0]!.data as TracesData).resourceSpans[0]!.scopeSpans[0]!.spans;
  assert.deepEqual(spans.map((s) => [s.name, s.traceState]), [
    ['kept', 'ot=th:8,vendor=x'],
    ['forced', undefined],
  ]);
  const metrics = await telemetry.render();
  assert.match(metrics, /otelcol_processor_probabilistic_sampler_count_traces_sampled\{processor="probabilistic_sampler",policy="proportional",sampled="true"\} 1/);
  assert.match(metrics, /otelcol_processor_probabilistic_sampler_count_traces_sampled\{processor="probabilistic_sampler",policy="proportional",sampled="false"\} 2/);
  assert.match(metrics, /policy="sampling_priority",sampled="true"\} 1/);
});

test('logs: by an attribute (record source, hash_seed), by trace id, and per-record sampling_priority', () => {
  const logs = (records: Array<{ session?: string; priority?: number; traceId?: string }>): LogsData => ({
    resourceLogs: [
      {
        resource: { attributes: [] },
        scopeLogs: [
          {
            logRecords: records.map((r, i) => ({
              body: { stringValue: `r${i}` },
              traceId: r.traceId ? hex(r.traceId) : undefined,
              attributes: [
                ...(r.session ? [{ key: 'session.id', value: { stringValue: r.session } }] : []),
                ...(r.priority !== undefined ? [{ key: 'priority', value: { intValue: Long.fromNumber(r.priority) } }] : []),
              ],
            })),
          },
        ],
      },
    ],
  });
  const byRecord = processor({ attribute_source: 'record', from_attribute: 'session.id', sampling_percentage: 50, hash_seed: 3, sampling_priority: 'priority' }, 'logs');
  const sessions = Array.from({ length: 200 }, (_, i) => `s-${i}`);
  const data = logs([...sessions.map((s) => ({ session: s })), ...sessions.map((s) => ({ session: s })), { session: 's-1', priority: 100 }, { session: 's-1', priority: 0 }, {}]);
  const out = run(byRecord, [createEnvelope('logs', data, receiverContext('otlp'), { ack: () => {}, nack: () => {} })]);
  const kept = (out[0]!.data as LogsData).resourceLogs[0]!.scopeLogs[0]!.logRecords;
  const keptSessions = kept.filter((r) => r.attributes.length === 1).map((r) => r.attributes[0]!.value!.stringValue!);
  const firstPass = new Set(keptSessions.slice(0, keptSessions.length / 2));
  assert.deepEqual(new Set(keptSessions.slice(keptSessions.length / 2)), firstPass, 'the same sessions are kept each time');
  assert.ok(firstPass.size > 60 && firstPass.size < 140, `${firstPass.size} of 200 sessions kept at 50 %`);
  assert.equal(kept.filter((r) => r.attributes.length === 2).length, 1, 'priority 100 kept, priority 0 dropped');
  assert.ok(kept.every((r) => r.attributes.length > 0), 'a record without the attribute is dropped (fail_closed)');

  const byTrace = processor({ sampling_percentage: 50 }, 'logs');
  const traced = run(byTrace, [createEnvelope('logs', logs([{ traceId: '000000000000000000f0000000000000' }, { traceId: '00000000000000000010000000000000' }]), receiverContext('otlp'), { ack: () => {}, nack: () => {} })]);
  assert.equal(traced[0]!.items, 1);
});

/** A seeded generator, so the 20,000 trace ids (and the test) are the same on every run. */
function* randomBytes(seed: number): Generator<number> {
  let x = BigInt(seed);
  for (;;) {
    x = (x + 0x9e3779b97f4a7c15n) & ((1n << 64n) - 1n);
    let z = x;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & ((1n << 64n) - 1n);
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & ((1n << 64n) - 1n);
    z ^= z >> 31n;
    for (let i = 0n; i < 8n; i++) yield Number((z >> (8n * i)) & 0xffn);
  }
}

test('two gateways sharing nothing, each at 10 %, fed disjoint halves of 20,000 traces keep every trace whole or not at all', async () => {
  const TRACES = 20_000;
  const SPANS = 4;
  const gen = randomBytes(2026);
  const ids = Array.from({ length: TRACES }, () => Buffer.from(Array.from({ length: 16 }, () => gen.next().value as number)));
  const example = fileURLToPath(new URL('../../pipelines/probabilistic-sampling.yaml', import.meta.url));
  const sinks = [await startSink(), await startSink()];
  const services = await Promise.all(
    sinks.map((sink) =>
      startServiceFromFiles(
        [example],
        [
          'receivers.otlp.protocols.grpc.endpoint=127.0.0.1:0',
          'receivers.otlp.protocols.http.endpoint=127.0.0.1:0',
          'service.telemetry.metrics.level=none',
          'processors.batch.timeout=10ms',
          `exporters.otlp/backend.endpoint=127.0.0.1:${sink.grpcPort}`,
        ],
      ),
    ),
  );
  try {
    // Gateway 0 sees the first half of every trace's spans, gateway 1 the second.
    for (const [g, service] of services.entries()) {
      const { http } = receiverPorts(service);
      for (let from = 0; from < TRACES; from += 1000) {
        const spans: Span[] = [];
        for (let t = from; t < from + 1000; t++) {
          for (let k = (g * SPANS) / 2; k < ((g + 1) * SPANS) / 2; k++) spans.push({ traceId: ids[t]!, spanId: Buffer.from([0, 0, 0, 0, 0, 0, t >> 8 & 0xff, (t & 0xff) ^ k]), name: `t${t}/s${k}`, attributes: [], events: [], links: [] });
        }
        const body = otlpCodecs.traces.encode({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans }] }] });
        const res = await fetch(`http://127.0.0.1:${http}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
        assert.equal(res.status, 200);
      }
    }
    await Promise.all(services.map((s) => s.shutdown()));
    const keptBy = sinks.map((sink) => {
      const perTrace = new Map<string, number>();
      for (const r of sink.received.traces) for (const rs of r.data.resourceSpans) for (const ss of rs.scopeSpans) for (const s of ss.spans) {
        const trace = s.name!.split('/')[0]!;
        perTrace.set(trace, (perTrace.get(trace) ?? 0) + 1);
        assert.equal(s.traceState, 'ot=th:e666', 'the threshold travels with every kept span');
      }
      return perTrace;
    });
    const kept = new Set([...keptBy[0]!.keys(), ...keptBy[1]!.keys()]);
    for (const trace of kept) {
      assert.equal(keptBy[0]!.get(trace), SPANS / 2, `${trace}: gateway 0 kept its half`);
      assert.equal(keptBy[1]!.get(trace), SPANS / 2, `${trace}: gateway 1 kept its half`);
    }
    // Binomial(20,000, p) with p = 1 - 0xe666/0x10000 ≈ 0.1000: σ ≈ 42 traces; 5σ either side.
    const p = 1 - 0xe666 / 0x10000;
    const sigma = Math.sqrt(TRACES * p * (1 - p));
    assert.ok(Math.abs(kept.size - TRACES * p) <= 5 * sigma, `kept ${kept.size} traces, expected ${(TRACES * p).toFixed(0)} ± ${(5 * sigma).toFixed(0)}`);
  } finally {
    await Promise.all(services.map((s) => s.shutdown()));
    await Promise.all(sinks.map((s) => s.close()));
  }
});
