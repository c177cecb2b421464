// Real metric backends on loopback for end-to-end tests: Prometheus and VictoriaMetrics, each in a
// temp dir, plus a bounded poll of their Prometheus-compatible query API.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { SeriesStore } from '../../src/alerting/storage/series-store.js';
import { evaluate } from '../../src/alerting/promql/engine.js';
import { parseExpr } from '../../src/alerting/promql/parser.js';

export interface Backend {
  port: number;
  process: ChildProcess;
  stop(): void;
}

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** Prometheus with remote-write receiving on, optionally scraping `scrapeTarget` every second with honor_labels. */
export async function startPrometheus(scrapeTarget?: string): Promise<Backend> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-prom-'));
  const scrape = scrapeTarget ? `scrape_configs:\n  - job_name: sluice\n    honor_labels: true\n    static_configs:\n      - targets: ["${scrapeTarget}"]\n` : '';
  writeFileSync(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\n${scrape}`);
  const child = spawn(
    'prometheus',
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--web.enable-remote-write-receiver'],
    { stdio: 'ignore' },
  );
  return { port, process: child, stop: () => child.kill('SIGKILL') };
}

export async function startVictoriaMetrics(): Promise<Backend> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-vm-'));
  const child = spawn('victoria-metrics', [`-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${dir}`, '-search.latencyOffset=0s'], { stdio: 'ignore' });
  return { port, process: child, stop: () => child.kill('SIGKILL') };
}

/** An instant query, at `time` (seconds) when given. */
export async function promQuery(port: number, expr: string, time?: number): Promise<PromSample[]> {
  const at = time === undefined ? '' : `&time=${time}`;
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(expr)}${at}`);
  const body = (await res.json()) as { status: string; data: { result: PromSample[] }; error?: string };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  return body.data.result;
}

/** Polls a query until `accept` takes its result (bounded); errors while the server starts are retried. */
export async function eventually(port: number, expr: string, accept: (r: PromSample[]) => boolean, limitMs = 30_000): Promise<PromSample[]> {
  const limit = Date.now() + limitMs;
  let last: PromSample[] = [];
  for (;;) {
    try {
      last = await promQuery(port, expr);
      if (accept(last)) return last;
    } catch (err) {
      if (Date.now() > limit) throw err;
    }
    if (Date.now() > limit) throw new Error(`${expr}: still ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export interface RangeSample {
  metric: Record<string, string>;
  values: [number, string][];
}

/**
 * What Prometheus's rate() gives for these raw samples (integer milliseconds, as Prometheus keeps
 * them), computed by sluice's own PromQL engine: the check of a real Prometheus against it is also
 * a check of the engine against Prometheus.
 */
export function prometheusRate(samples: [number, number][], evalMs: number, rangeMs: number): number {
  const store = new SeriesStore({ maxSeries: 1, retentionMs: rangeMs });
  for (const [t, v] of samples) store.append([['__name__', 'x']], t, v);
  const result = evaluate(parseExpr(`rate(x[${rangeMs}ms])`), evalMs, store);
  if (result.type !== 'vector' || result.samples.length !== 1) throw new Error(`rate() over ${samples.length} samples gave ${JSON.stringify(result)}`);
  return result.samples[0]!.value;
}
