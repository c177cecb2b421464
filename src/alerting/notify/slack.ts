// The `slack` notifier: one incoming-webhook message per notification, an attachment coloured by
// the worst severity firing. The webhook URL is the credential, so it never appears in logs.
import type { SlackNotifierConfig } from './config.js';
import { JsonPoster } from './http.js';
import { alertLine, compileTemplate, defaultTitle, worstSeverity, type GroupNotification, type Template } from './notification.js';
import type { Integration } from './queue.js';

/** Slack's own blue, for alerts whose severity says nothing about urgency. */
const NEUTRAL = '#439FE0';

export function slackColor(n: GroupNotification): string {
  if (n.status === 'resolved') return 'good';
  const severity = worstSeverity(n);
  if (severity === 'critical' || severity === 'error') return 'danger';
  return severity === 'warning' ? 'warning' : NEUTRAL;
}

export function defaultSlackText(n: GroupNotification): string {
  return n.alerts.map((a) => `• ${a.status === 'resolved' ? '[RESOLVED] ' : ''}${alertLine(a)}`).join('\n');
}

export function slackPayload(n: GroupNotification, config: SlackNotifierConfig, title: Template = defaultTitle, text: Template = defaultSlackText): unknown {
  const heading = title(n);
  return {
    ...(config.channel !== undefined ? { channel: config.channel } : {}),
    ...(config.username !== undefined ? { username: config.username } : {}),
    attachments: [{ color: slackColor(n), title: heading, ...(n.externalURL ? { title_link: n.externalURL } : {}), text: text(n), fallback: heading }],
  };
}

export function slackIntegration(config: SlackNotifierConfig): Integration<GroupNotification> {
  const poster = new JsonPoster(new URL(config.webhook_url), {}, config.tls);
  const title = config.title !== undefined ? compileTemplate(config.title) : defaultTitle;
  const text = config.text !== undefined ? compileTemplate(config.text) : defaultSlackText;
  return {
    send: (n, abort) => poster.post(slackPayload(n, config, title, text), abort),
    close: () => poster.close(),
  };
}
