// The segment-log queue store: take/ack/release, replay of what was not acked, group commit,
// segment deletion (acks carried out of a deleted segment), torn and corrupt frames, a full disk
// (a real small tmpfs where it can be mounted, an injected ENOSPC always), the directory lock, and a
// SIGKILLed writer whose every reported-durable record must be there after reopening.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { asyncScheduler } from 'rxjs';
import { nodeStoreFs, QueueStore, type PersistentQueueOptions, type SegmentFile, type StoreFs } from '../../src/pipeline/persistent-queue.js';
import { RetryableError } from '../../src/pipeline/errors.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { VirtualClock } from '../helpers/virtual-time.js';
import { waitUntil } from '../helpers/wait.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'sluice-pq-'));
}

/** The node fs with every writev and datasync counted, and writes made to fail on demand. */
class CountingFs implements StoreFs {
  writes = 0;
  /** Writes that have completed (`writes` counts them as they start). */
  written = 0;
  syncs = 0;
  /** When set, the next write puts half its first buffer on disk, reports that, and the one after throws this code. */
  failWith: string | undefined;
  private failNext = false;

  open = async (path: string, flags: 'r+' | 'wx'): Promise<SegmentFile> => {
    const file = await nodeStoreFs.open(path, flags);
    return {
      fd: file.fd,
      writev: async (buffers, position) => {
        this.writes++;
        if (this.failNext) {
          this.failNext = false;
          throw Object.assign(new Error(`${this.failWith}: no space left on device, write`), { code: this.failWith });
        }
        if (this.failWith) {
          this.failNext = true;
          const half = buffers[0]!.subarray(0, Math.max(1, buffers[0]!.length >> 1));
          return file.writev([half], position);
        }
        const result = await file.writev(buffers, position);
        this.written++;
        return result;
      },
      datasync: async () => {
        this.syncs++;
        await file.datasync();
      },
      truncate: (length) => file.truncate(length),
      close: () => file.close(),
    };
  };
  readFile = nodeStoreFs.readFile;
  readdir = nodeStoreFs.readdir;
  unlink = nodeStoreFs.unlink;
  mkdir = nodeStoreFs.mkdir;
  syncDir = nodeStoreFs.syncDir;
  writeFile = nodeStoreFs.writeFile;
}

interface Counted {
  corruptRecords: number;
  corruptBytes: number;
  replayed: number;
  writeErrors: number;
}

function options(directory: string, extra: Partial<PersistentQueueOptions> = {}): PersistentQueueOptions & { counted: Counted } {
  const counted: Counted = { corruptRecords: 0, corruptBytes: 0, replayed: 0, writeErrors: 0 };
  return {
    directory,
    fsync: false,
    logger: createLogger('silent'),
    scheduler: asyncScheduler,
    counters: {
      corruptRecords: (n) => (counted.corruptRecords += n),
      corruptBytes: (n) => (counted.corruptBytes += n),
      replayedRecords: (n) => (counted.replayed += n),
      writeErrors: (n) => (counted.writeErrors += n),
    },
    counted,
    ...extra,
  };
}

function payload(n: number, size = 1000): Buffer {
  const b = Buffer.alloc(size, n % 251);
  b.writeUInt32LE(n, 0);
  return b;
}

function numberOf(p: Uint8Array): number {
  return Buffer.from(p.buffer, p.byteOffset, p.length).readUInt32LE(0);
}

function segments(directory: string): string[] {
  return readdirSync(directory)
    .filter((n) => n.endsWith('.seg'))
    .sort();
}

/** Everything the store gives out, acked as taken. */
function drain(queue: { take(): { id: number; payload: Uint8Array } | undefined; ack(id: number): void }): number[] {
  const out: number[] = [];
  for (let r = queue.take(); r; r = queue.take()) {
    out.push(numberOf(r.payload));
    queue.ack(r.id);
  }
  return out;
}

test('append, take, ack and release keep the counts the contract names', async () => {
  const dir = tempDir();
  const store = await QueueStore.open(options(dir));
  const q = store.handle();
  await q.append(payload(1, 100), 3);
  await q.append(payload(2, 200), 5);
  assert.deepEqual([q.records, q.items, q.bytes, q.available], [2, 8, 300, 2]);
  const first = q.take()!;
  assert.equal(numberOf(first.payload), 1);
  assert.equal(first.items, 3);
  assert.deepEqual([q.records, q.available], [2, 1]);
  q.release(first.id);
  assert.equal(q.available, 2);
  assert.equal(q.take()!.id, first.id, 'a released record is the oldest again');
  q.ack(first.id);
  assert.deepEqual([q.records, q.items, q.bytes, q.available], [1, 5, 200, 1]);
  const second = q.take()!;
  assert.equal(numberOf(second.payload), 2);
  assert.equal(q.take(), undefined);
  q.ack(second.id);
  assert.deepEqual([q.records, q.items, q.bytes, q.available], [0, 0, 0, 0]);
  await q.close();
  await assert.rejects(q.append(payload(3), 1), RetryableError);
  rmSync(dir, { recursive: true, force: true });
});

test('after close and reopen only the records not acked come back, oldest first, taken ones included', async () => {
  const dir = tempDir();
  const opts = options(dir);
  let store = await QueueStore.open(opts);
  let q = store.handle();
  for (let i = 0; i < 10; i++) await q.append(payload(i), 1);
  for (let i = 0; i < 4; i++) q.ack(q.take()!.id);
  const taken = q.take()!;
  assert.equal(numberOf(taken.payload), 4);
  await q.close();

  store = await QueueStore.open(opts);
  assert.equal(store.replayed, 6);
  assert.equal(opts.counted.replayed, 6);
  q = store.handle();
  await q.append(payload(10), 1);
  assert.deepEqual(drain(q), [4, 5, 6, 7, 8, 9, 10]);
  await q.close();

  store = await QueueStore.open(opts);
  assert.equal(store.replayed, 0);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('appends that arrive during a write share the next write and fsync', async () => {
  const dir = tempDir();
  const fs = new CountingFs();
  const store = await QueueStore.open(options(dir, { fs, fsync: true }));
  const q = store.handle();
  await q.append(payload(0), 1);
  const writes = fs.writes;
  const syncs = fs.syncs;
  await Promise.all(Array.from({ length: 200 }, (_, i) => q.append(payload(i + 1), 1)));
  // The first append starts a write on its own; the 199 that arrive meanwhile go in the next one.
  assert.ok(fs.writes - writes <= 2, `${fs.writes - writes} writes for 200 appends`);
  assert.ok(fs.syncs - syncs <= 2, `${fs.syncs - syncs} fsyncs for 200 appends`);
  assert.equal(q.records, 201);
  await q.close();
  rmSync(dir, { recursive: true, force: true });
});

test('without fsync nothing is fsynced', async () => {
  const dir = tempDir();
  const fs = new CountingFs();
  const store = await QueueStore.open(options(dir, { fs }));
  const q = store.handle();
  await Promise.all(Array.from({ length: 20 }, (_, i) => q.append(payload(i), 1)));
  assert.equal(fs.syncs, 0);
  await q.close();
  rmSync(dir, { recursive: true, force: true });
});

test('acks with no append to go with are written on the scheduler a little later, in one write', async () => {
  const dir = tempDir();
  const fs = new CountingFs();
  const clock = new VirtualClock();
  const opts = options(dir, { fs, scheduler: clock.scheduler });
  const store = await QueueStore.open(opts);
  const q = store.handle();
  await Promise.all(Array.from({ length: 5 }, (_, i) => q.append(payload(i), 1)));
  const writes = fs.writes;
  for (let r = q.take(); r; r = q.take()) q.ack(r.id);
  await clock.advance(100);
  assert.equal(fs.writes, writes, 'acks wait for an append or the flush');
  await clock.advance(100);
  // Copied below once the write has completed, not merely started.
  await waitUntil(() => fs.written > writes, 5000, () => 'the ack write');
  assert.equal(fs.writes, writes + 1);

  // Written means a crash now replays nothing.
  const copy = tempDir();
  for (const name of segments(dir)) writeFileSync(join(copy, name), readFileSync(join(dir, name)));
  const after = await QueueStore.open(options(copy));
  assert.equal(after.replayed, 0);
  await after.close();
  await q.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(copy, { recursive: true, force: true });
});

test('a sealed segment whose records are all acked is deleted', async () => {
  const dir = tempDir();
  const opts = options(dir, { segmentBytes: 4096 });
  let store = await QueueStore.open(opts);
  let q = store.handle();
  for (let i = 0; i < 20; i++) await q.append(payload(i), 1);
  assert.ok(segments(dir).length >= 4, `segments: ${segments(dir).join(', ')}`);
  assert.equal(drain(q).length, 20);
  await q.append(payload(20), 1);
  await q.close();
  assert.equal(segments(dir).length, 1, 'only the tail is left');

  store = await QueueStore.open(opts);
  q = store.handle();
  assert.deepEqual(drain(q), [20]);
  await q.close();
  rmSync(dir, { recursive: true, force: true });
});

test('deleting an acked segment carries the acks it holds for older segments', async () => {
  const dir = tempDir();
  const opts = options(dir, { segmentBytes: 4096 });
  let store = await QueueStore.open(opts);
  let q = store.handle();
  for (let i = 0; i < 12; i++) await q.append(payload(i), 1);
  // Record 0 stays taken (a slow send) while everything after it is acked: their acks land in
  // later segments, which go once their own records are acked, while the first segment stays.
  const slow = q.take()!;
  const rest = drain(q);
  assert.equal(rest.length, 11);
  for (let i = 12; i < 30; i++) {
    await q.append(payload(i), 1);
    q.ack(q.take()!.id);
  }
  await q.append(payload(30), 1);
  const before = segments(dir);
  assert.ok(before.length <= 3, `segments: ${before.join(', ')}`);
  q.release(slow.id);
  await q.close();

  store = await QueueStore.open(opts);
  q = store.handle();
  assert.deepEqual(drain(q), [0, 30]);
  await q.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a torn tail is cut at the last good frame, counted, and appends go on after it', async () => {
  const dir = tempDir();
  const opts = options(dir);
  let store = await QueueStore.open(opts);
  let q = store.handle();
  for (let i = 0; i < 5; i++) await q.append(payload(i), 1);
  await q.close();
  const [file] = segments(dir);
  const path = join(dir, file!);
  truncateSync(path, statSync(path).size - 300);

  store = await QueueStore.open(opts);
  assert.equal(opts.counted.corruptRecords, 1);
  assert.ok(opts.counted.corruptBytes > 0);
  q = store.handle();
  await q.append(payload(5), 1);
  await q.close();

  const again = options(dir);
  store = await QueueStore.open(again);
  assert.equal(again.counted.corruptRecords, 0, 'the cut tail is not counted twice');
  q = store.handle();
  assert.deepEqual(drain(q), [0, 1, 2, 3, 5]);
  await q.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a frame with a bad checksum is skipped and the frames after it are still read', async () => {
  const dir = tempDir();
  const opts = options(dir);
  let store = await QueueStore.open(opts);
  let q = store.handle();
  for (let i = 0; i < 5; i++) await q.append(payload(i), 1);
  await q.close();
  const path = join(dir, segments(dir)[0]!);
  const data = readFileSync(path);
  // The middle of record 2's payload: a header frame, then records of 12 + 13 + 1000 bytes.
  const header = 12 + 9;
  const at = header + 2 * 1025 + 500;
  data[at] = data[at]! ^ 0xff;
  writeFileSync(path, data);

  store = await QueueStore.open(opts);
  assert.equal(opts.counted.corruptRecords, 1);
  assert.equal(opts.counted.corruptBytes, 1025);
  q = store.handle();
  assert.deepEqual(drain(q), [0, 1, 3, 4]);
  await q.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a full disk (injected ENOSPC after a short write) refuses the group retryably, cuts the partial frame, and the store goes on', async () => {
  const dir = tempDir();
  const fs = new CountingFs();
  const opts = options(dir, { fs, fsync: true });
  let store = await QueueStore.open(opts);
  let q = store.handle();
  for (let i = 0; i < 3; i++) await q.append(payload(i), 1);
  q.ack(q.take()!.id);
  await q.append(payload(3), 1);
  const path = join(dir, segments(dir)[0]!);
  const size = statSync(path).size;

  fs.failWith = 'ENOSPC';
  const refused = q.append(payload(4), 1);
  await assert.rejects(refused, (err: Error) => err instanceof RetryableError && /disk is full/.test(err.message));
  assert.equal(statSync(path).size, size, 'nothing half-written is left');
  assert.equal(q.records, 3);
  assert.equal(opts.counted.writeErrors, 1);

  fs.failWith = undefined;
  await q.append(payload(5), 1);
  await q.close();

  const again = options(dir);
  store = await QueueStore.open(again);
  assert.equal(again.counted.corruptRecords, 0);
  q = store.handle();
  assert.deepEqual(drain(q), [1, 2, 3, 5]);
  await q.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a full tmpfs refuses appends retryably; what was stored survives and appends work again once space is freed', async (t) => {
  const dir = tempDir();
  const mounted = process.getuid?.() === 0 && spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]).status === 0;
  if (!mounted) {
    rmSync(dir, { recursive: true, force: true });
    t.skip('cannot mount a tmpfs here; the injected ENOSPC test covers this');
    return;
  }
  try {
    const filler = join(dir, 'filler');
    writeFileSync(filler, Buffer.alloc(600 * 1024));
    const queueDir = join(dir, 'queue');
    mkdirSync(queueDir);
    const opts = options(queueDir, { fsync: true });
    let store = await QueueStore.open(opts);
    let q = store.handle();
    const stored: number[] = [];
    let refusal: unknown;
    for (let i = 0; i < 100 && !refusal; i++) {
      try {
        await q.append(payload(i, 20 * 1024), 1);
        stored.push(i);
      } catch (err) {
        refusal = err;
      }
    }
    assert.ok(refusal instanceof RetryableError && /disk is full/.test(refusal.message), String(refusal));
    assert.ok(stored.length > 5);
    const ackedFirst = q.take()!;
    q.ack(ackedFirst.id);
    rmSync(filler);
    await q.append(payload(1000, 20 * 1024), 1);
    await q.close();

    store = await QueueStore.open(options(queueDir));
    q = store.handle();
    assert.deepEqual(drain(q), [...stored.slice(1), 1000]);
    await q.close();
  } finally {
    spawnSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('compaction on open rewrites mostly acked segments so they can be deleted', async () => {
  const dir = tempDir();
  let store = await QueueStore.open(options(dir, { segmentBytes: 8192 }));
  let q = store.handle();
  for (let i = 0; i < 24; i++) await q.append(payload(i), 1);
  // One record in each of the first segments stays; all else is acked.
  const keep = new Set([0, 9]);
  for (let r = q.take(); r; r = q.take()) if (!keep.has(numberOf(r.payload))) q.ack(r.id);
  await q.close();
  const before = segments(dir).length;

  store = await QueueStore.open(options(dir, { segmentBytes: 8192, compactOnOpen: true }));
  q = store.handle();
  await q.append(payload(24), 1);
  await q.close();
  assert.ok(segments(dir).length < before, `${segments(dir).length} segments, ${before} before`);

  store = await QueueStore.open(options(dir));
  q = store.handle();
  assert.deepEqual(drain(q), [0, 9, 24]);
  await q.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a directory locked by another live process fails the open after the timeout', async () => {
  const dir = tempDir();
  // The test runner that started this file is alive and is not this process.
  writeFileSync(join(dir, 'LOCK'), String(process.ppid));
  const clock = new VirtualClock();
  const opening = QueueStore.open(options(dir, { scheduler: clock.scheduler, lockTimeoutMs: 1000 }));
  let outcome: string | undefined;
  opening.then(
    () => (outcome = 'opened'),
    (err: Error) => (outcome = err.message),
  );
  // Each retry reads the lock file (real I/O) before it waits on the clock again.
  while (outcome === undefined) {
    await waitUntil(() => outcome !== undefined || clock.scheduler.actions.length > 0, 5000, () => 'the open to wait on the clock');
    await clock.advance(50);
  }
  assert.match(outcome, /locked by process/);
  assert.ok(clock.now() >= 1000);

  // A lock left by a process that is gone is taken over.
  writeFileSync(join(dir, 'LOCK'), '999999999');
  const store = await QueueStore.open(options(dir));
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const CHILD = fileURLToPath(new URL('../helpers/persistent-queue-child.ts', import.meta.url));

for (const fsync of [false, true]) {
  test(`every record a SIGKILLed writer reported durable is there after reopening (fsync ${fsync})`, async () => {
    const dir = tempDir();
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, String(fsync)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const durable: number[] = [];
    let buffered = '';
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) durable.push(Number(line));
      if (durable.length >= 2000) child.kill('SIGKILL');
    });
    await exited;
    assert.ok(durable.length >= 2000, `the child reported ${durable.length} records`);

    const opts = options(dir);
    const store = await QueueStore.open(opts);
    const q = store.handle();
    const found = new Set(drain(q));
    const missing = durable.filter((n) => !found.has(n));
    assert.deepEqual(missing, []);
    await q.close();
    rmSync(dir, { recursive: true, force: true });
  });
}
