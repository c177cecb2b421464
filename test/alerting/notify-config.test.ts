// The notification config: defaults, per-type schemas chosen by the id's type, matcher and
// template errors at validation, and the warning for grouping keys on the alertmanager notifier.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { s, type ConfigIssue } from '../../src/config/schema.js';
import { notificationFields } from '../../src/alerting/notify/config.js';
import { formatMatcher, matches, parseMatcher } from '../../src/alerting/notify/matchers.js';

const schema = s.object(notificationFields);

function parse(raw: unknown): { config: ReturnType<typeof schema.parse>; issues: ConfigIssue[] } {
  const ctx = { issues: [] as ConfigIssue[] };
  const config = schema.parse(raw, ctx);
  return { config, issues: ctx.issues };
}

const messages = (raw: unknown) => parse(raw).issues.map((i) => `${i.path}: ${i.message}`);

test('config: defaults follow Alertmanager and the repo (timeouts, queue, retries)', () => {
  const { config, issues } = parse({
    notifiers: {
      'webhook/x': { endpoint: 'http://hooks.test/x' },
      pagerduty: { routing_key: 'k' },
      'email/team': { to: 'a@x.test, b@x.test', from: 'sluice@x.test', smarthost: 'mail.test:587' },
    },
  });
  assert.deepEqual(issues, []);
  const webhook = config!.notifiers['webhook/x']!;
  assert.equal(webhook.type, 'webhook');
  assert.deepEqual(
    { group_by: webhook.group_by, group_wait: webhook.group_wait, group_interval: webhook.group_interval, repeat_interval: webhook.repeat_interval, send_resolved: webhook.send_resolved, timeout: webhook.timeout, queue_size: webhook.queue_size },
    { group_by: [], group_wait: 30_000, group_interval: 300_000, repeat_interval: 4 * 3_600_000, send_resolved: true, timeout: 10_000, queue_size: 1000 },
  );
  assert.deepEqual(webhook.retry_on_failure, { enabled: true, initial_interval: 5000, max_interval: 30_000, max_elapsed_time: 300_000, multiplier: 1.5, randomization_factor: 0.5 });
  const pd = config!.notifiers.pagerduty!;
  assert.equal(pd.type === 'pagerduty' && pd.endpoint, 'https://events.pagerduty.com/v2/enqueue');
  const email = config!.notifiers['email/team']!;
  assert.equal(email.type === 'email' && email.require_tls, true);
  assert.deepEqual(config!.inhibit_rules, []);
  assert.equal(config!.storage, undefined);
});

test('config: the type before "/" picks the schema; unknown types and keys are errors that name them', () => {
  assert.deepEqual(messages({ notifiers: { 'opsgenie/x': { api_key: 'k' } } }), ['notifiers.opsgenie/x: unknown notifier type "opsgenie" (expected one of: alertmanager, webhook, slack, pagerduty, email)']);
  assert.deepEqual(messages({ notifiers: { 'webhook/': { endpoint: 'http://x.test' } } }), ['notifiers.webhook/: notifier id "webhook/" has an empty name after "/"']);
  const unknownKey = messages({ notifiers: { 'slack/ops': { webhook_url: 'https://hooks.slack.test/x', routing_key: 'k' } } });
  assert.equal(unknownKey.length, 1);
  assert.match(unknownKey[0]!, /^notifiers\.slack\/ops\.routing_key: unknown key "routing_key"/);
  assert.deepEqual(messages({ notifiers: { 'pagerduty/p': {} } }), ['notifiers.pagerduty/p.routing_key: missing required key "routing_key" (a string)']);
  assert.deepEqual(messages({ notifiers: { 'email/e': { to: 'a@x.test', from: 'b@x.test', smarthost: 'mail.test' } } }), ['notifiers.email/e.smarthost: expected host:port, got "mail.test"']);
  assert.deepEqual(messages({ notifiers: { 'webhook/w': { endpoint: 'hooks.test/x' } } }), ['notifiers.webhook/w.endpoint: expected an http:// or https:// URL, got "hooks.test/x"']);
  // new URL() would throw at start with the whole URL in the error; the Slack URL is the secret.
  assert.deepEqual(messages({ notifiers: { 'slack/s': { webhook_url: 'https://hooks slack.test/services/T0/B0/SECRETTOKEN' } } }), [
    'notifiers.slack/s.webhook_url: expected an http:// or https:// URL (the value is a secret, so it is not shown)',
  ]);
  assert.deepEqual(messages({ notifiers: { 'webhook/w': { endpoint: 'http://host.test:99999/x' } } }), ['notifiers.webhook/w.endpoint: expected an http:// or https:// URL, got "http://host.test:99999/x"']);
});

test('config: match_re regexes, group_by "..." and templates are checked at validation', () => {
  assert.match(messages({ notifiers: { 'webhook/w': { endpoint: 'http://x.test', match_re: { job: 'api(' } } } })[0]!, /^notifiers\.webhook\/w\.match_re\.job: invalid regular expression "api\("/);
  assert.deepEqual(messages({ notifiers: { 'webhook/w': { endpoint: 'http://x.test', group_by: ['...', 'job'] } } }), ['notifiers.webhook/w.group_by: "..." groups by all labels and cannot be combined with label names']);
  assert.deepEqual(messages({ notifiers: { 'slack/s': { webhook_url: 'https://x.test', title: '{{ .Stauts }}' } } }), ['notifiers.slack/s.title: unsupported template expression "{{ .Stauts }}"']);
  assert.deepEqual(messages({ notifiers: { 'email/e': { to: 'a@x.test', from: 'b@x.test', smarthost: 'm.test:25', subject: '{{ .Status | shout }}' } } }), [
    'notifiers.email/e.subject: unknown template function "shout" in "{{ .Status | shout }}" (supported: toUpper, toLower)',
  ]);
});

test('inhibit_rules: Alertmanager matcher syntax, quotes optional; a bad matcher is reported with its text', () => {
  const { config, issues } = parse({ inhibit_rules: [{ source_matchers: ['severity="critical"', 'alertname=~"Node.*|Disk"'], target_matchers: ['severity != info', 'team!~"d\\"b"'], equal: ['cluster'] }] });
  assert.deepEqual(issues, []);
  const rule = config!.inhibit_rules[0]!;
  assert.deepEqual(rule.source_matchers.map(formatMatcher), ['severity="critical"', 'alertname=~"Node.*|Disk"']);
  assert.deepEqual(rule.target_matchers.map(formatMatcher), ['severity!="info"', 'team!~"d\\"b"']);
  assert.deepEqual(messages({ inhibit_rules: [{ source_matchers: ['severity=="critical"'], target_matchers: ['a=b'] }] }), ['inhibit_rules[0].source_matchers[0]: invalid matcher "severity==\\"critical\\"": an unquoted value cannot contain a double quote']);
  assert.match(messages({ inhibit_rules: [{ source_matchers: ['job=~"(api"'], target_matchers: ['a=b'] }] })[0]!, /^inhibit_rules\[0\]\.source_matchers\[0\]: invalid matcher "job=~\\"\(api\\"": invalid regular expression/);
  assert.deepEqual(messages({ inhibit_rules: [{ source_matchers: ['"severity"=x'], target_matchers: ['a=b'] }] }), [
    'inhibit_rules[0].source_matchers[0]: invalid matcher "\\"severity\\"=x": expected a label name, an operator (=, !=, =~, !~) and a value',
  ]);
  assert.deepEqual(messages({ inhibit_rules: [{ target_matchers: ['a=b'] }] }), ['inhibit_rules[0]: an inhibit rule needs at least one source matcher and one target matcher']);
});

test('matchers: anchored regexes and absent labels read as empty, as in Alertmanager', () => {
  const labels = { alertname: 'NodeDown', severity: 'critical' };
  assert.equal(matches(parseMatcher('alertname=~Node'), labels), false);
  assert.equal(matches(parseMatcher('alertname=~Node.*'), labels), true);
  assert.equal(matches(parseMatcher('team=""'), labels), true);
  assert.equal(matches(parseMatcher('team!~".+"'), labels), true);
  assert.equal(matches(parseMatcher('severity!=critical'), labels), false);
  assert.equal(parseMatcher('summary="line\\nbreak"').value, 'line\nbreak');
});

test('alertmanager notifier: grouping keys are accepted with a validation warning, since Alertmanager groups', () => {
  const raw = { notifiers: { alertmanager: { endpoint: 'http://am.test:9093', group_by: ['alertname'], group_wait: '10s' } } };
  const { config, issues } = parse(raw);
  assert.ok(config, 'a warning does not make the config invalid');
  assert.deepEqual(
    issues.map((i) => [i.severity, i.path, i.message]),
    [['warning', 'notifiers.alertmanager', 'group_by, group_wait have no effect on the alertmanager notifier: Alertmanager groups alerts by its own routes']],
  );
});
