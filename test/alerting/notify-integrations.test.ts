// The Slack and PagerDuty payloads as their APIs take them, checked at a loopback receiver, and
// their credentials kept out of the logs when deliveries fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arrived, makeAlert, resolvedAt, startManager, startReceiver, type ManagerHarness, type Receiver } from '../helpers/alert-servers.js';

const M = 60_000;

async function idle(h: ManagerHarness, notifier: string): Promise<void> {
  await h.until(async () => (await h.metric('sluice_alerting_notification_queue_size', notifier)) === 0, 1, `${notifier} idle`);
}

async function deliver(h: ManagerHarness, r: Receiver, notifier: string, advanceMs: number, total: number): Promise<unknown> {
  await h.clock.advance(advanceMs);
  await arrived(r, total);
  await idle(h, notifier);
  assert.equal(r.requests.length, total);
  return r.requests[total - 1]!.body;
}

const slowA = makeAlert({ alertname: 'HighLatency', service: 'api', instance: 'a', severity: 'warning' }, { annotations: { summary: 'p99 above 1s on a' } });
const slowB = makeAlert(
  { alertname: 'HighLatency', service: 'api', instance: 'b', severity: 'critical' },
  { annotations: { summary: 'p99 above 3s on b', description: 'since the 14:00 deploy' } },
);

test('slack: an incoming-webhook message coloured by the worst severity, then a green resolved one', async (t) => {
  const r = await startReceiver();
  t.after(() => r.close());
  const h = await startManager(
    { notifiers: { 'slack/ops': { webhook_url: `${r.url}/services/T0/B0/SECRETTOKEN`, channel: '#ops', username: 'sluice', group_by: ['alertname'], group_wait: '0s', group_interval: '1m' } } },
    { externalURL: 'http://sluice.test' },
  );
  t.after(() => h.stop());
  h.manager.send([slowB, slowA]);
  const firing = await deliver(h, r, 'slack/ops', 0, 1);
  assert.equal(r.requests[0]!.path, '/services/T0/B0/SECRETTOKEN');
  assert.deepEqual(firing, {
    channel: '#ops',
    username: 'sluice',
    attachments: [
      {
        color: 'danger',
        title: '[FIRING:2] HighLatency (api)',
        title_link: 'http://sluice.test',
        text: '• p99 above 1s on a\n• p99 above 3s on b — since the 14:00 deploy',
        fallback: '[FIRING:2] HighLatency (api)',
      },
    ],
  });
  h.manager.send([resolvedAt(slowA, 30_000), resolvedAt(slowB, 30_000)]);
  assert.deepEqual(await deliver(h, r, 'slack/ops', M, 2), {
    channel: '#ops',
    username: 'sluice',
    attachments: [
      {
        color: 'good',
        title: '[RESOLVED] HighLatency (api)',
        title_link: 'http://sluice.test',
        text: '• [RESOLVED] p99 above 1s on a\n• [RESOLVED] p99 above 3s on b — since the 14:00 deploy',
        fallback: '[RESOLVED] HighLatency (api)',
      },
    ],
  });
});

test('slack: title and text templates; warning and unknown severities get their own colours', async (t) => {
  const r = await startReceiver();
  t.after(() => r.close());
  const h = await startManager({
    notifiers: {
      'slack/custom': {
        webhook_url: `${r.url}/hook`,
        group_by: ['alertname'],
        group_wait: '0s',
        title: '{{ .Status | toUpper }}: {{ .CommonLabels.alertname }} ({{ len .Alerts.Firing }} of {{ len .Alerts }})',
        text: 'Runbook: {{ .CommonAnnotations.runbook }}',
      },
    },
  });
  t.after(() => h.stop());
  const annotations = { runbook: 'https://runbooks.test/disk' };
  h.manager.send([makeAlert({ alertname: 'DiskFull', severity: 'warning' }, { annotations }), makeAlert({ alertname: 'Backlog', team: 'data' }, { annotations })]);
  await h.clock.advance(0);
  await arrived(r, 2);
  await idle(h, 'slack/custom');
  const byTitle = new Map(r.requests.map((q) => {
    const [attachment] = (q.body as { attachments: { title: string; text: string; color: string }[] }).attachments;
    return [attachment!.title, attachment!] as const;
  }));
  assert.deepEqual(byTitle.get('FIRING: DiskFull (1 of 1)'), { title: 'FIRING: DiskFull (1 of 1)', text: 'Runbook: https://runbooks.test/disk', color: 'warning', fallback: 'FIRING: DiskFull (1 of 1)' });
  assert.equal(byTitle.get('FIRING: Backlog (1 of 1)')?.color, '#439FE0');
});

test('pagerduty: Events API v2 trigger then resolve with one dedup_key per group; severity mapped', async (t) => {
  const r = await startReceiver();
  t.after(() => r.close());
  r.answer = () => ({ status: 202, body: '{"status":"success"}' });
  const h = await startManager(
    {
      notifiers: {
        'pagerduty/oncall': { routing_key: 'R0UTINGKEY', endpoint: `${r.url}/v2/enqueue`, severity: { page: 'critical' }, group_by: ['alertname'], group_wait: '0s', group_interval: '1m' },
      },
    },
    { externalURL: 'http://sluice.test' },
  );
  t.after(() => h.stop());
  const disk = makeAlert({ alertname: 'DiskFull', instance: 'host1', severity: 'page' }, { annotations: { summary: 'disk / is 95% full' } });
  const other = makeAlert({ alertname: 'Backlog', job: 'etl', severity: 'sev3' });
  h.manager.send([disk]);
  const trigger = (await deliver(h, r, 'pagerduty/oncall', 0, 1)) as { dedup_key: string };
  assert.equal(r.requests[0]!.path, '/v2/enqueue');
  assert.match(trigger.dedup_key, /^[0-9a-f]{64}$/);
  assert.deepEqual(trigger, {
    routing_key: 'R0UTINGKEY',
    event_action: 'trigger',
    dedup_key: trigger.dedup_key,
    payload: {
      summary: '[FIRING:1] DiskFull (host1 page)',
      source: 'host1',
      severity: 'critical',
      custom_details: { firing: [{ summary: 'disk / is 95% full', labels: disk.labels }], resolved: [], num_firing: 1, num_resolved: 0 },
    },
    client: 'sluice',
    client_url: 'http://sluice.test',
  });

  h.manager.send([other]);
  const otherEvent = (await deliver(h, r, 'pagerduty/oncall', 0, 2)) as { dedup_key: string; payload: { severity: string; source: string } };
  assert.notEqual(otherEvent.dedup_key, trigger.dedup_key);
  // Not a PagerDuty severity and not mapped: PagerDuty's "error".
  assert.equal(otherEvent.payload.severity, 'error');
  assert.equal(otherEvent.payload.source, 'etl');

  h.manager.send([resolvedAt(disk, 30_000)]);
  const resolve = (await deliver(h, r, 'pagerduty/oncall', M, 3)) as { event_action: string; dedup_key: string; payload: { custom_details: { num_resolved: number } } };
  assert.equal(resolve.event_action, 'resolve');
  assert.equal(resolve.dedup_key, trigger.dedup_key);
  assert.equal(resolve.payload.custom_details.num_resolved, 1);
});

test('secrets: the Slack webhook URL and the PagerDuty routing key never reach the logs, even on failures', async (t) => {
  const r = await startReceiver();
  t.after(() => r.close());
  r.answer = (q) => (q.path.includes('slack') ? { status: 500, body: 'try later' } : { status: 400, body: 'Invalid routing key' });
  const h = await startManager({
    notifiers: {
      'slack/ops': { webhook_url: `${r.url}/slack/T0/B0/SECRETTOKEN`, group_wait: '0s', retry_on_failure: { initial_interval: '1s', max_elapsed_time: '3s', randomization_factor: 0 } },
      'pagerduty/oncall': { routing_key: 'R0UTINGKEY', endpoint: `${r.url}/pd`, group_wait: '0s' },
    },
  });
  t.after(() => h.stop());
  h.manager.send([slowA]);
  await h.until(async () => (await h.metric('sluice_alerting_notifications_failed_total', 'slack/ops')) === 1, 500, 'slack to give up');
  await h.until(async () => (await h.metric('sluice_alerting_notifications_failed_total', 'pagerduty/oncall')) === 1, 500, 'pagerduty to give up');
  const logged = JSON.stringify(h.logs.lines);
  assert.match(logged, /Invalid routing key/);
  assert.doesNotMatch(logged, /SECRETTOKEN|R0UTINGKEY/);
});
