// The `email` notifier: one SMTP message per notification through nodemailer, plain text with a
// simple HTML alternative. The password is handed to nodemailer only, never logged.
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { PermanentError, RetryableError } from '../../pipeline/errors.js';
import type { EmailNotifierConfig } from './config.js';
import { alertLine, compileTemplate, defaultTitle, formatLabels, rfc3339, type GroupNotification, type NotifiedAlert, type Template } from './notification.js';
import type { Integration } from './queue.js';

export interface EmailMessage {
  subject: string;
  text: string;
  html: string;
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function sections(n: GroupNotification): { heading: string; alerts: NotifiedAlert[] }[] {
  const firing = n.alerts.filter((a) => a.status === 'firing');
  const resolved = n.alerts.filter((a) => a.status === 'resolved');
  return [
    { heading: `Firing (${firing.length})`, alerts: firing },
    { heading: `Resolved (${resolved.length})`, alerts: resolved },
  ].filter((s) => s.alerts.length > 0);
}

function details(a: NotifiedAlert): string[] {
  const out = [`Labels: ${formatLabels(a.labels)}`, `Started: ${rfc3339(a.startsAt)}`];
  if (a.status === 'resolved') out.push(`Resolved: ${rfc3339(a.endsAt)}`);
  if (a.generatorURL) out.push(`Source: ${a.generatorURL}`);
  return out;
}

export function emailMessage(n: GroupNotification, subject: Template = defaultTitle): EmailMessage {
  const title = subject(n);
  const text = [title, ''];
  const html = [`<h2>${escapeHtml(title)}</h2>`];
  for (const s of sections(n)) {
    text.push(`${s.heading}:`);
    html.push(`<h3>${escapeHtml(s.heading)}</h3>`, '<ul>');
    for (const a of s.alerts) {
      text.push(`- ${alertLine(a)}`, ...details(a).map((d) => `  ${d}`));
      html.push(`<li><strong>${escapeHtml(alertLine(a))}</strong><br>${details(a).map(escapeHtml).join('<br>')}</li>`);
    }
    text.push('');
    html.push('</ul>');
  }
  if (n.externalURL) {
    text.push(`Sent by ${n.externalURL}`);
    html.push(`<p>Sent by <a href="${escapeHtml(n.externalURL)}">${escapeHtml(n.externalURL)}</a></p>`);
  }
  return { subject: title, text: `${text.join('\n').trimEnd()}\n`, html: html.join('\n') };
}

/** Refusals a retry cannot change: rejected credentials, and addresses nodemailer cannot use. */
const PERMANENT_CODES: ReadonlySet<string> = new Set(['EAUTH', 'EENVELOPE']);

/** SMTP's own split: 5xx replies will not change on a retry; 4xx and dropped connections may. */
function classify(err: unknown): Error {
  const e = err as { responseCode?: number; code?: string; message?: string };
  const message = `SMTP: ${e.message ?? String(err)}`;
  if ((e.responseCode !== undefined && e.responseCode >= 500) || (e.code !== undefined && PERMANENT_CODES.has(e.code))) return new PermanentError(message);
  return new RetryableError(message);
}

export function emailIntegration(config: EmailNotifierConfig): Integration<GroupNotification> {
  const split = /^\[?(.*?)\]?:(\d+)$/.exec(config.smarthost)!;
  const port = Number(split[2]);
  const options: SMTPTransport.Options = {
    host: split[1],
    port,
    // Port 465 is SMTPS (TLS from the first byte); elsewhere TLS comes, if at all, with STARTTLS.
    secure: port === 465,
    requireTLS: config.require_tls,
    ignoreTLS: !config.require_tls && port !== 465,
    connectionTimeout: config.timeout,
    greetingTimeout: config.timeout,
    socketTimeout: config.timeout,
    ...(config.auth_username !== undefined ? { auth: { user: config.auth_username, pass: config.auth_password ?? '' } } : {}),
  };
  const transport = nodemailer.createTransport(options);
  const subject = config.subject !== undefined ? compileTemplate(config.subject) : defaultTitle;
  const to = config.to
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');
  return {
    async send(n) {
      const message = emailMessage(n, subject);
      try {
        await transport.sendMail({ from: config.from, to, ...message });
      } catch (err) {
        throw classify(err);
      }
    },
    close() {
      transport.close();
      return Promise.resolve();
    },
  };
}
