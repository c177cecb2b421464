// Grouping, dedup, repeat and resolved notifications on virtual time, delivery with retries and
// a bounded queue, and routing, all against a real loopback receiver of the test's own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arrived, makeAlert, resolvedAt, startManager, startReceiver, type ManagerHarness, type Receiver } from '../helpers/alert-servers.js';

const S = 1000;
const M = 60 * S;
const QUEUE = 'sluice_alerting_notification_queue_size';
const SENT = 'sluice_alerting_notifications_sent_total';
const FAILED = 'sluice_alerting_notifications_failed_total';
const DROPPED = 'sluice_alerting_notifications_dropped_total';

const a1 = makeAlert({ alertname: 'HighLatency', service: 'api', instance: 'a', severity: 'warning' }, { annotations: { summary: 'p99 above 1s on a' } });
const a2 = makeAlert({ alertname: 'HighLatency', service: 'api', instance: 'b', severity: 'warning' }, { annotations: { summary: 'p99 above 1s on b' } });
const a3 = makeAlert({ alertname: 'HighLatency', service: 'api', instance: 'c', severity: 'warning' }, { at: 60 * S, annotations: { summary: 'p99 above 1s on c' } });

/** Moves virtual time to `at` and returns how many notifications were sent meanwhile, once none is still under way. */
async function sentBy(h: ManagerHarness, r: Receiver, notifier: string, at: number, expectTotal: number): Promise<void> {
  await h.clock.advance(at - h.clock.now());
  await arrived(r, expectTotal);
  await h.until(async () => (await h.metric(QUEUE, notifier)) === 0, 1, 'the queue to go idle');
  assert.equal(await h.metric(SENT, notifier), expectTotal, `notifications sent by ${at / 1000}s`);
  assert.equal(r.requests.length, expectTotal);
}

interface WebhookBody {
  status: string;
  alerts: { status: string; labels: Record<string, string> }[];
}

const summary = (body: unknown) => {
  const b = body as WebhookBody;
  return { status: b.status, alerts: b.alerts.map((a) => `${a.labels.instance}:${a.status}`) };
};

test('webhook: the Alertmanager body, group_wait, group_interval, dedup, repeat_interval and resolved alerts', async (t) => {
  const r = await startReceiver();
  t.after(() => r.close());
  const h = await startManager(
    { notifiers: { 'webhook/ops': { endpoint: `${r.url}/hook`, headers: { 'x-team': 'ops' }, group_by: ['alertname'], group_wait: '30s', group_interval: '5m', repeat_interval: '1h' } } },
    { externalURL: 'http://sluice.test' },
  );
  t.after(() => h.stop());

  h.manager.send([a2, a1]);
  await sentBy(h, r, 'webhook/ops', 30 * S - 1, 0);
  await sentBy(h, r, 'webhook/ops', 30 * S, 1);
  const first = r.requests[0]!;
  assert.equal(first.path, '/hook');
  assert.equal(first.headers['x-team'], 'ops');
  assert.equal(first.headers['content-type'], 'application/json');
  assert.deepEqual(first.body, {
    version: '4',
    groupKey: 'webhook/ops:{alertname="HighLatency"}',
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'webhook/ops',
    groupLabels: { alertname: 'HighLatency' },
    commonLabels: { alertname: 'HighLatency', service: 'api', severity: 'warning' },
    commonAnnotations: {},
    externalURL: 'http://sluice.test',
    alerts: [a1, a2].map((a) => ({
      status: 'firing',
      labels: a.labels,
      annotations: a.annotations,
      startsAt: '1970-01-01T00:00:00.000Z',
      endsAt: '1970-01-02T00:00:00.000Z',
      generatorURL: 'http://sluice.test/graph?g0.expr=HighLatency',
      fingerprint: a.fingerprint,
    })),
  });

  // A new alert in a notified group waits for the group's next interval.
  await h.clock.advance(60 * S - h.clock.now());
  h.manager.send([a1, a2, a3]);
  await sentBy(h, r, 'webhook/ops', 330 * S - 1, 1);
  await sentBy(h, r, 'webhook/ops', 330 * S, 2);
  assert.deepEqual(summary(r.requests[1]!.body), { status: 'firing', alerts: ['a:firing', 'b:firing', 'c:firing'] });

  // The rule engine re-announces unchanged alerts every evaluation: same fingerprints, no notification.
  await h.clock.advance(600 * S - h.clock.now());
  h.manager.send([{ ...a1 }, { ...a2 }, { ...a3 }]);
  await sentBy(h, r, 'webhook/ops', 3900 * S, 2);

  // Unchanged for repeat_interval (1h after 330s): re-sent at the first group tick after it.
  await sentBy(h, r, 'webhook/ops', 3930 * S, 3);
  assert.deepEqual(summary(r.requests[2]!.body), { status: 'firing', alerts: ['a:firing', 'b:firing', 'c:firing'] });

  await h.clock.advance(4000 * S - h.clock.now());
  h.manager.send([resolvedAt(a2, 4000 * S)]);
  await sentBy(h, r, 'webhook/ops', 4230 * S, 4);
  const partly = r.requests[3]!.body as { alerts: { status: string; endsAt: string; labels: Record<string, string> }[] };
  assert.deepEqual(summary(partly), { status: 'firing', alerts: ['a:firing', 'b:resolved', 'c:firing'] });
  assert.equal(partly.alerts[1]!.endsAt, new Date(4000 * S).toISOString());

  // Notified once as resolved, b has left the group: the next change shows a and c only.
  await h.clock.advance(4600 * S - h.clock.now());
  h.manager.send([resolvedAt(a1, 4600 * S), resolvedAt(a3, 4600 * S)]);
  await sentBy(h, r, 'webhook/ops', 4830 * S, 5);
  assert.deepEqual(summary(r.requests[4]!.body), { status: 'resolved', alerts: ['a:resolved', 'c:resolved'] });

  // The group is gone: nothing more however long we wait.
  await sentBy(h, r, 'webhook/ops', 6 * 3600 * S, 5);
});

test('webhook: send_resolved false leaves resolved alerts out, and an all-resolved group sends nothing', async (t) => {
  const r = await startReceiver();
  t.after(() => r.close());
  const h = await startManager({ notifiers: { 'webhook/x': { endpoint: r.url, group_by: ['alertname'], group_wait: '10s', group_interval: '1m', send_resolved: false } } });
  t.after(() => h.stop());
  h.manager.send([a1, a2]);
  await sentBy(h, r, 'webhook/x', 10 * S, 1);
  h.manager.send([resolvedAt(a2, 20 * S)]);
  await sentBy(h, r, 'webhook/x', 70 * S, 1);
  h.manager.send([a3]);
  await sentBy(h, r, 'webhook/x', 130 * S, 2);
  assert.deepEqual(summary(r.requests[1]!.body), { status: 'firing', alerts: ['a:firing', 'c:firing'] });
  h.manager.send([resolvedAt(a1, 140 * S), resolvedAt(a3, 140 * S)]);
  await sentBy(h, r, 'webhook/x', 20 * M, 2);
});

test('webhook: group_by "..." makes a group per label set; max_alerts truncates and says how many', async (t) => {
  const r = await startReceiver();
  t.after(() => r.close());
  const h = await startManager({
    notifiers: {
      'webhook/each': { endpoint: `${r.url}/each`, group_by: ['...'], group_wait: '0s' },
      'webhook/one': { endpoint: `${r.url}/one`, group_wait: '0s', max_alerts: 2 },
    },
  });
  t.after(() => h.stop());
  h.manager.send([a1, a2, a3]);
  await h.clock.advance(0);
  await arrived(r, 4);
  const each = r.requests.filter((q) => q.path === '/each').map((q) => (q.body as { groupKey: string; alerts: unknown[] }));
  assert.deepEqual(each.map((b) => b.alerts.length), [1, 1, 1]);
  assert.equal(new Set(each.map((b) => b.groupKey)).size, 3);
  const one = r.requests.find((q) => q.path === '/one')!.body as { groupKey: string; truncatedAlerts: number; alerts: unknown[]; groupLabels: unknown };
  assert.equal(one.groupKey, 'webhook/one:{}');
  assert.deepEqual(one.groupLabels, {});
  assert.equal(one.alerts.length, 2);
  assert.equal(one.truncatedAlerts, 1);
});

test('delivery: 500 and 429 are retried with back-off (Retry-After honoured), 400 is not', async (t) => {
  const r = await startReceiver();
  t.after(() => r.close());
  const retry = { initial_interval: '1s', max_interval: '10s', multiplier: 2, randomization_factor: 0 };
  const h = await startManager({
    notifiers: {
      'webhook/flaky': { endpoint: `${r.url}/flaky`, group_wait: '0s', retry_on_failure: retry },
      'webhook/bad': { endpoint: `${r.url}/bad`, group_wait: '0s', retry_on_failure: retry },
    },
  });
  t.after(() => h.stop());
  const stamps: number[] = [];
  const flaky = [{ status: 500 }, { status: 429, headers: { 'retry-after': '7' } }, { status: 200 }];
  r.answer = (q) => {
    if (q.path === '/bad') return { status: 400, body: 'no such channel' };
    stamps.push(h.clock.now());
    return flaky[stamps.length - 1]!;
  };
  h.manager.send([a1]);
  await h.until(() => stamps.length === 3, 100, 'three attempts');
  await h.until(() => r.requests.length === 4, 100, 'the 400 reply');
  // 1s after the 500; then max(2s back-off, 7s Retry-After) after the 429.
  assert.ok(stamps[1]! - stamps[0]! >= 1000 && stamps[1]! - stamps[0]! < 1500, `first retry after ${stamps[1]! - stamps[0]!}ms`);
  assert.ok(stamps[2]! - stamps[1]! >= 7000 && stamps[2]! - stamps[1]! < 7500, `second retry after ${stamps[2]! - stamps[1]!}ms`);
  await h.until(async () => (await h.metric(SENT, 'webhook/flaky')) === 1, 100, 'flaky delivered');
  // Not retried with back-off; only the group's next flush (group_interval, 5m) would try again, as in Alertmanager.
  await h.clock.advance(4 * M);
  assert.equal(r.requests.filter((q) => q.path === '/bad').length, 1);
  assert.equal(await h.metric(FAILED, 'webhook/bad'), 1);
  assert.equal(await h.metric(SENT, 'webhook/bad'), 0);
  assert.equal(await h.metric(FAILED, 'webhook/flaky'), 0);
  const failure = h.logs.lines.find((l) => l.msg === 'Notification failed, dropping it');
  assert.equal(failure?.notifier, 'webhook/bad');
  assert.match(String(failure?.error), /HTTP 400: no such channel/);
});

test('delivery: a notification refused until max_elapsed_time is given up and counted', async (t) => {
  const r = await startReceiver();
  t.after(() => r.close());
  r.answer = () => ({ status: 503 });
  const h = await startManager({
    notifiers: { 'webhook/down': { endpoint: r.url, group_wait: '0s', retry_on_failure: { initial_interval: '1s', max_interval: '1s', randomization_factor: 0, max_elapsed_time: '5s' } } },
  });
  t.after(() => h.stop());
  h.manager.send([a1]);
  await h.until(async () => (await h.metric(FAILED, 'webhook/down')) === 1, 250, 'the notification to be given up');
  assert.ok(r.requests.length >= 4 && r.requests.length <= 6, `${r.requests.length} attempts in 5s`);
});

test('queue: a slow receiver never blocks send(); when full the oldest notification is dropped and counted', async (t) => {
  const r = await startReceiver();
  t.after(() => r.close());
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  r.answer = async () => {
    await held;
    return { status: 200 };
  };
  const h = await startManager({ notifiers: { alertmanager: { endpoint: r.url, queue_size: 2 } } });
  t.after(() => h.stop());
  const alerts = [1, 2, 3, 4].map((i) => makeAlert({ alertname: 'Queued', n: String(i) }));
  for (const a of alerts) h.manager.send([a]);
  assert.equal(await h.metric(DROPPED, 'alertmanager', { reason: 'queue_full' }), 1);
  assert.equal(await h.metric(QUEUE, 'alertmanager'), 3);
  release();
  await arrived(r, 3);
  await h.until(async () => (await h.metric(SENT, 'alertmanager')) === 3, 1, 'three deliveries');
  // The first was already being sent; of those waiting, the oldest (n=2) made room.
  assert.deepEqual(
    r.requests.map((q) => (q.body as { labels: { n: string } }[]).map((a) => a.labels.n)),
    [['1'], ['3'], ['4']],
  );
});

test('routing: match and match_re (anchored) pick the notifiers an alert goes to', async (t) => {
  const r = await startReceiver();
  t.after(() => r.close());
  const h = await startManager({
    notifiers: {
      'webhook/db': { endpoint: `${r.url}/db`, group_wait: '0s', group_by: ['...'], match: { team: 'db' } },
      'webhook/crit': { endpoint: `${r.url}/crit`, group_wait: '0s', group_by: ['...'], match_re: { severity: 'crit|page' } },
    },
  });
  t.after(() => h.stop());
  h.manager.send([
    makeAlert({ alertname: 'A', team: 'db', severity: 'warning' }),
    makeAlert({ alertname: 'B', team: 'db', severity: 'crit' }),
    makeAlert({ alertname: 'C', team: 'web', severity: 'critical' }),
    makeAlert({ alertname: 'D', team: 'web', severity: 'page' }),
  ]);
  await h.clock.advance(0);
  await arrived(r, 4);
  await h.until(async () => (await h.metric(QUEUE, 'webhook/db')) + (await h.metric(QUEUE, 'webhook/crit')) === 0, 1, 'idle queues');
  const names = (path: string) =>
    r.requests
      .filter((q) => q.path === path)
      .map((q) => (q.body as { commonLabels: { alertname: string } }).commonLabels.alertname)
      .sort();
  assert.deepEqual(names('/db'), ['A', 'B']);
  // "critical" is not matched by crit|page: the regex is anchored at both ends.
  assert.deepEqual(names('/crit'), ['B', 'D']);
});

test('shutdown: groups still waiting are notified, and what cannot be sent by the deadline is dropped and counted', async (t) => {
  const r = await startReceiver();
  t.after(() => r.close());
  r.answer = () => new Promise(() => {});
  const h = await startManager({ notifiers: { 'webhook/late': { endpoint: r.url, group_wait: '30s' } } });
  h.manager.send([a1]);
  const done = h.manager.shutdown(h.clock.now() + 1000);
  await arrived(r, 1);
  await h.clock.advance(1000);
  await done;
  assert.equal(await h.metric(DROPPED, 'webhook/late', { reason: 'shutdown' }), 1);
  h.manager.send([a2]);
  await h.clock.advance(M);
  assert.equal(r.requests.length, 1);
});
