// Service.reload in process: what is kept (the receiver's instance and its consumers, unchanged
// exporters), what is rebuilt and drained in shutdown order, the in-place path for processors
// that take a config, and a new graph that fails to start leaving the old one running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Observable, type OperatorFunction } from 'rxjs';
import { Service } from '../../src/service/service.js';
import { s } from '../../src/config/schema.js';
import { componentConfig, type ComponentConfig, type PipelineConfig, type ServiceConfig } from '../../src/config/types.js';
import type { ComponentKind, Consumer, ExporterFactory, FactoryOfKind, ProcessorFactory, ReceiverFactory } from '../../src/pipeline/component.js';
import { createEnvelope, receiverContext, type Envelope } from '../../src/pipeline/envelope.js';
import type { Signal, TracesData } from '../../src/pdata/types.js';
import { createLogger } from '../../src/telemetry/logger.js';

const events: string[] = [];
/** Instances created so far per component id: events name each as `id#n`. */
const created = new Map<string, number>();
const instance = (id: string) => {
  const n = (created.get(id) ?? 0) + 1;
  created.set(id, n);
  return n;
};
const receivers = new Map<string, Partial<Record<Signal, Consumer>>>();

const manualReceiver: ReceiverFactory = {
  kind: 'receiver',
  type: 'manual',
  description: 'test receiver',
  signals: ['traces'],
  schema: s.any(),
  create: (settings, _c, next) => {
    const n = instance(settings.id);
    receivers.set(settings.id, next);
    return {
      start: async () => void events.push(`${settings.id}#${n} start`),
      shutdown: async () => void events.push(`${settings.id}#${n} stop`),
    };
  },
};

/** Each instance numbered, so a test can tell a kept instance from a new one; `fail` makes start throw. */
const numberedExporter: ExporterFactory = {
  kind: 'exporter',
  type: 'numbered',
  description: 'test exporter',
  signals: ['traces'],
  schema: s.any(),
  create: (settings, config) => {
    const n = instance(settings.id);
    return {
      mutates: false,
      answersAtEnqueue: true,
      consume(e) {
        events.push(`${settings.id}#${n} got ${(e.data as TracesData).resourceSpans[0]!.scopeSpans[0]!.spans[0]!.name}`);
        e.ack();
      },
      start: async () => {
        if ((config as { fail?: boolean }).fail) throw new Error('backend refused');
      },
      shutdown: async () => void events.push(`${settings.id}#${n} stop`),
    };
  },
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
            events.push(`${settings.id} flush ${held.length}`);
            for (const e of held) sub.next(e);
            sub.complete();
          },
        });
      });
    return { operator, start: async () => {}, shutdown: async () => {} };
  },
};

/** Takes `{ take: true }` configs in place, as the alerting processor takes its rules. */
const reloadableProcessor: ProcessorFactory = {
  kind: 'processor',
  type: 'rules',
  description: 'test processor',
  signals: ['traces'],
  mutates: false,
  schema: s.any(),
  create: (settings) => {
    const n = instance(settings.id);
    return {
      operator: (source) => source,
      start: async () => void events.push(`${settings.id}#${n} start`),
      shutdown: async () => {},
      reload: (config) => {
        const take = (config as { take?: boolean }).take === true;
        if (take) events.push(`${settings.id}#${n} reloaded`);
        return take;
      },
    };
  },
};

function component<K extends ComponentKind>(kind: K, factory: FactoryOfKind[K], id: string, config: unknown = {}): [string, ComponentConfig<K>] {
  return [id, componentConfig(kind, factory, id, config)];
}

function serviceConfig(pipeline: Omit<PipelineConfig, 'id' | 'signal' | 'receivers'>, configs: { exporter2?: unknown; rules?: unknown } = {}): ServiceConfig {
  return {
    receivers: new Map([component('receiver', manualReceiver, 'manual')]),
    processors: new Map([component('processor', holdProcessor, 'hold'), component('processor', reloadableProcessor, 'rules', configs.rules)]),
    exporters: new Map([component('exporter', numberedExporter, 'keep'), component('exporter', numberedExporter, 'change', configs.exporter2)]),
    connectors: new Map(),
    extensions: new Map(),
    service: {
      extensions: [],
      pipelines: [{ id: 'traces', signal: 'traces', receivers: ['manual'], ...pipeline }],
      telemetry: { logs: { level: 'info' }, metrics: { level: 'none' } },
      shutdownTimeoutMs: 5000,
    },
  };
}

function push(name: string): Promise<string> {
  const data = { resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans: [{ name }] }] }] } as unknown as TracesData;
  return new Promise((resolve) =>
    receivers.get('manual')!.traces!.consume(createEnvelope('traces', data, receiverContext('manual'), { ack: () => resolve('ack'), nack: (e) => resolve(`nack ${e.message}`) })),
  );
}

function reset(): void {
  events.length = 0;
  created.clear();
  receivers.clear();
}

test('reload keeps the receiver and the unchanged exporter, switches at once, and drains the old graph in shutdown order', async () => {
  reset();
  const service = new Service(serviceConfig({ processors: ['hold'], exporters: ['keep', 'change'] }), { logger: createLogger('silent') });
  await service.start();
  const handOff = receivers.get('manual');
  const held = push('before');
  events.length = 0;

  const result = await service.reload(serviceConfig({ processors: [], exporters: ['keep', 'change'] }, { exporter2: { endpoint: 'elsewhere' } }));
  assert.equal(result.successful, true, result.errors.join('\n'));
  assert.deepEqual(result.kept.sort(), ['exporters.keep', 'receivers.manual']);
  assert.deepEqual(result.rebuilt, ['exporters.change']);
  assert.deepEqual(result.stopped, ['processors.hold']);
  assert.equal(await held, 'ack', 'the request held by the old graph is answered once it flushed');
  assert.deepEqual(events, ['hold flush 1', 'keep#1 got before', 'change#1 got before', 'change#1 stop']);
  assert.equal(receivers.get('manual'), handOff, 'the receiver was not created again: its consumers were pointed at the new graph');

  assert.equal(await push('after'), 'ack');
  assert.deepEqual(events.slice(4), ['keep#1 got after', 'change#2 got after']);
  assert.deepEqual(
    service.componentStatuses().map((c) => `${c.kind}:${c.id} ${c.status}`).sort(),
    ['exporter:change ok', 'exporter:keep ok', 'receiver:manual ok'],
    'the drained instance does not report over its replacement; the removed processor is gone',
  );
  await service.shutdown();
  assert.deepEqual(events.slice(6), ['manual#1 stop', 'keep#1 stop', 'change#2 stop']);
});

test('only processors that take their config in place changed: they reload, nothing is rebuilt', async () => {
  reset();
  const service = new Service(serviceConfig({ processors: ['rules'], exporters: ['keep'] }), { logger: createLogger('silent') });
  await service.start();
  const result = await service.reload(serviceConfig({ processors: ['rules'], exporters: ['keep'] }, { rules: { take: true } }));
  assert.deepEqual(result.reloaded, ['processors.rules']);
  assert.deepEqual(result.rebuilt, []);
  assert.deepEqual(events, ['rules#1 start', 'manual#1 start', 'rules#1 reloaded'], 'the same instances run on');

  const refused = await service.reload(serviceConfig({ processors: ['rules'], exporters: ['keep'] }, { rules: { take: false } }));
  assert.deepEqual(refused.reloaded, []);
  assert.deepEqual(refused.rebuilt, ['processors.rules'], 'a config the processor refuses rebuilds it');
  assert.ok(events.includes('rules#2 start'));
  await service.shutdown();
});

test('a new graph that fails to start is stopped again; the old one serves on and the failure is recorded', async () => {
  reset();
  const service = new Service(serviceConfig({ processors: [], exporters: ['keep', 'change'] }), { logger: createLogger('silent') });
  await service.start();
  const statuses = service.componentStatuses();
  const result = await service.reload(serviceConfig({ processors: [], exporters: ['keep', 'change'] }, { exporter2: { fail: true } }));
  assert.equal(result.successful, false);
  assert.match(result.errors.join('\n'), /exporter change failed to start: backend refused/);
  assert.deepEqual(service.componentStatuses(), statuses, 'the statuses are the running graph’s');
  events.length = 0;
  assert.equal(await push('still'), 'ack');
  assert.deepEqual(events, ['keep#1 got still', 'change#1 got still']);
  assert.equal(service.lastReload().successful, false);
  assert.match(service.lastReload().errors[0]!, /backend refused/);
  const metrics = await service.telemetry.render();
  assert.match(metrics, /sluice_config_reloads_total\{result="failure"\} 1/);
  assert.match(metrics, /sluice_config_last_reload_successful 0/);
  await service.shutdown();
});
