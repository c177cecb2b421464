// The alertmanager notifier against a real Alertmanager (0.25, Debian's prometheus-alertmanager):
// a firing alert becomes active there with its labels and annotations, and sending it resolved
// takes it off the active list, as with Prometheus.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asyncScheduler } from 'rxjs';
import { ALERTMANAGER_BIN, makeAlert, pollUntil, requireProgram, resolvedAt, startAlertmanager, startManager } from '../helpers/alert-servers.js';

interface GettableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  generatorURL: string;
  status: { state: string };
}

const skip = requireProgram(ALERTMANAGER_BIN, ['--version']);

test('alertmanager: firing alerts are posted to /api/v2/alerts and become active; resolved ones leave', { skip }, async (t) => {
  const am = await startAlertmanager();
  t.after(() => am.stop());
  const h = await startManager({ notifiers: { alertmanager: { endpoint: `http://127.0.0.1:${am.port}/` } } }, { scheduler: asyncScheduler });
  t.after(() => h.manager.shutdown(Date.now() + 1000));

  const now = Date.now();
  const labels = { alertname: 'SluiceNotifyTest', job: 'api', severity: 'warning' };
  const alert = makeAlert(labels, { at: now, endsAt: now + 4 * 60_000, annotations: { summary: 'p99 above 1s', runbook: 'https://runbooks.test/latency' }, generatorURL: 'http://sluice.test/graph?g0.expr=up' });
  const list = async (): Promise<GettableAlert[]> => {
    const res = await fetch(`http://127.0.0.1:${am.port}/api/v2/alerts?filter=${encodeURIComponent('alertname="SluiceNotifyTest"')}`);
    return (await res.json()) as GettableAlert[];
  };

  h.manager.send([alert]);
  let seen: GettableAlert[] = [];
  await pollUntil(async () => (seen = await list()).some((a) => a.status.state === 'active'), 20_000, () => `an active alert, got ${JSON.stringify(seen)}`);
  assert.equal(seen.length, 1);
  assert.deepEqual(seen[0]!.labels, labels);
  assert.deepEqual(seen[0]!.annotations, alert.annotations);
  assert.equal(Date.parse(seen[0]!.startsAt), now);
  assert.equal(seen[0]!.generatorURL, alert.generatorURL);

  h.manager.send([resolvedAt(alert, Date.now())]);
  await pollUntil(async () => (seen = await list()).length === 0, 20_000, () => `no active alert, got ${JSON.stringify(seen)}`);
  assert.equal(await h.metric('sluice_alerting_notifications_sent_total', 'alertmanager'), 2);
  assert.equal(await h.metric('sluice_alerting_notifications_failed_total', 'alertmanager'), 0);
});

test('alertmanager: more than 64 alerts go in batches of 64, all accepted', { skip }, async (t) => {
  const am = await startAlertmanager();
  t.after(() => am.stop());
  const h = await startManager({ notifiers: { alertmanager: { endpoint: `http://127.0.0.1:${am.port}` } } }, { scheduler: asyncScheduler });
  t.after(() => h.manager.shutdown(Date.now() + 1000));
  const now = Date.now();
  h.manager.send(Array.from({ length: 130 }, (_, i) => makeAlert({ alertname: 'SluiceBatch', n: String(i) }, { at: now, endsAt: now + 4 * 60_000 })));
  let count = 0;
  await pollUntil(
    async () => {
      const res = await fetch(`http://127.0.0.1:${am.port}/api/v2/alerts?filter=${encodeURIComponent('alertname="SluiceBatch"')}`);
      count = ((await res.json()) as unknown[]).length;
      return count === 130;
    },
    20_000,
    () => `130 alerts, got ${count}`,
  );
  assert.equal(await h.metric('sluice_alerting_notifications_sent_total', 'alertmanager'), 3);
});
