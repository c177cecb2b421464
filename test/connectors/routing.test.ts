// routing connector: resources, spans, log records and whole requests reach the pipelines their
// conditions choose; match_once, default pipelines, acks joined across routes, copies for
// pipelines that change data, and routes naming another signal's pipelines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asyncScheduler } from 'rxjs';
import { routingConnectorFactory, type RoutingConnectorConfig } from '../../src/connectors/routing/factory.js';
import type { Connector, Consumer } from '../../src/pipeline/component.js';
import { createEnvelope, receiverContext, type Envelope } from '../../src/pipeline/envelope.js';
import type { KeyValue, LogsData, Signal, SignalData, TracesData } from '../../src/pdata/types.js';
import { getStringAttribute } from '../../src/pdata/attributes.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';

const kv = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });

class Recorder implements Consumer {
  readonly got: Envelope[] = [];
  constructor(
    readonly mutates = false,
    private readonly settle: (e: Envelope) => void = (e) => e.ack(),
  ) {}
  consume(envelope: Envelope): void {
    this.got.push(envelope);
    this.settle(envelope);
  }
}

function connector(raw: Record<string, unknown>, signal: Signal, pipelines: Record<string, Recorder>): Connector {
  const ctx = { issues: [] };
  const config = routingConnectorFactory.schema.parse(raw, ctx) as RoutingConnectorConfig;
  assert.deepEqual(ctx.issues, []);
  const map = new Map<string, Consumer>(Object.entries(pipelines));
  return routingConnectorFactory.create(
    { id: 'routing', kind: 'connector', logger: createLogger('silent'), telemetry: new Telemetry(), scheduler: asyncScheduler, reportStatus: () => {}, extension: () => undefined },
    config,
    signal,
    signal,
    { all: new Recorder(), pipelines: map },
  );
}

function send<S extends Signal>(c: Connector, signal: S, data: SignalData[S], metadata = new Map<string, string[]>()): Promise<string> {
  return new Promise((resolve) =>
    c.consume(createEnvelope(signal, data, receiverContext('otlp', 'grpc', metadata), { ack: () => resolve('ack'), nack: (e) => resolve(`nack: ${e.message}`) })),
  );
}

const traces = (...resources: Array<{ tenant?: string; spans: string[] }>): TracesData => ({
  resourceSpans: resources.map((r) => ({
    resource: { attributes: r.tenant ? [kv('tenant', r.tenant)] : [] },
    scopeSpans: [{ scope: { name: 'lib', attributes: [] }, spans: r.spans.map((name) => ({ name, attributes: [], events: [], links: [] })) }],
  })),
});
const spanNames = (r: Recorder) => r.got.flatMap((e) => (e.data as TracesData).resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => s.name))));

test('resource context: each resource goes to its tenant, the rest to the default pipelines; one ack for the request', async () => {
  const acme = new Recorder();
  const globex = new Recorder();
  const other = new Recorder();
  const c = connector(
    {
      default_pipelines: ['traces/other'],
      table: [
        { statement: 'route() where attributes["tenant"] == "acme"', pipelines: ['traces/acme'] },
        { condition: 'attributes["tenant"] == "globex"', pipelines: ['traces/globex'] },
      ],
    },
    'traces',
    { 'traces/acme': acme, 'traces/globex': globex, 'traces/other': other },
  );
  assert.equal(await send(c, 'traces', traces({ tenant: 'acme', spans: ['a1', 'a2'] }, { tenant: 'globex', spans: ['g1'] }, { spans: ['x1'] }, { tenant: 'acme', spans: ['a3'] })), 'ack');
  assert.deepEqual(spanNames(acme), ['a1', 'a2', 'a3']);
  assert.equal(acme.got.length, 1, 'both acme resources travel in one envelope');
  assert.equal(acme.got[0]!.items, 3);
  assert.deepEqual(spanNames(globex), ['g1']);
  assert.deepEqual(spanNames(other), ['x1']);
});

test('a failure in one route fails the request; the others still get their data', async () => {
  const ok = new Recorder();
  const failing = new Recorder(false, (e) => e.nack(new Error('backend down')));
  const c = connector({ default_pipelines: ['traces/ok'], table: [{ condition: 'attributes["tenant"] == "bad"', pipelines: ['traces/bad'] }] }, 'traces', {
    'traces/ok': ok,
    'traces/bad': failing,
  });
  assert.equal(await send(c, 'traces', traces({ tenant: 'bad', spans: ['b'] }, { spans: ['o'] })), 'nack: backend down');
  assert.deepEqual(spanNames(ok), ['o']);
});

test('request context: the header kept by include_metadata picks the pipeline for the whole request', async () => {
  const acme = new Recorder();
  const other = new Recorder();
  const c = connector({ default_pipelines: ['traces/other'], table: [{ context: 'request', condition: 'request["X-Tenant"] == "acme"', pipelines: ['traces/acme'] }] }, 'traces', {
    'traces/acme': acme,
    'traces/other': other,
  });
  await send(c, 'traces', traces({ spans: ['h1'] }, { tenant: 'x', spans: ['h2'] }), new Map([['x-tenant', ['acme']]]));
  await send(c, 'traces', traces({ spans: ['n1'] }), new Map([['x-tenant', ['other']]]));
  await send(c, 'traces', traces({ spans: ['n2'] }));
  assert.deepEqual(spanNames(acme), ['h1', 'h2']);
  assert.deepEqual(spanNames(other), ['n1', 'n2']);
  assert.deepEqual(acme.got[0]!.context.metadata.get('x-tenant'), ['acme'], 'the request metadata travels on');
});

test('span context splits a resource between pipelines, keeping resource and scope on both sides', async () => {
  const errors = new Recorder();
  const rest = new Recorder();
  const c = connector({ default_pipelines: ['traces/rest'], table: [{ context: 'span', condition: 'status.code == STATUS_CODE_ERROR', pipelines: ['traces/errors'] }] }, 'traces', {
    'traces/errors': errors,
    'traces/rest': rest,
  });
  const data = traces({ tenant: 'acme', spans: ['ok1', 'bad', 'ok2'] });
  data.resourceSpans[0]!.scopeSpans[0]!.spans[1]!.status = { code: 2 };
  await send(c, 'traces', data);
  assert.deepEqual(spanNames(errors), ['bad']);
  assert.deepEqual(spanNames(rest), ['ok1', 'ok2']);
  for (const r of [errors, rest]) {
    const rs = (r.got[0]!.data as TracesData).resourceSpans[0]!;
    assert.equal(getStringAttribute(rs.resource!.attributes, 'tenant'), 'acme');
    assert.equal(rs.scopeSpans[0]!.scope!.name, 'lib');
  }
  assert.equal(data.resourceSpans[0]!.scopeSpans[0]!.spans.length, 3, 'the input is not changed');
});

test('span context: a pipeline that changes data gets its own copy of the shared resource', async () => {
  const mutating = new Recorder(true, (e) => {
    (e.data as TracesData).resourceSpans[0]!.resource!.attributes.push(kv('touched', 'yes'));
    e.ack();
  });
  const reader = new Recorder();
  const c = connector({ default_pipelines: ['traces/reader'], table: [{ context: 'span', condition: 'name == "m"', pipelines: ['traces/mutating'] }] }, 'traces', {
    'traces/mutating': mutating,
    'traces/reader': reader,
  });
  assert.equal(c.mutates, true, 'upstream must hand a mutating connector its own copy');
  await send(c, 'traces', traces({ tenant: 'acme', spans: ['m', 'r'] }));
  const readerResource = (reader.got[0]!.data as TracesData).resourceSpans[0]!.resource!;
  assert.equal(getStringAttribute(readerResource.attributes, 'touched'), undefined);
});

test('match_once false sends to every matching route; true (the default) to the first only', async () => {
  for (const [matchOnce, expected] of [
    [true, { first: ['s'], second: [] }],
    [false, { first: ['s'], second: ['s'] }],
  ] as const) {
    const first = new Recorder();
    const second = new Recorder();
    const c = connector(
      {
        match_once: matchOnce,
        table: [
          { condition: 'attributes["tenant"] == "acme"', pipelines: ['traces/first'] },
          { condition: 'IsMatch(attributes["tenant"], "^ac")', pipelines: ['traces/second'] },
        ],
      },
      'traces',
      { 'traces/first': first, 'traces/second': second },
    );
    assert.equal(await send(c, 'traces', traces({ tenant: 'acme', spans: ['s'] })), 'ack');
    assert.deepEqual({ first: spanNames(first), second: spanNames(second) }, expected, `match_once: ${matchOnce}`);
  }
});

test('unmatched data with no default pipelines is dropped and acked; log context routes by severity', async () => {
  const errors = new Recorder();
  const c = connector({ table: [{ context: 'log', condition: 'severity_number >= SEVERITY_NUMBER_ERROR', pipelines: ['logs/errors'] }] }, 'logs', { 'logs/errors': errors });
  const logs: LogsData = {
    resourceLogs: [
      {
        resource: { attributes: [] },
        scopeLogs: [{ logRecords: [{ severityNumber: 9, body: { stringValue: 'info' }, attributes: [] }, { severityNumber: 17, body: { stringValue: 'error' }, attributes: [] }] }],
      },
    ],
  };
  assert.equal(await send(c, 'logs', logs), 'ack');
  assert.deepEqual(
    errors.got.flatMap((e) => (e.data as LogsData).resourceLogs[0]!.scopeLogs[0]!.logRecords.map((r) => r.body?.stringValue)),
    ['error'],
  );
  assert.equal(await send(c, 'logs', { resourceLogs: [{ resource: { attributes: [] }, scopeLogs: [{ logRecords: [{ severityNumber: 5, attributes: [] }] }] }] }), 'ack');
  assert.equal(errors.got.length, 1);
});

test('an item context must fit the signal: span routes cannot route logs', () => {
  assert.throws(
    () => connector({ table: [{ context: 'span', condition: 'name == "x"', pipelines: ['logs/a'] }] }, 'logs', { 'logs/a': new Recorder() }),
    /table\[0\]: the span context cannot route logs/,
  );
});
