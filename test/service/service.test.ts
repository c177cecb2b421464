// The service wires receivers, pipelines, connectors and exporters, and stops them in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { map, Observable, type OperatorFunction } from 'rxjs';
import { Service } from '../../src/service/service.js';
import { s } from '../../src/config/schema.js';
import { componentConfig, type ComponentConfig, type PipelineConfig, type ServiceConfig } from '../../src/config/types.js';
import type { ComponentKind, Consumer, ExporterFactory, FactoryOfKind, ProcessorFactory, ReceiverFactory } from '../../src/pipeline/component.js';
import { createEnvelope, receiverContext, type Envelope } from '../../src/pipeline/envelope.js';
import { forwardConnectorFactory } from '../../src/connectors/forward/factory.js';
import { setAttribute, getStringAttribute } from '../../src/pdata/attributes.js';
import type { Signal, TracesData } from '../../src/pdata/types.js';
import { createLogger } from '../../src/telemetry/logger.js';

const events: string[] = [];
const receivers = new Map<string, Partial<Record<Signal, Consumer>>>();
const exported = new Map<string, TracesData[]>();

const manualReceiver: ReceiverFactory = {
  kind: 'receiver',
  type: 'manual',
  description: 'test receiver',
  signals: ['traces'],
  schema: s.any(),
  create: (settings, _c, next) => {
    receivers.set(settings.id, next);
    return {
      start: async () => {},
      shutdown: async () => {
        events.push(`receiver ${settings.id} stop`);
      },
    };
  },
};

/** Tags each span with its own id (mutating), to prove other pipelines never see the change. */
const tagProcessor: ProcessorFactory = {
  kind: 'processor',
  type: 'tag',
  description: 'test processor',
  signals: ['traces'],
  mutates: true,
  schema: s.any(),
  create: (settings) => ({
    operator: map((e: Envelope) => {
      for (const rs of (e.data as TracesData).resourceSpans) setAttribute(rs.resource!.attributes, 'tagged.by', settings.id);
      return e;
    }),
    start: async () => {},
    shutdown: async () => {
      events.push(`processor ${settings.id} stop`);
    },
  }),
};

/** Holds everything until its input completes, like a batch processor with a long timeout. */
const holdProcessor: ProcessorFactory = {
  kind: 'processor',
  type: 'hold',
  description: 'test processor',
  signals: ['traces'],
  mutates: false,
  schema: s.any(),
  create: (settings) => {
    const operator: OperatorFunction<Envelope, Envelope> = (source) =>
      new Observable<Envelope>((sub) => {
        const held: Envelope[] = [];
        return source.subscribe({
          next: (e) => held.push(e),
          complete: () => {
            events.push(`processor ${settings.id} flush ${held.length}`);
            for (const e of held) sub.next(e);
            sub.complete();
          },
        });
      });
    return { operator, start: async () => {}, shutdown: async () => {} };
  },
};

/** Shared across pipelines, like memory_limiter: one instance per id, started and stopped once. */
const sharedProcessor: ProcessorFactory = {
  kind: 'processor',
  type: 'guard',
  description: 'test processor',
  signals: ['traces'],
  mutates: false,
  shared: true,
  schema: s.any(),
  create: (settings) => {
    events.push(`create ${settings.id}`);
    return {
      operator: (source) => source,
      start: async () => {
        events.push(`start ${settings.id}`);
      },
      shutdown: async () => {
        events.push(`stop ${settings.id}`);
      },
    };
  },
};

const recordingExporter: ExporterFactory = {
  kind: 'exporter',
  type: 'record',
  description: 'test exporter',
  signals: ['traces'],
  schema: s.any(),
  create: (settings) => ({
    mutates: false,
    answersAtEnqueue: false,
    consume(e) {
      events.push(`exporter ${settings.id} got`);
      const list = exported.get(settings.id) ?? [];
      list.push(e.data as TracesData);
      exported.set(settings.id, list);
      e.ack();
    },
    start: async () => {},
    shutdown: async () => {
      events.push(`exporter ${settings.id} stop`);
    },
  }),
};

function components<K extends ComponentKind>(kind: K, factory: FactoryOfKind[K], ids: string[]): Map<string, ComponentConfig<K>> {
  return new Map(ids.map((id) => [id, componentConfig(kind, factory, id, {})]));
}

function serviceConfig(pipelines: PipelineConfig[]): ServiceConfig {
  return {
    receivers: components('receiver', manualReceiver, ['manual/a', 'manual/b']),
    processors: new Map([
      ...components('processor', tagProcessor, ['tag/x']),
      ...components('processor', holdProcessor, ['hold']),
      ...components('processor', sharedProcessor, ['guard']),
    ]),
    exporters: components('exporter', recordingExporter, ['record/1', 'record/2', 'record/3']),
    connectors: components('connector', forwardConnectorFactory, ['forward']),
    extensions: new Map(),
    service: { extensions: [], pipelines, telemetry: { logs: { level: 'info' }, metrics: { level: 'none' } }, shutdownTimeoutMs: 5000 },
  };
}

function push(receiver: string, name: string): Promise<string> {
  const data = { resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans: [{ name }] }] }] } as unknown as TracesData;
  return new Promise((resolve) =>
    receivers.get(receiver)!.traces!.consume(createEnvelope('traces', data, receiverContext(receiver), { ack: () => resolve('ack'), nack: (e) => resolve(`nack ${e.message}`) })),
  );
}

function reset(): void {
  events.length = 0;
  receivers.clear();
  exported.clear();
}

test('several receivers into one pipeline, one receiver into several pipelines, copy-on-mutate between them', async () => {
  reset();
  const service = new Service(
    serviceConfig([
      { id: 'traces', signal: 'traces', receivers: ['manual/a', 'manual/b'], processors: ['tag/x'], exporters: ['record/1'] },
      { id: 'traces/plain', signal: 'traces', receivers: ['manual/a'], processors: [], exporters: ['record/2'] },
    ]),
    { logger: createLogger('silent') },
  );
  await service.start();
  assert.equal(service.phase, 'running');
  assert.equal(await push('manual/a', 'from-a'), 'ack');
  assert.equal(await push('manual/b', 'from-b'), 'ack');
  const one = exported.get('record/1')!;
  const two = exported.get('record/2')!;
  assert.deepEqual(one.map((d) => d.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.name), ['from-a', 'from-b']);
  assert.deepEqual(two.map((d) => d.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.name), ['from-a']);
  assert.equal(getStringAttribute(one[0]!.resourceSpans[0]!.resource!.attributes, 'tagged.by'), 'tag/x');
  assert.equal(getStringAttribute(two[0]!.resourceSpans[0]!.resource!.attributes, 'tagged.by'), undefined, 'the plain pipeline got an untouched copy');
  assert.ok(service.componentStatuses().every((c) => c.status === 'ok'));
  await service.shutdown();
  assert.equal(service.phase, 'stopped');
});

test('a connector joins pipelines, and shutdown flushes upstream before downstream, then drains exporters', async () => {
  reset();
  const service = new Service(
    serviceConfig([
      { id: 'traces/in', signal: 'traces', receivers: ['manual/a'], processors: ['hold'], exporters: ['forward'] },
      { id: 'traces/out', signal: 'traces', receivers: ['forward'], processors: ['tag/x'], exporters: ['record/3'] },
    ]),
    { logger: createLogger('silent') },
  );
  await service.start();
  const answered = push('manual/a', 'held');
  assert.equal(exported.get('record/3'), undefined, 'held by the upstream processor');
  await service.shutdown();
  assert.equal(await answered, 'ack');
  assert.equal(exported.get('record/3')!.length, 1);
  assert.deepEqual(events, [
    'receiver manual/a stop',
    'processor hold flush 1',
    'exporter record/3 got',
    'processor tag/x stop',
    'exporter record/3 stop',
  ]);
});

test('after shutdown starts, new data is refused as retryable', async () => {
  reset();
  const service = new Service(serviceConfig([{ id: 'traces', signal: 'traces', receivers: ['manual/a'], processors: [], exporters: ['record/1'] }]), {
    logger: createLogger('silent'),
  });
  await service.start();
  const consumer = receivers.get('manual/a')!.traces!;
  await service.shutdown();
  const outcome = await new Promise<string>((resolve) =>
    consumer.consume(createEnvelope('traces', { resourceSpans: [] }, receiverContext('x'), { ack: () => resolve('ack'), nack: (e) => resolve(e.name) })),
  );
  assert.equal(outcome, 'RetryableError');
});

test('a shared processor (like memory_limiter) is one instance for every pipeline that lists it', async () => {
  reset();
  const service = new Service(
    serviceConfig([
      { id: 'traces/a', signal: 'traces', receivers: ['manual/a'], processors: ['guard'], exporters: ['record/1'] },
      { id: 'traces/b', signal: 'traces', receivers: ['manual/b'], processors: ['guard'], exporters: ['record/2'] },
    ]),
    { logger: createLogger('silent') },
  );
  await service.start();
  assert.equal(await push('manual/a', 'a'), 'ack');
  assert.equal(await push('manual/b', 'b'), 'ack');
  await service.shutdown();
  assert.deepEqual(
    events.filter((e) => e.includes('guard')),
    ['create guard', 'start guard', 'stop guard'],
  );
});
