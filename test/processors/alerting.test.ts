// alerting processor: OTLP metrics in (named as the Prometheus exporters name them, deltas added
// up), rules evaluated on virtual time, pending → firing → resolved, recording-rule series sent
// downstream, data passed through untouched, reload keeping state, config errors with positions,
// and the Prometheus-shaped API on the status port of a running service.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject, VirtualTimeScheduler } from 'rxjs';
import Long from 'long';
import { alertingProcessorFactory } from '../../src/processors/alerting/factory.js';
import { type AlertingConfig } from '../../src/processors/alerting/config.js';
import type { AlertingProcessor } from '../../src/processors/alerting/processor.js';
import { createEnvelope, receiverContext, type Envelope } from '../../src/pipeline/envelope.js';
import type { Metric, MetricsData } from '../../src/pdata/types.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { loadConfig } from '../../src/config/load.js';
import { formatIssue, validateConfig } from '../../src/config/validate.js';
import { allFactories } from '../../src/components.js';
import { labelsToRecord } from '../../src/alerting/labels.js';
import { startService } from '../helpers/service.js';
import { alertingServiceYaml } from '../helpers/alerting-config.js';

const factories = await allFactories();

const ns = (ms: number) => Long.fromNumber(ms, true).multiply(1_000_000);
const attr = (key: string, value: string) => ({ key, value: { stringValue: value } });

const counter = (name: string, t: number, v: number, temporality: 1 | 2, route = '/a'): Metric => ({
  name,
  unit: '1',
  sum: { isMonotonic: true, aggregationTemporality: temporality, dataPoints: [{ attributes: [attr('route', route)], startTimeUnixNano: ns(0), timeUnixNano: ns(t), asInt: Long.fromNumber(v), exemplars: [] }] },
});
const gauge = (name: string, t: number, v: number): Metric => ({ name, gauge: { dataPoints: [{ attributes: [], timeUnixNano: ns(t), asDouble: v, exemplars: [] }] } });
const histogram = (t: number, counts: number[], bounds: number[], temporality: 1 | 2): Metric => ({
  name: 'http.server.request.duration',
  unit: 's',
  histogram: {
    aggregationTemporality: temporality,
    dataPoints: [{ attributes: [], startTimeUnixNano: ns(0), timeUnixNano: ns(t), count: Long.fromNumber(counts.reduce((a, b) => a + b, 0)), sum: 1, bucketCounts: counts.map((c) => Long.fromNumber(c)), explicitBounds: bounds, exemplars: [] }],
  },
});

function parse(raw: Record<string, unknown>): AlertingConfig {
  const ctx = { issues: [] as { message: string }[] };
  const config = alertingProcessorFactory.schema.parse(raw, ctx as never) as AlertingConfig;
  assert.deepEqual(ctx.issues, []);
  return config;
}

function setup(raw: Record<string, unknown>) {
  const scheduler = new VirtualTimeScheduler();
  const telemetry = new Telemetry();
  const p = alertingProcessorFactory.create({ id: 'alerting', kind: 'processor', logger: createLogger('silent'), telemetry, scheduler, reportStatus: () => {}, extension: () => undefined }, parse(raw), 'metrics') as AlertingProcessor;
  const input = new Subject<Envelope>();
  const out: Envelope[] = [];
  input.pipe(p.operator).subscribe((e) => out.push(e));
  const push = (metrics: Metric[], context = receiverContext('otlp')) => {
    const data: MetricsData = { resourceMetrics: [{ resource: { attributes: [attr('service.name', 'cart')] }, scopeMetrics: [{ metrics }] }] };
    const envelope = createEnvelope('metrics', data, context, { ack: () => {}, nack: () => assert.fail('nacked') });
    input.next(envelope);
    return envelope;
  };
  const advance = (ms: number) => {
    scheduler.maxFrames = scheduler.frame + ms;
    scheduler.flush();
  };
  const alerts = () => p.ruleManager.activeAlerts().map((a) => ({ ...labelsToRecord(a.labels), state: a.state }));
  return { p, scheduler, telemetry, out, push, advance, alerts, now: () => scheduler.now() };
}

/** Recorded series come from the processor itself, under its own scope. */
const isRecorded = (e: Envelope) => (e.data as MetricsData).resourceMetrics[0]?.scopeMetrics[0]?.scope?.name === 'sluice/alerting';

const rules = (...list: Record<string, unknown>[]) => [{ name: 'g', rules: list }];

test('a rate() alert over a cumulative counter goes pending, fires after `for`, and resolves; data passes through untouched', async () => {
  const t = setup({ evaluation_interval: '15s', groups: rules({ alert: 'HighRate', expr: 'rate(requests_total[1m]) > 1', for: '30s', labels: { severity: 'page' } }) });
  await t.p.start();
  let total = 0;
  const sent: Envelope[] = [];
  // 3 a second for two minutes, then nothing new (the rate falls to 0 once the window has passed).
  for (let i = 1; i <= 8; i++) {
    t.advance(15_000);
    total += 45;
    sent.push(t.push([counter('requests', t.now(), total, 2)]));
    // Evaluations run just before each push: the one at 45 s is the first to see two samples.
    if (i === 3 || i === 4) assert.deepEqual(t.alerts(), [{ alertname: 'HighRate', job: 'cart', route: '/a', severity: 'page', state: 'pending' }]);
  }
  assert.deepEqual(t.alerts(), [{ alertname: 'HighRate', job: 'cart', route: '/a', severity: 'page', state: 'firing' }]);
  for (const e of sent) assert.ok(t.out.includes(e), 'every envelope went on, the same object');
  for (let i = 0; i < 6; i++) {
    t.advance(15_000);
    t.push([counter('requests', t.now(), total, 2)]);
  }
  assert.deepEqual(t.alerts(), []);
  await t.p.shutdown(Date.now() + 1000);
});

test('delta counters are added up first, so rate() and increase() mean what they mean in Prometheus', async () => {
  const t = setup({ evaluation_interval: '10s', groups: rules({ record: 'job:jobs:increase1m', expr: 'sum by (job) (increase(jobs_total[1m]))' }) });
  await t.p.start();
  for (let i = 1; i <= 12; i++) {
    t.advance(10_000);
    t.push([counter('jobs', t.now(), 20, 1)]);
  }
  const recorded = t.out.filter((e) => isRecorded(e)).map((e) => e.data as MetricsData);
  const last = recorded[recorded.length - 1]!.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!;
  assert.equal(last.name, 'job:jobs:increase1m');
  const point = last.gauge!.dataPoints[0]!;
  assert.deepEqual(point.attributes, [attr('job', 'cart')]);
  // 2 per second over a minute, extrapolated by Prometheus's rule over evenly spaced samples.
  assert.equal(point.asDouble, 120);
  await t.p.shutdown(Date.now() + 1000);
});

test('histogram_quantile over the exporter names (_bucket with le), from a cumulative OTLP histogram', async () => {
  const t = setup({ evaluation_interval: '15s', groups: rules({ record: 'p50', expr: 'histogram_quantile(0.5, rate(http_server_request_duration_seconds_bucket[1m]))' }) });
  await t.p.start();
  const bounds = [0.1, 0.5, 1];
  for (let i = 1; i <= 5; i++) {
    t.advance(15_000);
    t.push([histogram(t.now(), [i * 10, i * 20, i * 10, 0], bounds, 2)]);
  }
  const recorded = t.out.filter((e) => isRecorded(e)).map((e) => e.data as MetricsData);
  const value = recorded[recorded.length - 1]!.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.gauge!.dataPoints[0]!.asDouble!;
  // Rates are in proportion 10:20:10: the median (rank 20 of 40) sits at the top of the 0.1–0.5 bucket... rank 20 is cumulative 10 → 30 in (0.1, 0.5].
  assert.ok(Math.abs(value - (0.1 + (0.5 - 0.1) * ((20 - 10) / 20))) < 1e-12, `p50 was ${value}`);
  await t.p.shutdown(Date.now() + 1000);
});

test('reload keeps the state of unchanged rules and starts changed ones afresh', async () => {
  const raw = { evaluation_interval: '10s', groups: rules({ alert: 'Hot', expr: 'temperature > 30', for: '20s' }, { alert: 'Warm', expr: 'temperature > 20' }) };
  const t = setup(raw);
  await t.p.start();
  for (let i = 0; i < 4; i++) {
    t.advance(10_000);
    t.push([gauge('temperature', t.now(), 35)]);
  }
  const before = t.p.ruleManager.activeAlerts();
  assert.deepEqual(before.map((a) => [a.alertname, a.state]), [['Hot', 'firing'], ['Warm', 'firing']]);
  assert.equal(t.p.reload(parse({ evaluation_interval: '10s', groups: rules({ alert: 'Hot', expr: 'temperature > 30', for: '20s' }, { alert: 'Warm', expr: 'temperature > 25' }) })), true);
  const hot = t.p.ruleManager.activeAlerts().find((a) => a.alertname === 'Hot')!;
  assert.equal(hot.activeAt, before.find((a) => a.alertname === 'Hot')!.activeAt, 'unchanged rule: same activeAt');
  assert.equal(t.p.ruleManager.activeAlerts().length, 1, 'the changed rule has no state yet');
  t.advance(10_000);
  t.push([gauge('temperature', t.now(), 35)]);
  t.advance(10_000);
  assert.deepEqual(t.p.ruleManager.activeAlerts().map((a) => [a.alertname, a.state]), [['Hot', 'firing'], ['Warm', 'firing']]);
  const withNotifier = parse({ ...raw, notifiers: { webhook: { endpoint: 'http://127.0.0.1:9/hook' } } });
  assert.equal(t.p.reload(withNotifier), false, 'notifiers are built once: changing them needs a restart');
  await t.p.shutdown(Date.now() + 1000);
});

test('out-of-order samples and samples over max_series are refused and counted, never thrown', async () => {
  const t = setup({ max_series: 1, evaluation_interval: '1s', groups: rules({ alert: 'A', expr: 'up == 0' }) });
  await t.p.start();
  t.advance(5000);
  t.push([gauge('up', 2000, 1)]);
  t.push([gauge('up', 1000, 1)]);
  t.push([gauge('other', 1000, 1)]);
  const text = await t.telemetry.render();
  assert.match(text, /sluice_alerting_samples_refused_total\{processor="alerting",reason="out_of_order"\} 1/);
  assert.match(text, /sluice_alerting_samples_refused_total\{processor="alerting",reason="series_limit"\} 1/);
  assert.equal(t.out.length, 3, 'all three requests went on');
  await t.p.shutdown(Date.now() + 1000);
});

function validate(yaml: string, files: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-alerting-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const file = join(dir, 'config.yaml');
  writeFileSync(file, yaml);
  const loaded = loadConfig([file]);
  const result = validateConfig(loaded.raw!, factories);
  return result.issues.map(formatIssue);
}


test('config errors name the key, the line and the position inside the expression', () => {
  const issues = validate(
    alertingServiceYaml(`    groups:
      - name: g
        rules:
          - alert: Broken
            expr: sum(rate(x[5m])
          - alert: Typo
            expr: up == 0
            fore: 5m`),
  );
  assert.equal(issues.length, 2, issues.join('\n'));
  assert.match(issues[0]!, /config\.yaml:12:19: .*processors\.alerting\.groups\[0\]\.rules\[0\]\.expr: could not parse expression: 1:16: unexpected end of input, expected "[,]" or "\)"/);
  assert.match(issues[1]!, /config\.yaml:15:13: .*rules\[1\]\.fore: unknown key "fore"/);
});

test('rule_files globs resolve next to the config file; their errors carry the rule file position', () => {
  const good = 'groups:\n  - name: a\n    rules:\n      - record: r\n        expr: vector(1)\n';
  const bad = 'groups:\n  - name: b\n    rules:\n      - alert: X\n        expr: rate(up)\n';
  const ok = validate(alertingServiceYaml(`    rule_files: ['*.rules.yml']`), { 'a.rules.yml': good });
  assert.deepEqual(ok, []);
  const issues = validate(alertingServiceYaml(`    rule_files: ['*.rules.yml']`), { 'a.rules.yml': good, 'b.rules.yml': bad });
  assert.equal(issues.length, 1);
  assert.match(issues[0]!, /b\.rules\.yml:5:15: groups\[0\]\.rules\[0\]\.expr: could not parse expression: .*expected type range vector in call to function "rate", got instant vector/);
});

test('pipelines/alerting.yaml is valid', () => {
  const loaded = loadConfig([new URL('../../pipelines/alerting.yaml', import.meta.url).pathname]);
  const result = validateConfig(loaded.raw!, factories);
  assert.deepEqual(result.issues.filter((i) => i.severity === 'error').map(formatIssue), []);
});

test('GET /api/v1/rules and /api/v1/alerts on the status port, shaped like Prometheus', async () => {
  const service = await startService(
    alertingServiceYaml(`    evaluation_interval: 1s
    groups:
      - name: always
        rules:
          - alert: Always
            expr: vector(1)
            labels: { severity: info }
            annotations: { summary: 'value {{ $value }}' }
          - record: one
            expr: vector(1)`),
  );
  try {
    const base = `http://127.0.0.1:${service.metricsPort()}`;
    let alerts: { labels: Record<string, string>; annotations: Record<string, string>; state: string; value: string }[] = [];
    for (let i = 0; i < 100 && alerts.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      alerts = ((await (await fetch(`${base}/api/v1/alerts`)).json()) as { data: { alerts: typeof alerts } }).data.alerts;
    }
    assert.deepEqual(alerts.map(({ labels, annotations, state, value }) => ({ labels, annotations, state, value })), [{ labels: { alertname: 'Always', severity: 'info' }, annotations: { summary: 'value 1' }, state: 'firing', value: '1e+00' }]);
    const rulesBody = (await (await fetch(`${base}/api/v1/rules`)).json()) as { status: string; data: { groups: { name: string; interval: number; rules: { name: string; type: string; health: string; query: string }[] }[] } };
    assert.equal(rulesBody.status, 'success');
    assert.deepEqual(rulesBody.data.groups.map((g) => [g.name, g.interval, g.rules.map((r) => [r.name, r.type, r.health, r.query])]), [['always', 1, [['Always', 'alerting', 'ok', 'vector(1)'], ['one', 'recording', 'ok', 'vector(1)']]]]);
    const bad = await fetch(`${base}/api/v1/rules?type=nope`);
    assert.equal(bad.status, 400);
    const notJson = await fetch(`${base}/api/v1/silences`, { method: 'POST', body: '{nope' });
    assert.equal(notJson.status, 400);
    assert.match(((await notJson.json()) as { error: string }).error, /request body is not valid JSON/);
    // Silences on the same port, under Prometheus's v1 path and Alertmanager's v2 one (amtool).
    const created = await fetch(`${base}/api/v2/silences`, {
      method: 'POST',
      body: JSON.stringify({ matchers: [{ name: 'alertname', value: 'Always', isRegex: false }], startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + 3_600_000).toISOString(), createdBy: 'test', comment: 'quiet' }),
    });
    assert.equal(created.status, 200);
    const { silenceID } = (await created.json()) as { silenceID: string };
    const listed = (await (await fetch(`${base}/api/v1/silences`)).json()) as { id: string; status: { state: string } }[];
    assert.deepEqual(listed.map((x) => [x.id, x.status.state]), [[silenceID, 'active']]);
    assert.equal((await fetch(`${base}/api/v2/silence/${silenceID}`, { method: 'DELETE' })).status, 200);
    assert.equal((await fetch(`${base}/api/v1/silences/%E0`)).status, 400);
    const own = await (await fetch(`${base}/metrics`)).text();
    assert.match(own, /sluice_status_api_requests_total\{method="POST",code="400"\} 1/);
    assert.match(own, /sluice_status_api_requests_total\{method="GET",code="400"\} 2/);
  } finally {
    await service.shutdown();
  }
});

test('a batch the store cannot read passes on unchanged and is counted; the rules keep running', async () => {
  const t = setup({ evaluation_interval: '1s', groups: rules({ record: 'one', expr: 'vector(1)' }) });
  await t.p.start();
  const broken = t.push([{ name: 'broken', sum: { isMonotonic: true, aggregationTemporality: 2, dataPoints: [null] } } as unknown as Metric]);
  assert.ok(t.out.includes(broken));
  assert.match(await t.telemetry.render(), /sluice_alerting_samples_refused_total\{processor="alerting",reason="unreadable"\} 1/);
  t.advance(1000);
  assert.ok(t.out.some((e) => isRecorded(e)), 'the recording rule was still evaluated');
  await t.p.shutdown(Date.now() + 1000);
});

test('emit_alert_series sends ALERTS and ALERTS_FOR_STATE downstream; without it only recorded series go', async () => {
  const names = async (emit: boolean) => {
    const t = setup({ evaluation_interval: '10s', emit_alert_series: emit, groups: rules({ alert: 'Always', expr: 'vector(1)', for: '10s' }, { record: 'one', expr: 'vector(1)' }) });
    await t.p.start();
    t.advance(10_000);
    t.advance(10_000);
    const points = t.out
      .filter((e) => isRecorded(e))
      .flatMap((e) => (e.data as MetricsData).resourceMetrics[0]!.scopeMetrics[0]!.metrics.flatMap((m) => m.gauge!.dataPoints.map((p) => `${m.name}{${p.attributes.map((a) => `${a.key}=${a.value?.stringValue}`).join(',')}} ${p.asDouble ?? `flags=${p.flags}`}`)));
    await t.p.shutdown(Date.now() + 1000);
    return points;
  };
  assert.deepEqual(await names(true), [
    'ALERTS{alertname=Always,alertstate=pending} 1',
    'ALERTS_FOR_STATE{alertname=Always} 10',
    'one{} 1',
    // Pending → firing: the pending series ends (a staleness marker, no value) and the firing one starts.
    'ALERTS{alertname=Always,alertstate=firing} 1',
    'ALERTS{alertname=Always,alertstate=pending} flags=1',
    'ALERTS_FOR_STATE{alertname=Always} 10',
    'one{} 1',
  ]);
  assert.deepEqual(await names(false), ['one{} 1', 'one{} 1']);
});

test('recorded series carry what the contexts of their inputs have in common: the tenant and the metadata all inputs agree on', async () => {
  const t = setup({ evaluation_interval: '10s', groups: rules({ record: 'g:sum', expr: 'sum(g)' }) });
  await t.p.start();
  const ctx = (request: string) => receiverContext('otlp', 'http', new Map([['x-tenant', ['acme']], ['x-request', [request]]]), 'acme');
  t.push([gauge('g', t.now(), 1)], ctx('1'));
  t.push([gauge('g', t.now(), 2)], ctx('2'));
  t.advance(10_000);
  const recorded = t.out.filter(isRecorded);
  assert.equal(recorded.length, 1);
  assert.equal(recorded[0]!.context.tenant, 'acme');
  assert.deepEqual([...recorded[0]!.context.metadata], [['x-tenant', ['acme']]]);
  await t.p.shutdown(Date.now() + 1000);
});
