import { test } from 'node:test';
import assert from 'node:assert/strict';
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { memoryLimiterProcessorFactory } from '../../src/processors/memory_limiter/factory.js';
import { type MemoryLimiterConfig } from '../../src/processors/memory_limiter/config.js';
import { MemoryLimiterProcessor, memoryLimits, pressureOf, shouldCollect, totalMemory, type MemoryLimiterDeps } from '../../src/processors/memory_limiter/memory-limiter.js';
import { createEnvelope, receiverContext, type Envelope } from '../../src/pipeline/envelope.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import type { ValidationContext } from '../../src/config/schema.js';
import type { TracesData } from '../../src/pdata/types.js';

const MiB = 1024 * 1024;

function parseConfig(raw: Record<string, unknown>): { config?: MemoryLimiterConfig; issues: string[] } {
  const ctx: ValidationContext = { issues: [] };
  const config = memoryLimiterProcessorFactory.schema.parse(raw, ctx, ['processors', 'memory_limiter']);
  return { config, issues: ctx.issues.map((i) => `${i.path}: ${i.message}`) };
}

function config(raw: Record<string, unknown>): MemoryLimiterConfig {
  const { config, issues } = parseConfig(raw);
  assert.deepEqual(issues, []);
  return config!;
}

function span(name: string): TracesData {
  return { resourceSpans: [{ scopeSpans: [{ spans: [{ name, attributes: [], events: [], links: [] }] }] }] };
}

function recordedEnvelope(name: string, calls: string[]): Envelope {
  return createEnvelope('traces', span(name), receiverContext('otlp'), { ack: () => calls.push(`${name}:ack`), nack: (e) => calls.push(`${name}:nack:${e.name}:${e.message}`) });
}

function limiter(ts: TestScheduler, raw: Record<string, unknown>, deps: MemoryLimiterDeps) {
  const lines: string[] = [];
  const telemetry = new Telemetry();
  const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
  const processor = new MemoryLimiterProcessor({ id: 'memory_limiter', kind: 'processor', logger, telemetry, scheduler: ts, reportStatus: () => {}, extension: () => undefined }, config(raw), deps);
  return { processor, telemetry, logged: (text: string) => lines.filter((l) => l.includes(text)).length };
}

function names(e: Envelope): string {
  return (e.data as TracesData).resourceSpans[0]!.scopeSpans[0]!.spans[0]!.name!;
}

async function withGc<T>(gc: () => void, body: () => T | Promise<T>): Promise<T> {
  const g = globalThis as { gc?: () => void };
  const saved = g.gc;
  g.gc = gc;
  try {
    return await body();
  } finally {
    if (saved) g.gc = saved;
    else delete g.gc;
  }
}

test('limits in MiB: soft = limit - spike, spike defaulting to 20% of the limit', () => {
  assert.deepEqual(memoryLimits(config({ check_interval: '1s', limit_mib: 100 }), 0), { hard: 100 * MiB, soft: 80 * MiB });
  assert.deepEqual(memoryLimits(config({ check_interval: '1s', limit_mib: 100, spike_limit_mib: 30 }), 0), { hard: 100 * MiB, soft: 70 * MiB });
});

test('limits in percent are taken of the provided total memory', () => {
  const total = 1000 * MiB;
  assert.deepEqual(memoryLimits(config({ check_interval: '1s', limit_percentage: 80, spike_limit_percentage: 25 }), total), { hard: 800 * MiB, soft: 550 * MiB });
  assert.deepEqual(memoryLimits(config({ check_interval: '1s', limit_percentage: 50 }), total), { hard: 500 * MiB, soft: 400 * MiB });
});

test('a limit above V8\'s heap limit is lowered to it, spike scaled alike, so the limiter acts before V8 aborts', () => {
  const total = 24_000 * MiB;
  assert.deepEqual(memoryLimits(config({ check_interval: '1s', limit_percentage: 80, spike_limit_percentage: 20 }), total, 4000 * MiB), {
    hard: 4000 * MiB,
    soft: 3000 * MiB,
  });
  assert.deepEqual(memoryLimits(config({ check_interval: '1s', limit_mib: 1000 }), 0, 4000 * MiB), { hard: 1000 * MiB, soft: 800 * MiB }, 'limits below it are untouched');
});

test('total memory is the cgroup limit when one is set, else the host memory', () => {
  const host = 8000 * MiB;
  const files = (entries: Record<string, string>) => (path: string) => {
    if (!(path in entries)) throw new Error('ENOENT');
    return entries[path]!;
  };
  assert.equal(totalMemory(files({ '/sys/fs/cgroup/memory.max': '536870912\n' }), host), 512 * MiB);
  assert.equal(totalMemory(files({ '/sys/fs/cgroup/memory.max': 'max\n' }), host), host);
  assert.equal(totalMemory(files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '1073741824' }), host), 1024 * MiB);
  assert.equal(totalMemory(files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712' }), host), host, 'v1 "unlimited"');
  assert.equal(totalMemory(files({}), host), host);
});

test('the decision: refuse above soft, collect when the interval for the pressure allows', () => {
  const limits = { hard: 100, soft: 80 };
  assert.equal(pressureOf(80, limits), 'normal');
  assert.equal(pressureOf(81, limits), 'soft');
  assert.equal(pressureOf(101, limits), 'hard');
  const intervals = { min_gc_interval_when_soft_limited: 10_000, min_gc_interval_when_hard_limited: 0 };
  assert.equal(shouldCollect('normal', 5000, -Infinity, intervals), false);
  assert.equal(shouldCollect('soft', 5000, -Infinity, intervals), true);
  assert.equal(shouldCollect('soft', 5000, 0, intervals), false);
  assert.equal(shouldCollect('hard', 5000, 5000, intervals), true);
});

test('envelopes pass below the soft limit and are refused (retryable, counted, logged once) above it', async () => {
  const ts = new TestScheduler((a, e) => assert.deepEqual(a, e));
  // Checks run at 0, 1s, 2s, ...: the ones at 1s and 2s see 90 MiB, above the 80 MiB soft limit.
  const { processor, telemetry, logged } = limiter(ts, { check_interval: '1s', limit_mib: 100 }, {
    readMemory: () => (ts.now() >= 1000 && ts.now() < 3000 ? 90 : 50) * MiB,
  });
  const calls: string[] = [];
  ts.run(({ cold, expectObservable }) => {
    const values = { a: recordedEnvelope('a', calls), b: recordedEnvelope('b', calls), c: recordedEnvelope('c', calls), d: recordedEnvelope('d', calls) };
    const out = cold<Envelope>('500ms a 999ms b 999ms c 999ms d 500ms |', values).pipe(processor.operator, map(names));
    expectObservable(out).toBe('500ms a 2999ms d 500ms |', { a: 'a', d: 'd' });
  });
  assert.equal(calls.length, 2);
  assert.match(calls[0]!, /^b:nack:RetryableError:memory usage is above the soft limit \(90 MiB used, soft limit 80 MiB\)/);
  assert.match(calls[1]!, /^c:nack:RetryableError:/);
  assert.equal(logged('Refusing data'), 1);
  assert.equal(logged('Resuming normal operation'), 1);
  assert.match(await telemetry.render(), /otelcol_processor_refused_spans\{processor="memory_limiter"\} 2/);
});

test('above the hard limit a GC is forced once per check, and a GC that frees enough ends the refusal', async () => {
  const ts = new TestScheduler((a, e) => assert.deepEqual(a, e));
  let usage = 120 * MiB;
  let collections = 0;
  await withGc(
    () => {
      collections++;
      if (collections === 3) usage = 10 * MiB;
    },
    () => {
      const { processor, logged } = limiter(ts, { check_interval: '1s', limit_mib: 100 }, { readMemory: () => usage });
      const calls: string[] = [];
      ts.run(({ cold, expectObservable }) => {
        const values = { a: recordedEnvelope('a', calls), b: recordedEnvelope('b', calls) };
        // Checks at 0 and 1s: GC does not help; at 2s it does.
        const out = cold<Envelope>('1500ms a 999ms b 500ms |', values).pipe(processor.operator, map(names));
        expectObservable(out).toBe('2500ms b 500ms |', { b: 'b' });
      });
      assert.equal(collections, 3);
      assert.match(calls[0]!, /^a:nack:RetryableError/);
      assert.equal(logged('above the hard limit. Forcing a GC'), 3);
      assert.equal(processor.isRefusing, false);
    },
  );
});

test('above the soft limit only, a GC is forced at most once per min_gc_interval_when_soft_limited', async () => {
  const ts = new TestScheduler((a, e) => assert.deepEqual(a, e));
  let collections = 0;
  await withGc(
    () => collections++,
    () => {
      const { processor } = limiter(ts, { check_interval: '1s', limit_mib: 100, min_gc_interval_when_soft_limited: '10s' }, { readMemory: () => 90 * MiB });
      ts.run(({ cold, expectObservable }) => {
        expectObservable(cold<Envelope>('12s |').pipe(processor.operator)).toBe('12s |');
      });
      // Checks at 0..12s: collections at 0 and 10s.
      assert.equal(collections, 2);
      assert.equal(processor.isRefusing, true);
    },
  );
});

test('config: exactly one limit style, spike below limit, check_interval required and positive', () => {
  assert.match(parseConfig({ check_interval: '1s', limit_mib: 100, limit_percentage: 50 }).issues.join(), /either limit_mib or limit_percentage, not both/);
  assert.match(parseConfig({ check_interval: '1s' }).issues.join(), /one of limit_mib or limit_percentage must be set/);
  assert.match(parseConfig({ check_interval: '1s', limit_mib: 100, spike_limit_mib: 100 }).issues.join(), /spike_limit_mib \(100\) must be smaller than limit_mib \(100\)/);
  assert.match(parseConfig({ check_interval: '1s', limit_percentage: 50, spike_limit_percentage: 60 }).issues.join(), /must be smaller than limit_percentage/);
  assert.match(parseConfig({ check_interval: '1s', limit_percentage: 50, spike_limit_mib: 10 }).issues.join(), /spike_limit_mib goes with limit_mib/);
  assert.match(parseConfig({ check_interval: '1s', limit_percentage: 150 }).issues.join(), /limit_percentage: expected an integer >= 0 <= 100/);
  assert.match(parseConfig({ limit_mib: 100 }).issues.join(), /missing required key "check_interval"/);
  assert.match(parseConfig({ check_interval: '0s', limit_mib: 100 }).issues.join(), /check_interval must be greater than 0/);
  assert.deepEqual(parseConfig({ check_interval: '1s', limit_percentage: 80, spike_limit_percentage: 20 }).issues, []);
});

test('one limiter shared by several pipelines runs one check per interval and refuses for all of them', () => {
  const ts = new TestScheduler((a, e) => assert.deepEqual(a, e));
  let reads = 0;
  const { processor } = limiter(ts, { check_interval: '1s', limit_mib: 100 }, { readMemory: () => (reads++, 95 * MiB) });
  const calls: string[] = [];
  ts.run(({ cold, expectObservable }) => {
    const values = { a: recordedEnvelope('a', calls), b: recordedEnvelope('b', calls) };
    expectObservable(cold<Envelope>('500ms a 2499ms |', values).pipe(processor.operator, map(names))).toBe('3s |');
    expectObservable(cold<Envelope>('500ms b 2499ms |', values).pipe(processor.operator, map(names))).toBe('3s |');
  });
  // Checks at 0, 1s and 2s (the timer stops when the last pipeline unsubscribes at 3s), not twice each.
  assert.equal(reads, 3);
  assert.deepEqual(calls.map((c) => c.split(':').slice(0, 3).join(':')), ['a:nack:RetryableError', 'b:nack:RetryableError']);
});
