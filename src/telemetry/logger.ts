// Structured logs through pino: one JSON line per event, component id on every line, secrets redacted.
import pino, { type Logger } from 'pino';

/** Keys whose values never reach a log line, wherever they appear in a logged object. */
export const REDACTED_KEYS = [
  'password',
  'api_key',
  'apiKey',
  'token',
  'bearer_token',
  'authorization',
  'Authorization',
  'secret',
  'client_secret',
  'key_pem',
  'x-api-key',
  'dd-api-key',
  // The alerting notifiers' credentials: an SMTP password, a PagerDuty routing key, and a Slack
  // incoming-webhook URL, which is itself the secret.
  'auth_password',
  'routing_key',
  'webhook_url',
];

const REDACT_PATHS = REDACTED_KEYS.flatMap((k) => {
  const key = /^[A-Za-z_$][\w$]*$/.test(k) ? k : `["${k}"]`;
  const join = (prefix: string) => (key.startsWith('[') ? `${prefix}${key}` : `${prefix}.${key}`);
  return [key.startsWith('[') ? key.slice(2, -2) : key, join('*'), join('*.*'), join('headers'), join('*.headers')];
}).concat(
  // The Datadog exporter's `api.key`: "key" alone is too common a word to redact everywhere.
  ['api.key', '*.api.key', '*.*.api.key'],
);

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export function createLogger(level: LogLevel | 'silent' = 'info', destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'sluice' },
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

export function componentLogger(root: Logger, kind: string, id: string): Logger {
  return root.child({ kind, component: id });
}
