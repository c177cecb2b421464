// Silences through the API (Alertmanager's model and states), their limits, their effect on
// delivery, their persistence under `storage`, and inhibition with `equal`.
import { mock, test } from 'node:test';
import assert from 'node:assert/strict';
import fs, { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { arrived, makeAlert, PROCESSOR_ID, resolvedAt, startManager, startReceiver, type ManagerHarness, type Receiver } from '../helpers/alert-servers.js';
import { waitUntil } from '../helpers/wait.js';

const H = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const NO_QUERY = new URLSearchParams();

function silence(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    matchers: [{ name: 'alertname', value: 'HighLatency', isRegex: false }],
    startsAt: iso(0),
    endsAt: iso(H),
    createdBy: 'alice',
    comment: 'deploying api',
    ...overrides,
  };
}

function create(h: ManagerHarness, body: Record<string, unknown>): string {
  const reply = h.manager.handleSilencesApi('POST', '/api/v1/silences', NO_QUERY, body);
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  return (reply.body as { silenceID: string }).silenceID;
}

/** Names of the alerts each notification carried, in arrival order. */
const delivered = (r: Receiver) => r.requests.map((q) => (q.body as { alerts: { labels: { alertname: string; service?: string } }[] }).alerts.map((a) => `${a.labels.alertname}/${a.labels.service ?? ''}`));

async function deliverNow(h: ManagerHarness, r: Receiver, total: number): Promise<void> {
  await h.clock.advance(0);
  await arrived(r, total);
  await h.until(async () => (await h.metric('sluice_alerting_notification_queue_size', 'webhook/x')) === 0, 1, 'an idle queue');
  assert.equal(r.requests.length, total);
}

test('silences API: create, list with states, get, expire, and 400s that say what is wrong', async (t) => {
  const h = await startManager({});
  t.after(() => h.stop());
  await h.clock.advance(1000);
  const active = create(h, silence({ startsAt: iso(0) }));
  const pending = create(h, silence({ startsAt: iso(2 * H), endsAt: iso(3 * H), matchers: [{ name: 'service', value: 'db|cache', isRegex: true, isEqual: false }, { name: 'env', value: 'prod', isRegex: false }] }));

  const one = h.manager.handleSilencesApi('GET', `/api/v1/silences/${active}`, NO_QUERY, undefined);
  assert.deepEqual(one, {
    status: 200,
    body: {
      id: active,
      matchers: [{ name: 'alertname', value: 'HighLatency', isRegex: false, isEqual: true }],
      // A start in the past becomes the creation time.
      startsAt: iso(1000),
      endsAt: iso(H),
      updatedAt: iso(1000),
      createdBy: 'alice',
      comment: 'deploying api',
      status: { state: 'active' },
    },
  });

  const expire = h.manager.handleSilencesApi('DELETE', `/api/v1/silences/${pending}`, NO_QUERY, undefined);
  assert.equal(expire.status, 200);
  assert.equal((expire.body as { status: { state: string } }).status.state, 'expired');
  assert.equal(h.manager.handleSilencesApi('DELETE', `/api/v1/silences/${pending}`, NO_QUERY, undefined).status, 400);
  const third = create(h, silence({ startsAt: iso(2 * H), endsAt: iso(3 * H) }));
  const list = h.manager.handleSilencesApi('GET', '/api/v1/silences', NO_QUERY, undefined);
  assert.equal(list.status, 200);
  assert.deepEqual(
    (list.body as { id: string; status: { state: string } }[]).map((s) => [s.id, s.status.state]),
    [
      [active, 'active'],
      [third, 'pending'],
      [pending, 'expired'],
    ],
  );
  await h.clock.advance(2 * H);
  assert.deepEqual(
    (h.manager.handleSilencesApi('GET', '/api/v1/silences', NO_QUERY, undefined).body as { status: { state: string } }[]).map((s) => s.status.state),
    ['active', 'expired', 'expired'],
  );

  const bad = (body: unknown) => {
    const reply = h.manager.handleSilencesApi('POST', '/api/v1/silences', NO_QUERY, body);
    assert.equal(reply.status, 400);
    const b = reply.body as { status: string; errorType: string; error: string };
    assert.equal(b.status, 'error');
    assert.equal(b.errorType, 'bad_data');
    return b.error;
  };
  const now = h.clock.now();
  const ok = { startsAt: iso(now), endsAt: iso(now + H) };
  assert.match(bad('nope'), /JSON object/);
  assert.match(bad(silence({ ...ok, matchers: [] })), /matchers must be a non-empty list/);
  assert.match(bad(silence({ ...ok, matchers: [{ name: 'job', value: '(', isRegex: true }] })), /matchers\[0\]\.value is not a valid regular expression/);
  assert.match(bad(silence({ ...ok, matchers: [{ name: '1x', value: 'a', isRegex: false }] })), /matchers\[0\]\.name must be a label name/);
  assert.match(bad(silence({ ...ok, matchers: [{ name: 'job', value: '.*', isRegex: true }] })), /at least one matcher must not match the empty string/);
  assert.match(bad(silence({ startsAt: iso(now + H), endsAt: iso(now) })), /endsAt must be after startsAt/);
  assert.match(bad(silence({ startsAt: iso(now - 2 * H), endsAt: iso(now - H) })), /endsAt must not be in the past/);
  assert.match(bad(silence({ ...ok, startsAt: 'yesterday' })), /startsAt must be an RFC 3339 time/);
  assert.match(bad(silence({ ...ok, createdBy: '' })), /createdBy must be a non-empty string/);
  assert.equal(h.manager.handleSilencesApi('GET', '/api/v1/silences/nope', NO_QUERY, undefined).status, 404);
  assert.equal(h.manager.handleSilencesApi('PUT', '/api/v1/silences', NO_QUERY, undefined).status, 405);
});

function refused(h: ManagerHarness, body: Record<string, unknown>, path = '/api/v1/silences'): string {
  const reply = h.manager.handleSilencesApi('POST', path, NO_QUERY, body);
  assert.equal(reply.status, 400, JSON.stringify(reply.body));
  return (reply.body as { error: string }).error;
}

const ids = (h: ManagerHarness) => (h.manager.handleSilencesApi('GET', '/api/v1/silences', NO_QUERY, undefined).body as { id: string }[]).map((s) => s.id);

const tempStorage = () => join(mkdtempSync(join(tmpdir(), 'sluice-silences-')), 'state');

/** The ids of the silences in the file under `storage`, as written so far (none before the first write). */
function storedIds(storage: string): string[] {
  const file = existsSync(storage) ? readdirSync(storage).find((f) => f.endsWith('.json')) : undefined;
  if (!file) return [];
  return (JSON.parse(readFileSync(join(storage, file), 'utf8')) as { silences: { id: string }[] }).silences.map((s) => s.id).sort();
}

async function writeFailures(h: ManagerHarness): Promise<number> {
  const m = h.telemetry.registry.getSingleMetric('sluice_alerting_silences_write_failures_total');
  return (await m?.get())?.values.find((v) => v.labels.processor === PROCESSOR_ID)?.value ?? 0;
}

test('silences: one larger than max_silence_size_bytes (16 KiB by default) is refused with a 400 that names the limit', async (t) => {
  const h = await startManager({});
  t.after(() => h.stop());
  assert.match(refused(h, silence({ comment: 'x'.repeat(900_000) })), /^silence too large: 9\d{5} bytes as JSON, the limit \(max_silence_size_bytes\) is 16384;/);
  const many = Array.from({ length: 400 }, (_, i) => ({ name: `label_${i}`, value: 'v', isRegex: false }));
  assert.match(refused(h, silence({ matchers: many })), /silence too large: \d+ bytes as JSON/);
  assert.deepEqual(ids(h), []);

  const small = await startManager({ max_silence_size_bytes: 400 });
  t.after(() => small.stop());
  const id = create(small, silence({ comment: 'x'.repeat(100) }));
  // Growing one through an update is held to the same limit, and leaves it as it was.
  assert.match(refused(small, silence({ id, comment: 'x'.repeat(400) })), /is 400;/);
  assert.equal((small.manager.handleSilencesApi('GET', `/api/v1/silences/${id}`, NO_QUERY, undefined).body as { comment: string }).comment, 'x'.repeat(100));
});

test('silences: beyond max_silences pending and active ones a new one is refused with a 400; expiring one frees its place', async (t) => {
  const h = await startManager({ max_silences: 3 });
  t.after(() => h.stop());
  const first = create(h, silence());
  create(h, silence());
  create(h, silence({ startsAt: iso(2 * H), endsAt: iso(3 * H) }));
  assert.equal(refused(h, silence()), 'too many silences: 3 are pending or active, the limit (max_silences) is 3; expire one first');
  // Updating one in place takes no new place.
  assert.equal(h.manager.handleSilencesApi('POST', '/api/v1/silences', NO_QUERY, silence({ id: first, comment: 'longer' })).status, 200);

  assert.equal(h.manager.handleSilencesApi('DELETE', `/api/v1/silences/${first}`, NO_QUERY, undefined).status, 200);
  create(h, silence());
  assert.match(refused(h, silence()), /too many silences/);
  // A silence that ends on its own frees its place too.
  await h.clock.advance(H);
  create(h, silence({ startsAt: iso(H), endsAt: iso(4 * H) }));
});

test('silences: expired ones are kept for their retention but no more than max_silences of them, the most recent', async (t) => {
  const storage = tempStorage();
  const h = await startManager({ max_silences: 2, storage });
  t.after(() => h.stop());
  const expired: string[] = [];
  for (let i = 0; i < 4; i++) {
    await h.clock.advance(60_000);
    const id = create(h, silence({ endsAt: iso(h.clock.now() + H) }));
    assert.equal(h.manager.handleSilencesApi('DELETE', `/api/v1/silences/${id}`, NO_QUERY, undefined).status, 200);
    expired.push(id);
  }
  const active = create(h, silence({ endsAt: iso(h.clock.now() + H) }));
  assert.deepEqual(ids(h), [active, expired[3], expired[2]]);
  await h.manager.silences.save();
  assert.deepEqual(storedIds(storage), [active, expired[3], expired[2]].sort());
});

test('silences: written after each change, without waiting for shutdown, one write at a time however many changes come', async (t) => {
  const storage = tempStorage();
  const first = await startManager({ storage });
  t.after(() => first.stop());
  const writes: string[] = [];
  const writeFile = fs.promises.writeFile;
  mock.method(fs.promises, 'writeFile', (...args: Parameters<typeof writeFile>) => {
    writes.push(String(args[0]));
    return writeFile(...args);
  });
  syncBuiltinESMExports();
  t.after(() => {
    mock.restoreAll();
    syncBuiltinESMExports();
  });
  const created = Array.from({ length: 50 }, (_, i) => create(first, silence({ comment: `change ${i}` })));
  await waitUntil(() => storedIds(storage).length === 50, 5000, () => 'all 50 silences in the file');
  // The first change's write, and one more with everything that came while it ran.
  assert.equal(writes.length, 2, writes.join('\n'));
  assert.deepEqual(readdirSync(storage).filter((f) => f.endsWith('.tmp')), []);

  // A new manager on the same storage, the first never shut down, as after a crash.
  const second = await startManager({ storage });
  t.after(() => second.stop());
  assert.deepEqual(ids(second).sort(), [...created].sort());
});

test('silences: a write that fails is logged and counted, the API still answers, and the next change writes again', async (t) => {
  const storage = tempStorage();
  const h = await startManager({ storage });
  const before = create(h, silence());
  await h.manager.silences.save();
  // A file where the directory was: the write fails even for root, who ignores read-only modes.
  rmSync(storage, { recursive: true });
  writeFileSync(storage, 'not a directory');
  const during = create(h, silence());
  await waitUntil(() => h.logs.lines.some((l) => l.msg === 'could not write the silences file; silences are kept in memory and written again on the next change or at shutdown'), 5000, () => 'the write failure logged');
  assert.equal(await writeFailures(h), 1);
  const failure = h.logs.lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('could not write the silences file'))!;
  assert.equal(failure.level, 'error');
  assert.match((failure.err as { message: string }).message, /EEXIST|ENOTDIR/);
  assert.equal(h.manager.handleSilencesApi('DELETE', `/api/v1/silences/${before}`, NO_QUERY, undefined).status, 200);
  assert.deepEqual(ids(h).sort(), [before, during].sort());

  // Shutdown logs and counts its failed write too, and still resolves.
  await waitUntil(() => h.logs.lines.filter((l) => l.msg === failure.msg).length === 2, 5000, () => 'the second write failure logged');
  await h.stop();
  assert.equal(await writeFailures(h), 3);

  rmSync(storage);
  const again = await startManager({ storage });
  t.after(() => again.stop());
  const after = create(again, silence());
  await again.manager.silences.save();
  assert.deepEqual(storedIds(storage), [after]);
});

test('silences: an active silence holds alerts back (counted); expiring it lets them through again', async (t) => {
  const r = await startReceiver();
  t.after(() => r.close());
  const h = await startManager({ notifiers: { 'webhook/x': { endpoint: r.url, group_wait: '0s', group_by: ['...'] } } });
  t.after(() => h.stop());
  const latency = makeAlert({ alertname: 'HighLatency', service: 'api' });
  const errors = makeAlert({ alertname: 'Errors', service: 'api' });
  const id = create(h, silence());
  h.manager.send([latency, errors]);
  await deliverNow(h, r, 1);
  assert.deepEqual(delivered(r), [['Errors/api']]);
  assert.equal(await h.metric('sluice_alerting_alerts_silenced', 'webhook/x'), 1);

  assert.equal(h.manager.handleSilencesApi('DELETE', `/api/v1/silences/${id}`, NO_QUERY, undefined).status, 200);
  h.manager.send([latency, errors]);
  // Its group has existed since the first send (muted, it notified nothing), so as in
  // Alertmanager it speaks at its next group_interval.
  await h.clock.advance(5 * 60_000);
  await deliverNow(h, r, 2);
  assert.deepEqual(delivered(r)[1], ['HighLatency/api']);
});

test('silences: a silence created after an alert was grouped still holds its notification back', async (t) => {
  const r = await startReceiver();
  t.after(() => r.close());
  const h = await startManager({ notifiers: { 'webhook/x': { endpoint: r.url, group_wait: '30s' } } });
  t.after(() => h.stop());
  h.manager.send([makeAlert({ alertname: 'HighLatency', service: 'api' })]);
  create(h, silence());
  await h.clock.advance(10 * 60_000);
  assert.equal(await h.metric('sluice_alerting_notification_queue_size', 'webhook/x'), 0);
  assert.equal(await h.metric('sluice_alerting_notifications_sent_total', 'webhook/x'), 0);
  assert.equal(r.requests.length, 0);
});

test('silences: kept in a file under storage, and active again in a new manager', async (t) => {
  const storage = tempStorage();
  const first = await startManager({ storage });
  const id = create(first, silence({ comment: 'maintenance window' }));
  await first.stop();
  assert.equal(readdirSync(storage).filter((f) => f.endsWith('.json')).length, 1);

  const r = await startReceiver();
  t.after(() => r.close());
  const second = await startManager({ storage, notifiers: { 'webhook/x': { endpoint: r.url, group_wait: '0s', group_by: ['...'] } } });
  t.after(() => second.stop());
  const got = second.manager.handleSilencesApi('GET', `/api/v1/silences/${id}`, NO_QUERY, undefined);
  assert.equal(got.status, 200);
  assert.equal((got.body as { comment: string; status: { state: string } }).comment, 'maintenance window');
  assert.equal((got.body as { status: { state: string } }).status.state, 'active');
  second.manager.send([makeAlert({ alertname: 'HighLatency', service: 'api' }), makeAlert({ alertname: 'Errors' })]);
  await deliverNow(second, r, 1);
  assert.deepEqual(delivered(r), [['Errors/']]);
});

test('inhibition: a firing source mutes targets with equal labels, across send() calls, until it resolves', async (t) => {
  const r = await startReceiver();
  t.after(() => r.close());
  const h = await startManager({
    notifiers: { 'webhook/x': { endpoint: r.url, group_wait: '0s', group_by: ['...'] } },
    inhibit_rules: [
      { source_matchers: ['severity="critical"'], target_matchers: ['severity=~"warning|info"'], equal: ['service'] },
      // Source and target at once: such an alert must not mute itself.
      { source_matchers: ['alertname=Flapping'], target_matchers: ['alertname = "Flapping"'] },
    ],
  });
  t.after(() => h.stop());
  const down = makeAlert({ alertname: 'ServiceDown', service: 'api', severity: 'critical' });
  const slowApi = makeAlert({ alertname: 'HighLatency', service: 'api', severity: 'warning' });
  const slowWeb = makeAlert({ alertname: 'HighLatency', service: 'web', severity: 'warning' });
  const flapping = makeAlert({ alertname: 'Flapping', service: 'db', severity: 'info' });

  h.manager.send([down]);
  h.manager.send([slowApi, slowWeb, flapping]);
  await deliverNow(h, r, 3);
  assert.deepEqual(delivered(r).flat().sort(), ['Flapping/db', 'HighLatency/web', 'ServiceDown/api']);
  assert.equal(await h.metric('sluice_alerting_alerts_inhibited', 'webhook/x'), 1);

  h.manager.send([resolvedAt(down, 1000)]);
  h.manager.send([slowApi]);
  // Both groups exist already: the target, no longer muted, and the source's resolve speak at
  // their next group_interval.
  await h.clock.advance(5 * 60_000);
  await deliverNow(h, r, 5);
  assert.deepEqual(delivered(r).slice(3).flat().sort(), ['HighLatency/api', 'ServiceDown/api']);
});

test('a muted alert that resolves is known resolved: no stale "firing" when its silence ends', async (t) => {
  const r = await startReceiver();
  t.after(() => r.close());
  const h = await startManager({ notifiers: { 'webhook/x': { endpoint: r.url, group_wait: '0s', group_interval: '1m' } } });
  t.after(() => h.stop());
  const alert = makeAlert({ alertname: 'Disk', service: 'db' });
  h.manager.send([alert]);
  await deliverNow(h, r, 1);
  const id = create(h, silence({ matchers: [{ name: 'alertname', value: 'Disk', isRegex: false }], startsAt: iso(h.clock.now()) }));
  await h.clock.advance(30_000);
  h.manager.send([resolvedAt(alert, h.clock.now())]);
  assert.equal(h.manager.handleSilencesApi('DELETE', `/api/v1/silences/${id}`, NO_QUERY, undefined).status, 200);
  await h.clock.advance(60_000);
  await deliverNow(h, r, 2);
  const second = r.requests[1]!.body as { status: string; alerts: { status: string }[] };
  assert.equal(second.status, 'resolved');
  assert.deepEqual(second.alerts.map((a) => a.status), ['resolved']);
});

test('inhibition: alerts matching both sides of a rule do not mute each other', async (t) => {
  const r = await startReceiver();
  t.after(() => r.close());
  const h = await startManager({
    notifiers: { 'webhook/x': { endpoint: r.url, group_wait: '0s', group_by: ['...'] } },
    inhibit_rules: [{ source_matchers: ['alertname="NodeDown"'], target_matchers: ['alertname=~".+"'], equal: ['instance'] }],
  });
  t.after(() => h.stop());
  const node = makeAlert({ alertname: 'NodeDown', instance: 'h1', service: 'node' });
  const probe = makeAlert({ alertname: 'NodeDown', instance: 'h1', service: 'blackbox' });
  const disk = makeAlert({ alertname: 'DiskFull', instance: 'h1', service: 'db' });
  h.manager.send([node, probe, disk]);
  await deliverNow(h, r, 2);
  assert.deepEqual(delivered(r).flat().sort(), ['NodeDown/blackbox', 'NodeDown/node']);
  assert.equal(await h.metric('sluice_alerting_alerts_inhibited', 'webhook/x'), 1, 'only DiskFull is inhibited');
});
