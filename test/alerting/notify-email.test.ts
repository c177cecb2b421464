// The email notifier against a real SMTP server (aiosmtpd from Debian's python3-aiosmtpd, run by
// /usr/bin/python3 and writing a Maildir): subject, sender, recipients and both body parts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SYSTEM_PYTHON, makeAlert, pollUntil, requireProgram, startManager, startSmtp } from '../helpers/alert-servers.js';

const skip = requireProgram(SYSTEM_PYTHON, ['-c', 'import aiosmtpd']);

/** Header value of a raw RFC 5322 message (unfolded). */
function header(raw: string, name: string): string | undefined {
  const head = raw.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ');
  return new RegExp(`^${name}: (.*)$`, 'im').exec(head)?.[1];
}

/** The decoded body of the first MIME part of `type`. */
function part(raw: string, type: string): string {
  const boundary = /boundary="?([^";\r\n]+)"?/i.exec(raw)?.[1];
  assert.ok(boundary, 'a multipart message');
  const found = raw.split(`--${boundary}`).find((p) => new RegExp(`content-type: ${type}`, 'i').test(p));
  assert.ok(found, `a ${type} part`);
  const [head, ...body] = found.replace(/^\r?\n/, '').split(/\r?\n\r?\n/);
  const text = body.join('\n\n');
  if (!/quoted-printable/i.test(head!)) return text.trim();
  const bytes = text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8').trim();
}

test('email: one message per group notification, with the Alertmanager-style subject and a text and HTML body', { skip }, async (t) => {
  const smtp = await startSmtp();
  t.after(() => smtp.stop());
  const h = await startManager(
    {
      notifiers: {
        'email/team': { to: 'oncall@example.test, lead@example.test', from: 'sluice@example.test', smarthost: `127.0.0.1:${smtp.port}`, require_tls: false, group_by: ['alertname'], group_wait: '0s' },
      },
    },
    { externalURL: 'http://sluice.test' },
  );
  t.after(() => h.stop());
  h.manager.send([
    makeAlert({ alertname: 'HighLatency', service: 'api', instance: 'a' }, { annotations: { summary: 'p99 above 1s on a' } }),
    makeAlert({ alertname: 'HighLatency', service: 'api', instance: 'b' }, { annotations: { summary: 'p99 above 3s on b', description: 'since the deploy' } }),
  ]);
  await h.clock.advance(0);
  await pollUntil(() => smtp.messages().length > 0, 15_000, () => `a message in the Maildir; SMTP server said: ${smtp.stderr()}`);
  await h.until(async () => (await h.metric('sluice_alerting_notifications_sent_total', 'email/team')) === 1, 1, 'the send to be counted');
  const [raw] = smtp.messages();
  assert.equal(smtp.messages().length, 1);
  assert.equal(header(raw!, 'Subject'), '[FIRING:2] HighLatency (api)');
  assert.equal(header(raw!, 'From'), 'sluice@example.test');
  assert.equal(header(raw!, 'To'), 'oncall@example.test, lead@example.test');
  // The envelope recipients, as the Mailbox handler records them.
  assert.equal(header(raw!, 'X-RcptTo'), 'oncall@example.test, lead@example.test');
  const text = part(raw!, 'text/plain');
  assert.equal(
    text,
    [
      '[FIRING:2] HighLatency (api)',
      '',
      'Firing (2):',
      '- p99 above 1s on a',
      '  Labels: {alertname="HighLatency", instance="a", service="api"}',
      '  Started: 1970-01-01T00:00:00.000Z',
      '  Source: http://sluice.test/graph?g0.expr=HighLatency',
      '- p99 above 3s on b — since the deploy',
      '  Labels: {alertname="HighLatency", instance="b", service="api"}',
      '  Started: 1970-01-01T00:00:00.000Z',
      '  Source: http://sluice.test/graph?g0.expr=HighLatency',
      '',
      'Sent by http://sluice.test',
    ].join('\n').replace(/\n/g, text.includes('\r\n') ? '\r\n' : '\n'),
  );
  const html = part(raw!, 'text/html');
  assert.match(html, /<h2>\[FIRING:2\] HighLatency \(api\)<\/h2>/);
  assert.match(html, /<li><strong>p99 above 1s on a<\/strong>/);
});

test('email: a permanent SMTP refusal (552, message too large) is not retried', { skip }, async (t) => {
  const smtp = await startSmtp({ maxSize: 200 });
  t.after(() => smtp.stop());
  const h = await startManager({
    notifiers: { 'email/bad': { to: 'oncall@example.test', from: 'sluice@example.test', smarthost: `127.0.0.1:${smtp.port}`, require_tls: false, group_wait: '0s', retry_on_failure: { initial_interval: '1s' } } },
  });
  t.after(() => h.stop());
  h.manager.send([makeAlert({ alertname: 'X' })]);
  await h.clock.advance(0);
  await pollUntil(async () => (await h.metric('sluice_alerting_notifications_failed_total', 'email/bad')) === 1, 15_000, () => `a failed send; logs: ${JSON.stringify(h.logs.lines)}`);
  assert.equal(h.logs.lines.filter((l) => l.msg === 'Notification failed, will retry').length, 0);
  assert.match(String(h.logs.lines.find((l) => l.msg === 'Notification failed, dropping it')?.error), /SMTP: .*552/);
  assert.equal(smtp.messages().length, 0);
});
