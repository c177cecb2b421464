// The rule manager's Prometheus behaviours that promtool's unit tests cannot show: when alerts are
// (re)sent, what a failed rule leaves behind, the alert limit, and staleness on reload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RuleManager, type OutputSample } from '../../src/alerting/rules/manager.js';
import { parseRuleFile } from '../../src/alerting/rules/rule-file.js';
import { SeriesStore } from '../../src/alerting/storage/series-store.js';
import { isStaleNaN } from '../../src/alerting/promql/values.js';
import { labelsToRecord, type Labels } from '../../src/alerting/labels.js';
import type { Alert } from '../../src/alerting/alert.js';

function manager(rules: string, store = new SeriesStore({ maxSeries: 100, retentionMs: 600_000 })) {
  const { groups, issues } = parseRuleFile(`groups:\n  - name: g\n    interval: 1m\n${rules}`, 'rules.yaml');
  assert.deepEqual(issues, []);
  const sent: { ts: number; alerts: Alert[] }[] = [];
  const written: { ts: number; samples: OutputSample[] }[] = [];
  let now = 0;
  const m = new RuleManager(groups, {
    store,
    externalLabels: {},
    externalURL: 'http://sluice',
    lookbackDeltaMs: 300_000,
    defaultIntervalMs: 60_000,
    resendDelayMs: 60_000,
    sink: { send: (alerts) => sent.push({ ts: now, alerts: [...alerts] }) },
    onSamples: (samples, ts) => written.push({ ts, samples: [...samples] }),
  });
  const evalAt = (ts: number) => {
    now = ts;
    m.evalGroup(m.groups[0]!, ts);
  };
  return { m, store, sent, written, evalAt };
}

const record = (labels: Labels) => labelsToRecord(labels);

test('a firing alert is re-sent once the resend delay has strictly passed, as Prometheus does', () => {
  const t = manager('    rules:\n      - alert: Always\n        expr: vector(1)\n');
  for (let ts = 0; ts <= 600_000; ts += 60_000) t.evalAt(ts);
  assert.deepEqual(t.sent.map((s) => s.ts / 1000), [0, 120, 240, 360, 480, 600]);
  const first = t.sent[0]!.alerts[0]!;
  assert.equal(first.endsAt, 4 * 60_000, 'valid for four resend delays');
  assert.equal(first.generatorURL, 'http://sluice/graph?g0.expr=vector(1)&g0.tab=1');
});

test('a rule that fails writes nothing and marks nothing stale', () => {
  const store = new SeriesStore({ maxSeries: 100, retentionMs: 600_000 });
  // Two series that label_replace makes identical: "vector contains metrics with the same labelset".
  const t = manager('    rules:\n      - record: r\n        expr: label_replace(y, "k", "same", "k", ".*")\n', store);
  store.append([['__name__', 'y'], ['k', 'p']], 60_000, 1);
  t.evalAt(60_000);
  assert.deepEqual(t.written.map((w) => w.samples.map((s) => [record(s.labels), s.value])), [[[{ __name__: 'r', k: 'same' }, 1]]]);
  store.append([['__name__', 'y'], ['k', 'q']], 120_000, 1);
  t.evalAt(120_000);
  const status = t.m.groups[0]!.rules[0]!.status;
  assert.equal(status.health, 'err');
  assert.match(status.lastError!, /same labelset/);
  assert.equal(t.written.length, 1, 'nothing written, and no staleness marker for r{k="same"}');
});

test('the alert limit counts alerts kept firing by keep_firing_for', () => {
  const store = new SeriesStore({ maxSeries: 100, retentionMs: 600_000 });
  const { groups } = parseRuleFile('groups:\n  - name: g\n    interval: 1m\n    limit: 1\n    rules:\n      - alert: Hot\n        expr: temp > 30\n        keep_firing_for: 10m\n', 'rules.yaml');
  const m = new RuleManager(groups, { store, externalLabels: {}, externalURL: '', lookbackDeltaMs: 300_000, defaultIntervalMs: 60_000 });
  store.append([['__name__', 'temp'], ['room', 'a']], 0, 35);
  m.evalGroup(m.groups[0]!, 0);
  store.append([['__name__', 'temp'], ['room', 'a']], 60_000, 20);
  store.append([['__name__', 'temp'], ['room', 'b']], 60_000, 35);
  m.evalGroup(m.groups[0]!, 60_000);
  const status = m.groups[0]!.rules[0]!.status;
  assert.equal(status.health, 'err');
  assert.equal(status.lastError, 'exceeded limit of 1 with 2 alerts');
  assert.deepEqual(m.activeAlerts(), []);
});

test('recorded series that vanish, and those of rules removed by a reload, are marked stale in the store and downstream', () => {
  const store = new SeriesStore({ maxSeries: 100, retentionMs: 600_000 });
  const t = manager('    rules:\n      - record: up:copy\n        expr: up\n      - record: one\n        expr: vector(1)\n', store);
  store.append([['__name__', 'up'], ['job', 'a']], 0, 1);
  t.evalAt(0);
  t.evalAt(400_000);
  const marker = t.written[1]!.samples.find((s) => record(s.labels).__name__ === 'up:copy')!;
  assert.ok(isStaleNaN(marker.value), 'up:copy went stale once up left the lookback window');

  const next = manager('    rules:\n      - record: two\n        expr: vector(2)\n', store);
  next.m.inheritState(t.m, 460_000);
  const stale = next.written[0]!;
  assert.equal(stale.ts, 460_000);
  assert.deepEqual(stale.samples.map((s) => [record(s.labels).__name__, isStaleNaN(s.value)]), [['one', true]]);
  const [one] = [...store.select([{ name: '__name__', op: '=', value: 'one' }], 0, 460_000)];
  assert.ok(isStaleNaN(one!.values[one!.values.length - 1]!));
});
