// What the notification tests share: a recording HTTP receiver, a real Alertmanager
// and a real SMTP server (aiosmtpd writing a Maildir) on loopback, and a NotificationManager on
// virtual time with its logs and counters readable.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SchedulerLike } from 'rxjs';
import { s } from '../../src/config/schema.js';
import type { Alert } from '../../src/alerting/alert.js';
import { fingerprint, labelsFromRecord } from '../../src/alerting/labels.js';
import { notificationFields, type NotificationConfig } from '../../src/alerting/notify/config.js';
import { NotificationManager } from '../../src/alerting/notify/manager.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { LogCapture } from './exporter-harness.js';
import { freePort } from './ports.js';
import { startRecordingServer, type RecordingServer } from './recording-server.js';
import { VirtualClock } from './virtual-time.js';
import { waitUntil } from './wait.js';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

export type Receiver = RecordingServer<RecordedRequest>;

/** Answers 200 unless the test sets `answer`; JSON bodies are parsed. */
export function startReceiver(): Promise<Receiver> {
  const record = (req: http.IncomingMessage, body: Buffer): RecordedRequest => {
    const text = body.toString('utf8');
    return { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: text ? JSON.parse(text) : undefined };
  };
  return startRecordingServer(record, () => ({ status: 200 }));
}

/** An alert as the rule engine hands it over; firing and valid for a day unless told otherwise. */
export function makeAlert(labels: Record<string, string>, opts: Partial<Omit<Alert, 'labels' | 'fingerprint'>> & { at?: number } = {}): Alert {
  const at = opts.at ?? 0;
  return {
    labels,
    annotations: opts.annotations ?? {},
    startsAt: opts.startsAt ?? at,
    endsAt: opts.endsAt ?? at + 24 * 3_600_000,
    resolved: opts.resolved ?? false,
    generatorURL: opts.generatorURL ?? `http://sluice.test/graph?g0.expr=${encodeURIComponent(labels.alertname ?? '')}`,
    fingerprint: fingerprint(labelsFromRecord(labels)),
  };
}

export function resolvedAt(alert: Alert, at: number): Alert {
  return { ...alert, resolved: true, endsAt: at };
}

export function parseNotificationConfig(raw: Record<string, unknown>): NotificationConfig {
  const ctx = { issues: [] };
  const parsed = s.object(notificationFields).parse(raw, ctx);
  assert.deepEqual(ctx.issues, []);
  return parsed!;
}

export interface ManagerHarness {
  manager: NotificationManager;
  clock: VirtualClock;
  telemetry: Telemetry;
  logs: LogCapture;
  /** A metric's value for this processor and notifier (and extra labels), 0 when never set. */
  metric(name: string, notifier: string, labels?: Record<string, string>): Promise<number>;
  /** Advances virtual time in steps, letting real I/O run between them, until `condition` holds (bounded). */
  until(condition: () => boolean | Promise<boolean>, stepMs?: number, what?: string): Promise<void>;
  /** Shuts the manager down with an immediate deadline, driving virtual time so the deadline fires. */
  stop(): Promise<void>;
}

export const PROCESSOR_ID = 'alerting/test';

export async function startManager(raw: Record<string, unknown>, opts: { clock?: VirtualClock; scheduler?: SchedulerLike; externalURL?: string } = {}): Promise<ManagerHarness> {
  const clock = opts.clock ?? new VirtualClock();
  const telemetry = new Telemetry();
  const logs = new LogCapture();
  const manager = new NotificationManager({ ...parseNotificationConfig(raw), external_url: opts.externalURL }, {
    id: PROCESSOR_ID,
    logger: createLogger('debug', logs),
    telemetry,
    scheduler: opts.scheduler ?? clock.scheduler,
  });
  await manager.start();
  return {
    manager,
    clock,
    telemetry,
    logs,
    async metric(name, notifier, labels = {}) {
      const m = telemetry.registry.getSingleMetric(name);
      if (!m) return 0;
      const { values } = await m.get();
      const want = { processor: PROCESSOR_ID, notifier, ...labels };
      return values.find((v) => Object.entries(want).every(([k, x]) => v.labels[k] === x))?.value ?? 0;
    },
    async until(condition, stepMs = 1000, what = 'condition') {
      for (let i = 0; i < 500 && !(await condition()); i++) {
        await clock.advance(stepMs);
        await new Promise((r) => setTimeout(r, 2));
      }
      assert.ok(await condition(), `timed out (500 steps of ${stepMs}ms virtual time) waiting for ${what}`);
    },
    async stop() {
      let done = false;
      const stopping = manager.shutdown((opts.scheduler ?? clock.scheduler).now()).then(() => (done = true));
      for (let i = 0; i < 100 && !done; i++) {
        await clock.advance(0);
        await new Promise((r) => setTimeout(r, 2));
      }
      await stopping;
    },
  };
}

/** Waits for real I/O only (no virtual time passes): for requests already under way. */
export function arrived(receiver: Receiver, count: number): Promise<void> {
  return waitUntil(() => receiver.requests.length >= count, 5000, () => `${count} requests, got ${receiver.requests.length}`);
}

/** For tests of programs a CI image must have: missing under CI is a failure, elsewhere a skip with the reason. */
export function requireProgram(path: string, check?: string[]): string | undefined {
  const present = existsSync(path) && (!check || spawnSync(path, check, { stdio: 'ignore' }).status === 0);
  if (present) return undefined;
  const message = `${path}${check ? ` ${check.join(' ')}` : ''} is not available`;
  if (process.env.CI === 'true') throw new Error(`${message} (required under CI)`);
  return message;
}

export interface ChildServer {
  port: number;
  dir: string;
  process: ChildProcess;
  stderr(): string;
  stop(): void;
}

function spawnServer(command: string, args: string[], port: number, dir: string): ChildServer {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    if (stderr.length < 20_000) stderr += c.toString();
  });
  return { port, dir, process: child, stderr: () => stderr, stop: () => child.kill('SIGKILL') };
}

export const ALERTMANAGER_BIN = '/usr/bin/prometheus-alertmanager';

/** A single, unclustered Alertmanager with one receiver that discards notifications. */
export async function startAlertmanager(): Promise<ChildServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-am-'));
  writeFileSync(join(dir, 'alertmanager.yml'), 'route:\n  receiver: discard\nreceivers:\n  - name: discard\n');
  const server = spawnServer(
    ALERTMANAGER_BIN,
    [`--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='],
    port,
    dir,
  );
  await pollUntil(async () => (await fetch(`http://127.0.0.1:${port}/-/ready`)).ok, 20_000, () => `Alertmanager ready on ${port}: ${server.stderr()}`);
  return server;
}

export const SYSTEM_PYTHON = '/usr/bin/python3';

/** aiosmtpd delivering every message into a Maildir under its temp dir; larger messages than `maxSize` bytes get a 552. */
export async function startSmtp(opts: { maxSize?: number } = {}): Promise<ChildServer & { messages(): string[] }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-smtp-'));
  const maildir = join(dir, 'Maildir');
  const server = spawnServer(SYSTEM_PYTHON, ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, ...(opts.maxSize ? ['-s', String(opts.maxSize)] : []), '-c', 'aiosmtpd.handlers.Mailbox', maildir], port, dir);
  await pollUntil(() => canConnect(port), 20_000, () => `SMTP server on ${port}: ${server.stderr()}`);
  return {
    ...server,
    messages: () => {
      const fresh = join(maildir, 'new');
      return existsSync(fresh) ? readdirSync(fresh).map((f) => readFileSync(join(fresh, f), 'utf8')) : [];
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Bounded polling of a real server; failures while it starts count as "not yet". */
export async function pollUntil(check: () => Promise<boolean> | boolean, limitMs: number, describe: () => string): Promise<void> {
  const limit = Date.now() + limitMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > limit) throw new Error(`timed out waiting for ${describe()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
