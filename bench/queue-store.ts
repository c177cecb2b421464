// The persistent queue's append latency (append called → promise resolved, i.e. durable) under an
// open-loop load of 1–4 KiB records, with fsync off and on, next to a baseline measured in the same
// run: one FileHandle.appendFile (and fdatasync with fsync on) per record, with no group commit.
// Run: `node --import tsx bench/queue-store.ts` (BENCH_SECONDS per scenario, default 5).
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asyncScheduler } from 'rxjs';
import { nodeStoreFs, QueueStore, type StoreFs } from '../src/pipeline/persistent-queue.js';
import { createLogger } from '../src/telemetry/logger.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const RATES = (process.env.BENCH_RATES ?? '1000,4000').split(',').map(Number);

interface Result {
  p50: number;
  p99: number;
  max: number;
  rate: number;
  writes: number;
  syncs: number;
}

/** Sizes cycle through 1–4 KiB so every scenario writes the same bytes. */
function payloads(): Buffer[] {
  return Array.from({ length: 64 }, (_, i) => Buffer.alloc(1024 + ((i * 197) % 3072), i));
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

/** Calls `append` `rate` times a second for SECONDS, on a 1 ms tick, whatever the answers take. */
async function openLoop(rate: number, append: (payload: Buffer) => Promise<void>): Promise<Pick<Result, 'p50' | 'p99' | 'max' | 'rate'>> {
  const data = payloads();
  const latencies: number[] = [];
  const inFlight = new Set<Promise<void>>();
  const start = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const elapsed = (performance.now() - start) / 1000;
      if (elapsed >= SECONDS) {
        clearInterval(tick);
        resolve();
        return;
      }
      for (const due = Math.floor(elapsed * rate); sent < due; sent++) {
        const t0 = performance.now();
        const p = append(data[sent % data.length]!).then(() => {
          latencies.push(performance.now() - t0);
          inFlight.delete(p);
        });
        inFlight.add(p);
      }
    }, 1);
  });
  await Promise.all(inFlight);
  const wall = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), max: latencies[latencies.length - 1] ?? NaN, rate: latencies.length / wall };
}

function countingFs(counts: { writes: number; syncs: number }): StoreFs {
  return {
    ...nodeStoreFs,
    async open(path, flags) {
      const file = await nodeStoreFs.open(path, flags);
      return {
        fd: file.fd,
        writev: (buffers, position) => (counts.writes++, file.writev(buffers, position)),
        datasync: () => (counts.syncs++, file.datasync()),
        truncate: (length) => file.truncate(length),
        close: () => file.close(),
      };
    },
  };
}

async function segmentLog(rate: number, fsync: boolean): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-pq-'));
  const counts = { writes: 0, syncs: 0 };
  const store = await QueueStore.open({ directory: dir, fsync, logger: createLogger('silent'), scheduler: asyncScheduler, fs: countingFs(counts) });
  const queue = store.handle();
  // The consumer side as the exporter helper runs it: what is stored is taken and acked.
  const drain = setInterval(() => {
    for (let r = queue.take(); r; r = queue.take()) queue.ack(r.id);
  }, 5);
  const r = await openLoop(rate, (p) => queue.append(p, 1));
  clearInterval(drain);
  await queue.close();
  rmSync(dir, { recursive: true, force: true });
  return { ...r, ...counts };
}

async function baseline(rate: number, fsync: boolean): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-pq-'));
  const file = await open(join(dir, 'plain'), 'a');
  const counts = { writes: 0, syncs: 0 };
  const r = await openLoop(rate, async (p) => {
    counts.writes++;
    await file.appendFile(p);
    if (fsync) {
      counts.syncs++;
      await file.datasync();
    }
  });
  await file.close();
  rmSync(dir, { recursive: true, force: true });
  return { ...r, ...counts };
}

function row(label: string, r: Result): void {
  const per1k = (n: number) => ((n / (r.rate * SECONDS)) * 1000).toFixed(0);
  console.log(
    `  ${label.padEnd(30)} p50 ${r.p50.toFixed(2).padStart(7)} ms  p99 ${r.p99.toFixed(2).padStart(7)} ms  max ${r.max.toFixed(1).padStart(7)} ms  ${r.rate.toFixed(0).padStart(6)}/s  writes/1k ${per1k(r.writes).padStart(5)}  fsyncs/1k ${per1k(r.syncs).padStart(5)}`,
  );
}

console.log(`persistent queue append latency: node ${process.version}, ${SECONDS}s per scenario, 1–4 KiB records, open loop`);
for (const fsync of [false, true]) {
  for (const rate of RATES) {
    console.log(`\nfsync ${fsync}, ${rate} records/s`);
    const base = await baseline(rate, fsync);
    const log = await segmentLog(rate, fsync);
    row('baseline: appendFile per record', base);
    row('segment log (group commit)', log);
    console.log(`  ratio p99 log / baseline: ${(log.p99 / base.p99).toFixed(2)}; writes log / baseline: ${(log.writes / base.writes).toFixed(3)}`);
  }
}
