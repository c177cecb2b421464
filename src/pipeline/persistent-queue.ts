// The exporter helper's crash-safe queue: an append-only log of segment files per queue. Records
// and acks are frames in the log; a group commit writes every frame that arrived while the previous
// write (and fsync) ran in one positioned write, so the disk sees one write per few milliseconds, not
// one per append. A segment whose records are all acked is deleted; replay at open keeps what was
// not acked. The file_storage extension opens these stores; the contract is ./queue-store.ts.
import { promises as fsp, closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { firstValueFrom, timer, type SchedulerLike } from 'rxjs';
import type { Logger } from 'pino';
import { PermanentError, RetryableError } from './errors.js';
import type { PersistentQueue, StoredRecord } from './queue-store.js';

/** The file operations a segment needs; tests inject failures (ENOSPC) and count writes and fsyncs. */
export interface SegmentFile {
  readonly fd: number;
  /** Writes at `position`; may write fewer bytes than given, as write(2) may. */
  writev(buffers: Buffer[], position: number): Promise<number>;
  datasync(): Promise<void>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

export interface StoreFs {
  open(path: string, flags: 'r+' | 'wx'): Promise<SegmentFile>;
  readFile(path: string): Promise<Buffer>;
  readdir(path: string): Promise<string[]>;
  unlink(path: string): Promise<void>;
  mkdir(path: string): Promise<void>;
  /** Makes a created or removed directory entry durable. */
  syncDir(path: string): Promise<void>;
  writeFile(path: string, data: string, flags: 'wx' | 'w'): Promise<void>;
}

export const nodeStoreFs: StoreFs = {
  async open(path, flags) {
    const handle = await fsp.open(path, flags, 0o640);
    return {
      fd: handle.fd,
      writev: async (buffers, position) => (await handle.writev(buffers, position)).bytesWritten,
      datasync: () => handle.datasync(),
      truncate: (length) => handle.truncate(length),
      close: () => handle.close(),
    };
  },
  readFile: (path) => fsp.readFile(path),
  readdir: (path) => fsp.readdir(path),
  unlink: (path) => fsp.unlink(path),
  mkdir: async (path) => {
    await fsp.mkdir(path, { recursive: true, mode: 0o750 });
  },
  async syncDir(path) {
    const dir = await fsp.open(path, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  },
  writeFile: (path, data, flags) => fsp.writeFile(path, data, { flag: flags, mode: 0o640 }),
};

/** The counters a store reports into; the extension binds them to its id and the queue name. */
export interface StoreCounters {
  corruptRecords(n: number): void;
  corruptBytes(n: number): void;
  replayedRecords(n: number): void;
  writeErrors(n: number): void;
}

export interface PersistentQueueOptions {
  /** The queue's own directory; created when missing. */
  directory: string;
  /** fdatasync after every group (and fsync of the directory when a segment is created or removed). */
  fsync: boolean;
  logger: Logger;
  counters?: StoreCounters;
  /** A segment is sealed (no more appends) once it reaches this size. */
  segmentBytes?: number;
  /** Payloads kept in memory for take(); beyond this they are read back from their segment. */
  cacheBytes?: number;
  /** How long to wait for another live process's lock on the directory before failing. */
  lockTimeoutMs?: number;
  scheduler: SchedulerLike;
  /** Rewrite the unacked records of sealed segments that are mostly acked, so the segments can go. */
  compactOnOpen?: boolean;
  fs?: StoreFs;
}

const MAGIC = 0x51_4c_53_31; // "1SLQ" little-endian on disk: where a resync after corruption may start.
const FRAME_HEAD = 12; // magic, body length, CRC32 of length + body
const MAX_BODY = 256 * 1024 * 1024;
const HEADER = 1; // segment's first frame: the next record id at its creation, so ids never repeat
const RECORD = 2; // id, items, payload
const ACK = 3; // ids
const SEGMENT_SUFFIX = '.seg';
const IOV_MAX = 1024;
const ACK_FLUSH_MS = 200;
const DISK_FULL = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

/** CRC32 (IEEE), from zlib where this Node has it (20.15+), else by table. */
const crc32: (data: Uint8Array, value?: number) => number =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function' ? zlib.crc32 : tableCrc32();

function tableCrc32(): (data: Uint8Array, value?: number) => number {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return (data, value = 0) => {
    let c = ~value;
    for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
    return ~c >>> 0;
  };
}

function putId(buf: Buffer, id: number, at: number): void {
  buf.writeUInt32LE(id % 0x1_0000_0000, at);
  buf.writeUInt32LE(Math.floor(id / 0x1_0000_0000), at + 4);
}

function getId(buf: Buffer, at: number): number {
  return buf.readUInt32LE(at) + buf.readUInt32LE(at + 4) * 0x1_0000_0000;
}

/** A frame: head, then `body` bytes of which the first is the type. */
function frame(type: number, bodyLength: number, fill: (body: Buffer) => void, tail?: Uint8Array): Buffer[] {
  const head = Buffer.allocUnsafe(FRAME_HEAD + bodyLength);
  const total = bodyLength + (tail?.length ?? 0);
  head.writeUInt32LE(MAGIC, 0);
  head.writeUInt32LE(total, 4);
  head[FRAME_HEAD] = type;
  fill(head.subarray(FRAME_HEAD));
  let crc = crc32(head.subarray(4, 8));
  crc = crc32(head.subarray(FRAME_HEAD), crc);
  if (tail) crc = crc32(tail, crc);
  head.writeUInt32LE(crc, 8);
  return tail ? [head, Buffer.from(tail.buffer, tail.byteOffset, tail.length)] : [head];
}

const RECORD_BODY = 1 + 8 + 4;

function recordFrame(id: number, items: number, payload: Uint8Array): Buffer[] {
  return frame(
    RECORD,
    RECORD_BODY,
    (b) => {
      putId(b, id, 1);
      b.writeUInt32LE(items, 9);
    },
    payload,
  );
}

function ackFrame(ids: readonly number[]): Buffer[] {
  return frame(ACK, 1 + 8 * ids.length, (b) => ids.forEach((id, i) => putId(b, id, 1 + 8 * i)));
}

interface Segment {
  readonly seq: number;
  readonly path: string;
  /** End of the last good frame: where the next write goes, and what a failed write is cut back to. */
  size: number;
  /** Records of this segment not acked. */
  live: number;
  /** Acks written here for records of older segments, by their segment: carried on when this one goes. */
  readonly acksFor: Map<Segment, number[]>;
  file?: SegmentFile;
  deleting?: boolean;
}

interface Rec {
  readonly id: number;
  readonly items: number;
  readonly bytes: number;
  segment: Segment;
  /** Where the payload starts in its segment. */
  offset: number;
  payload: Uint8Array | undefined;
  owner: QueueHandle | undefined;
}

interface Pending {
  readonly id: number;
  readonly items: number;
  readonly payload: Uint8Array;
  /** A compaction copy of a stored record rather than a new one. */
  readonly copyOf?: Rec;
  resolve(): void;
  reject(err: Error): void;
}

function segmentName(seq: number): string {
  return `${String(seq).padStart(12, '0')}${SEGMENT_SUFFIX}`;
}

function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** What replay found in one segment's bytes. */
interface ScanResult {
  /** End of the last good frame. */
  good: number;
  corruptFrames: number;
  corruptBytes: number;
}

/** Walks the frames of a segment, resynchronising on the next magic after a bad one. */
function scan(data: Buffer, onFrame: (type: number, body: Buffer, bodyStart: number) => void): ScanResult {
  let pos = 0;
  let good = 0;
  let corruptFrames = 0;
  let corruptBytes = 0;
  const valid = (at: number): number => {
    if (at + FRAME_HEAD > data.length || data.readUInt32LE(at) !== MAGIC) return -1;
    const length = data.readUInt32LE(at + 4);
    if (length < 1 || length > MAX_BODY || at + FRAME_HEAD + length > data.length) return -1;
    const crc = crc32(data.subarray(at + FRAME_HEAD, at + FRAME_HEAD + length), crc32(data.subarray(at + 4, at + 8)));
    return crc === data.readUInt32LE(at + 8) ? length : -1;
  };
  while (pos < data.length) {
    const length = valid(pos);
    if (length >= 0) {
      const start = pos + FRAME_HEAD;
      onFrame(data[start]!, data.subarray(start, start + length), start);
      pos = start + length;
      good = pos;
      continue;
    }
    let next = data.indexOf(MAGIC_BYTES, pos + 1);
    while (next !== -1 && valid(next) < 0) next = data.indexOf(MAGIC_BYTES, next + 1);
    if (next === -1) next = data.length;
    corruptFrames++;
    corruptBytes += next - pos;
    pos = next;
  }
  return { good, corruptFrames, corruptBytes };
}

const MAGIC_BYTES = (() => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(MAGIC, 0);
  return b;
})();

/**
 * One open queue directory. Handles (`PersistentQueue`) share it; it closes with its last handle.
 * Durability of a resolved append: with `fsync: false` the frame is in the OS page cache (it
 * survives a crash of this process, not of the machine); with `fsync: true` it was fdatasync'd.
 */
export class QueueStore {
  private readonly fs: StoreFs;
  private readonly segmentBytes: number;
  private readonly cacheBytes: number;
  private readonly segments: Segment[] = [];
  private readonly recs = new Map<number, Rec>();
  private pending: Pending[] = [];
  private pendingAcks: Rec[] = [];
  private writing: Promise<void> | undefined;
  private nextId = 1;
  private nextSeq = 1;
  private cached = 0;
  private closed = false;
  /** Set once close has written what was pending: nothing is written after it. */
  private finished = false;
  /** Acks and deletions are due to be written though no append came. */
  private flushDue = false;
  private flushScheduled = false;
  /** Deletions of acked segments, one after another, behind the group commits. */
  private removing: Promise<void> = Promise.resolve();
  private handles = 0;
  private readFd: { path: string; fd: number } | undefined;
  private recordsCount = 0;
  private itemsCount = 0;
  private bytesCount = 0;
  private takenCount = 0;
  private replayedCount = 0;

  private constructor(private readonly options: PersistentQueueOptions) {
    this.fs = options.fs ?? nodeStoreFs;
    this.segmentBytes = options.segmentBytes ?? 8 * 1024 * 1024;
    this.cacheBytes = options.cacheBytes ?? 32 * 1024 * 1024;
  }

  static async open(options: PersistentQueueOptions): Promise<QueueStore> {
    const store = new QueueStore(options);
    await store.fs.mkdir(options.directory);
    await store.lock();
    await store.replay();
    if (options.compactOnOpen) store.compact();
    return store;
  }

  /** Records found not acked at open (a few may have been acked just before a crash). */
  get replayed(): number {
    return this.replayedCount;
  }
  get records(): number {
    return this.recordsCount;
  }
  get items(): number {
    return this.itemsCount;
  }
  get bytes(): number {
    return this.bytesCount;
  }
  get available(): number {
    return this.recordsCount - this.takenCount;
  }

  /** A new handle on this store. */
  handle(): PersistentQueue {
    this.handles++;
    return new QueueHandle(this);
  }

  /**
   * Another process's lock on the directory holds us off until `lockTimeoutMs`, as bbolt's file lock
   * does in the Collector. A lock left by a dead process (a crash) or by this process id (a
   * container restarted with the same pid) is taken over.
   */
  private async lock(): Promise<void> {
    const path = join(this.options.directory, 'LOCK');
    const deadline = this.options.scheduler.now() + (this.options.lockTimeoutMs ?? 1000);
    for (;;) {
      let holder: number | undefined;
      try {
        holder = Number((await this.fs.readFile(path)).toString('utf8').trim());
      } catch (err) {
        if (errorCode(err) !== 'ENOENT') throw err;
      }
      if (holder === undefined) {
        try {
          await this.fs.writeFile(path, String(process.pid), 'wx');
          return;
        } catch (err) {
          // Another process took it just now: look again at who holds it.
          if (errorCode(err) !== 'EEXIST') throw err;
          continue;
        }
      }
      if (!Number.isInteger(holder) || holder === process.pid || !alive(holder)) {
        await this.fs.writeFile(path, String(process.pid), 'w');
        return;
      }
      if (this.options.scheduler.now() >= deadline) throw new Error(`queue directory ${this.options.directory} is locked by process ${holder}`);
      await firstValueFrom(timer(50, this.options.scheduler));
    }
  }

  private async replay(): Promise<void> {
    const dir = this.options.directory;
    const names = (await this.fs.readdir(dir)).filter((n) => n.endsWith(SEGMENT_SUFFIX)).sort();
    let corruptFrames = 0;
    let corruptBytes = 0;
    for (const name of names) {
      const seq = Number(name.slice(0, -SEGMENT_SUFFIX.length));
      if (!Number.isInteger(seq)) continue;
      const path = join(dir, name);
      const data = await this.fs.readFile(path);
      const segment: Segment = { seq, path, size: 0, live: 0, acksFor: new Map() };
      this.segments.push(segment);
      this.nextSeq = Math.max(this.nextSeq, seq + 1);
      const result = scan(data, (type, body, start) => this.replayFrame(segment, type, body, start));
      segment.size = result.good;
      if (result.corruptFrames > 0) {
        corruptFrames += result.corruptFrames;
        corruptBytes += result.corruptBytes;
        this.options.logger.warn({ segment: path, frames: result.corruptFrames, bytes: result.corruptBytes }, 'skipped corrupt or torn frames in a queue segment');
      }
      // Whatever follows the last good frame is a torn or corrupt tail: cut it so appends continue from good data.
      if (result.good < data.length) {
        const file = await this.fs.open(path, 'r+');
        await file.truncate(result.good);
        await file.close();
      }
    }
    if (corruptFrames > 0) {
      this.options.counters?.corruptRecords(corruptFrames);
      this.options.counters?.corruptBytes(corruptBytes);
    }
    for (const r of this.recs.values()) {
      this.recordsCount++;
      this.itemsCount += r.items;
      this.bytesCount += r.bytes;
    }
    this.replayedCount = this.recordsCount;
    if (this.replayedCount > 0) {
      this.options.counters?.replayedRecords(this.replayedCount);
      this.options.logger.info({ directory: dir, records: this.replayedCount, items: this.itemsCount }, 'replaying queued records not acked before the last stop');
    }
    this.kick();
  }

  private replayFrame(segment: Segment, type: number, body: Buffer, start: number): void {
    if (type === HEADER && body.length >= 9) {
      this.nextId = Math.max(this.nextId, getId(body, 1));
    } else if (type === RECORD && body.length >= RECORD_BODY) {
      const id = getId(body, 1);
      const payloadStart = start + RECORD_BODY;
      const bytes = body.length - RECORD_BODY;
      const previous = this.recs.get(id);
      // A compaction copy of a record: the later copy is the one that stays.
      if (previous) {
        previous.segment.live--;
        if (previous.payload) this.cached -= previous.bytes;
      }
      const keep = this.cached + bytes <= this.cacheBytes;
      if (keep) this.cached += bytes;
      this.recs.set(id, {
        id,
        items: body.readUInt32LE(9),
        bytes,
        segment,
        offset: payloadStart,
        payload: keep ? Buffer.from(body.subarray(RECORD_BODY)) : undefined,
        owner: undefined,
      });
      segment.live++;
      this.nextId = Math.max(this.nextId, id + 1);
    } else if (type === ACK) {
      for (let at = 1; at + 8 <= body.length; at += 8) {
        const r = this.recs.get(getId(body, at));
        if (!r) continue;
        this.recs.delete(r.id);
        if (r.payload) this.cached -= r.bytes;
        r.segment.live--;
        if (r.segment !== segment) pushTo(segment.acksFor, r.segment, r.id);
      }
    }
  }

  append(payload: Uint8Array, items: number): Promise<void> {
    if (this.closed) return Promise.reject(new RetryableError('persistent queue is closed'));
    if (payload.length > MAX_BODY - RECORD_BODY) return Promise.reject(new PermanentError(`a record of ${payload.length} bytes is larger than a persistent queue takes (${MAX_BODY - RECORD_BODY})`));
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ id: this.nextId++, items, payload, resolve, reject });
      this.kick();
    });
  }

  take(owner: QueueHandle): StoredRecord | undefined {
    if (this.closed) return undefined;
    for (const r of this.recs.values()) {
      if (r.owner) continue;
      r.owner = owner;
      this.takenCount++;
      return { id: r.id, items: r.items, payload: r.payload ?? this.readPayload(r) };
    }
    return undefined;
  }

  ack(id: number): void {
    const r = this.recs.get(id);
    if (!r) return;
    this.recs.delete(id);
    if (r.owner) this.takenCount--;
    this.recordsCount--;
    this.itemsCount -= r.items;
    this.bytesCount -= r.bytes;
    if (r.payload) this.cached -= r.bytes;
    r.payload = undefined;
    r.segment.live--;
    this.pendingAcks.push(r);
    this.kick();
  }

  release(id: number, owner: QueueHandle): void {
    const r = this.recs.get(id);
    if (r?.owner !== owner) return;
    r.owner = undefined;
    this.takenCount--;
  }

  /** Gives back what a closing handle still holds, so the next handle (or the next run) takes it. */
  releaseAll(owner: QueueHandle): void {
    for (const r of this.recs.values()) if (r.owner === owner) this.release(r.id, owner);
  }

  async closeHandle(): Promise<void> {
    if (--this.handles <= 0) await this.close();
  }

  /** Writes what is pending (acks included) and closes the files; later appends are refused. */
  close(): Promise<void> {
    this.closing ??= this.finish();
    return this.closing;
  }

  /** False from the moment close starts: a new handle then needs a new store (after `close()` settles). */
  get isOpen(): boolean {
    return !this.closed;
  }

  private closing: Promise<void> | undefined;

  private async finish(): Promise<void> {
    this.closed = true;
    // Acks waiting for their flush timer are written now, or they would be replayed at the next open.
    this.kick();
    while (this.writing) await this.writing;
    await this.removing;
    this.finished = true;
    for (const s of this.segments) await s.file?.close();
    if (this.readFd) closeSync(this.readFd.fd);
    this.readFd = undefined;
    await this.fs.unlink(join(this.options.directory, 'LOCK')).catch(() => {});
  }

  private readPayload(r: Rec): Uint8Array {
    if (this.readFd?.path !== r.segment.path) {
      if (this.readFd) closeSync(this.readFd.fd);
      this.readFd = { path: r.segment.path, fd: openSync(r.segment.path, 'r') };
    }
    const buf = Buffer.allocUnsafe(r.bytes);
    readSync(this.readFd.fd, buf, 0, r.bytes, r.offset);
    return buf;
  }

  /**
   * Copies the unacked records of sealed segments that are less than half live into the tail, so
   * those segments are deleted once the copies are written. Record ids stay; replay keeps the later copy.
   */
  compact(): void {
    const tail = this.segments[this.segments.length - 1];
    const liveBytes = new Map<Segment, number>();
    for (const r of this.recs.values()) liveBytes.set(r.segment, (liveBytes.get(r.segment) ?? 0) + r.bytes);
    for (const r of this.recs.values()) {
      if (r.segment === tail || (liveBytes.get(r.segment) ?? 0) * 2 >= r.segment.size) continue;
      this.pending.push({ id: r.id, items: r.items, payload: r.payload ?? this.readPayload(r), copyOf: r, resolve: () => {}, reject: () => {} });
    }
    this.kick();
  }

  /**
   * Starts a group commit unless one is running (which starts the next as it ends). Acks and
   * deletions alone wait for the next append, or ACK_FLUSH_MS: they need no client's answer.
   */
  private kick(): void {
    if (this.writing || this.finished) return;
    const housekeeping = this.pendingAcks.length > 0 || this.deletable().length > 0;
    if (this.pending.length === 0 && !(housekeeping && (this.flushDue || this.closed))) {
      if (housekeeping) this.scheduleFlush();
      return;
    }
    this.flushDue = false;
    this.writing = this.commit().finally(() => {
      this.writing = undefined;
      this.kick();
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.closed) return;
    this.flushScheduled = true;
    this.options.scheduler.schedule(() => {
      this.flushScheduled = false;
      this.flushDue = true;
      this.kick();
    }, ACK_FLUSH_MS);
  }

  private deletable(): Segment[] {
    const tail = this.segments[this.segments.length - 1];
    return this.segments.filter((s) => s !== tail && s.live === 0 && !s.deleting);
  }

  private async commit(): Promise<void> {
    const group = this.pending;
    const acks = this.pendingAcks;
    this.pending = [];
    this.pendingAcks = [];
    const current = this.segments[this.segments.length - 1];
    // A full tail takes no more records; acks alone may still go there.
    const roll = !current || (current.size >= this.segmentBytes && group.length > 0);
    let tail: Segment;
    let file: SegmentFile;
    try {
      tail = roll ? await this.createSegment() : current;
      file = tail.file ??= await this.fs.open(tail.path, 'r+');
    } catch (err) {
      this.failed(group, acks, err);
      return;
    }
    const doomed = this.deletable();
    const buffers: Buffer[] = [];
    let at = tail.size;
    const add = (frameBuffers: Buffer[]) => {
      for (const b of frameBuffers) {
        buffers.push(b);
        at += b.length;
      }
    };
    if (roll) add(frame(HEADER, 9, (b) => putId(b, this.nextId, 1)));
    const placed: { p: Pending; offset: number }[] = [];
    for (const p of group) {
      placed.push({ p, offset: at + FRAME_HEAD + RECORD_BODY });
      add(recordFrame(p.id, p.items, p.payload));
    }
    if (acks.length > 0) add(ackFrame(acks.map((r) => r.id)));
    const carried: { from: Segment; ids: number[] }[] = [];
    for (const s of doomed) {
      for (const [from, ids] of s.acksFor) {
        carried.push({ from, ids });
        add(ackFrame(ids));
      }
    }
    if (buffers.length > 0) {
      try {
        await this.write(file, tail.size, buffers);
        if (this.options.fsync && (group.length > 0 || carried.length > 0 || roll)) {
          await Promise.all([file.datasync(), roll ? this.fs.syncDir(this.options.directory) : undefined]);
        }
      } catch (err) {
        if (roll) await this.discard(tail.path, file);
        else await this.cutBack(tail, file);
        this.failed(group, acks, err);
        return;
      }
      tail.size = at;
    }
    if (roll) {
      if (current) {
        const file = current.file;
        current.file = undefined;
        await file?.close();
      }
      this.segments.push(tail);
    }
    for (const { p, offset } of placed) {
      if (p.copyOf) {
        this.placeCopy(p.copyOf, tail, offset);
        continue;
      }
      const keep = this.cached + p.payload.length <= this.cacheBytes;
      if (keep) this.cached += p.payload.length;
      this.recs.set(p.id, { id: p.id, items: p.items, bytes: p.payload.length, segment: tail, offset, payload: keep ? p.payload : undefined, owner: undefined });
      tail.live++;
      this.recordsCount++;
      this.itemsCount += p.items;
      this.bytesCount += p.payload.length;
    }
    for (const r of acks) if (r.segment !== tail) pushTo(tail.acksFor, r.segment, r.id);
    for (const { from, ids } of carried) for (const id of ids) pushTo(tail.acksFor, from, id);
    for (const { p } of placed) p.resolve();
    if (doomed.length > 0) {
      // Their carried acks are written: deleting them need not hold up the next group.
      for (const s of doomed) s.deleting = true;
      this.removing = this.removing.then(() => this.remove(doomed));
    }
  }

  /** A compaction copy is written: the record now lives in `tail`; one acked meanwhile needs its ack again, after the copy. */
  private placeCopy(original: Rec, tail: Segment, offset: number): void {
    if (this.recs.get(original.id) === original) {
      original.segment.live--;
      original.segment = tail;
      original.offset = offset;
      tail.live++;
      return;
    }
    this.pendingAcks.push({ ...original, segment: tail, offset, payload: undefined, owner: undefined });
  }

  /** The next segment, empty: its header goes with the first group written to it. */
  private async createSegment(): Promise<Segment> {
    const seq = this.nextSeq++;
    const path = join(this.options.directory, segmentName(seq));
    return { seq, path, size: 0, live: 0, acksFor: new Map(), file: await this.fs.open(path, 'wx') };
  }

  /** Writes all of `buffers` at the segment's end, continuing after short writes. */
  private async write(file: SegmentFile, at: number, buffers: Buffer[]): Promise<void> {
    let position = at;
    let rest = buffers;
    while (rest.length > 0) {
      let n = await file.writev(rest.length > IOV_MAX ? rest.slice(0, IOV_MAX) : rest, position);
      if (n <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
      position += n;
      while (rest.length > 0 && n >= rest[0]!.length) n -= rest.shift()!.length;
      if (n > 0) rest = [rest[0]!.subarray(n), ...rest.slice(1)];
    }
  }

  /** Removes a failed write's partial frames. Positioned writes overwrite them anyway; replay would skip them. */
  private async cutBack(tail: Segment, file: SegmentFile): Promise<void> {
    try {
      await file.truncate(tail.size);
    } catch (err) {
      this.options.logger.warn({ segment: tail.path, err }, 'could not truncate a queue segment after a failed write');
    }
  }

  /** A new segment whose first write failed holds nothing: it goes. */
  private async discard(path: string, file: SegmentFile): Promise<void> {
    await file.close().catch(() => {});
    await this.fs.unlink(path).catch(() => {});
  }

  private failed(group: Pending[], acks: Rec[], err: unknown): void {
    this.options.counters?.writeErrors(1);
    const code = errorCode(err);
    const full = code !== undefined && DISK_FULL.has(code);
    const message = full ? `persistent queue disk is full (${code}) in ${this.options.directory}` : `persistent queue write failed: ${(err as Error).message}`;
    this.options.logger.warn({ directory: this.options.directory, code, records: group.length, acks: acks.length }, message);
    const refusal = new RetryableError(message);
    for (const p of group) p.reject(refusal);
    // The acked records are gone from memory already; an ack not written only means a replay, so
    // acks are kept for a later group, or given up once closing.
    if (!this.closed) this.pendingAcks = acks.concat(this.pendingAcks);
  }

  private async remove(doomed: Segment[]): Promise<void> {
    for (const s of doomed) {
      if (this.readFd?.path === s.path) {
        closeSync(this.readFd.fd);
        this.readFd = undefined;
      }
      try {
        await this.fs.unlink(s.path);
      } catch (err) {
        if (errorCode(err) !== 'ENOENT') {
          this.options.logger.warn({ segment: s.path, err }, 'could not delete an acked queue segment');
          if (!this.closed) s.deleting = false;
          this.scheduleFlush();
          continue;
        }
      }
      this.segments.splice(this.segments.indexOf(s), 1);
      for (const other of this.segments) other.acksFor.delete(s);
    }
    if (this.options.fsync) await this.fs.syncDir(this.options.directory).catch(() => {});
  }
}

function pushTo(map: Map<Segment, number[]>, key: Segment, id: number): void {
  const list = map.get(key);
  if (list) list.push(id);
  else map.set(key, [id]);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errorCode(err) === 'EPERM';
  }
}

/** One user of a store: what it has taken is its own until it acks or releases it, or closes. */
class QueueHandle implements PersistentQueue {
  private open = true;

  constructor(private readonly store: QueueStore) {}

  append(payload: Uint8Array, items: number): Promise<void> {
    if (!this.open) return Promise.reject(new RetryableError('persistent queue handle is closed'));
    return this.store.append(payload, items);
  }
  take(): StoredRecord | undefined {
    return this.open ? this.store.take(this) : undefined;
  }
  ack(id: number): void {
    this.store.ack(id);
  }
  release(id: number): void {
    this.store.release(id, this);
  }
  get records(): number {
    return this.store.records;
  }
  get items(): number {
    return this.store.items;
  }
  get bytes(): number {
    return this.store.bytes;
  }
  get available(): number {
    return this.store.available;
  }
  async close(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    this.store.releaseAll(this);
    await this.store.closeHandle();
  }
}
