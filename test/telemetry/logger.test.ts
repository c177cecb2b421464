import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, componentLogger } from '../../src/telemetry/logger.js';

test('one JSON line per event, component on every line, secrets redacted wherever they sit', () => {
  const lines: string[] = [];
  const root = createLogger('info', { write: (line: string) => void lines.push(line) });
  const log = componentLogger(root, 'exporter', 'otlp/tempo');
  log.info(
    {
      headers: { authorization: 'Bearer s3cret', 'X-Scope-OrgID': 'tenant-a' },
      config: { api_key: 'dd-key', auth: { password: 'hunter2', token: 'tkn' } },
      exporter: { api: { key: 'datadog-secret', site: 'datadoghq.eu' } },
    },
    'exporter configured',
  );
  log.debug('not at info');
  assert.equal(lines.length, 1);
  const event = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.equal(event.component, 'otlp/tempo');
  assert.equal(event.kind, 'exporter');
  assert.equal(event.level, 'info');
  assert.equal(event.msg, 'exporter configured');
  assert.doesNotMatch(lines[0]!, /s3cret|dd-key|hunter2|tkn|datadog-secret/);
  assert.match(lines[0]!, /tenant-a/, 'ordinary values stay');
});

test('alerting notifier credentials are redacted: SMTP password, PagerDuty routing key, Slack webhook URL', () => {
  const lines: string[] = [];
  const log = componentLogger(createLogger('info', { write: (line: string) => void lines.push(line) }), 'processor', 'alerting');
  log.info({ notifier: { auth_password: 'smtp-pass', routing_key: 'pd-key-123', webhook_url: 'https://hooks.slack.com/services/T/B/xyz', channel: '#ops' } }, 'notifier configured');
  assert.doesNotMatch(lines[0]!, /smtp-pass|pd-key-123|hooks\.slack\.com/);
  assert.match(lines[0]!, /#ops/);
});
