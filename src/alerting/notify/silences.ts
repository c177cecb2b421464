// Silences as Alertmanager models them: matchers plus a time window. Kept in memory, and in a file
// under `storage` when configured, written after every change so a crash loses little. Writes run
// off the caller's path, one at a time, so an API request never waits on the disk.
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeMatcher, matchesAll, type Matcher } from './matchers.js';

export interface SilenceMatcher {
  name: string;
  value: string;
  isRegex: boolean;
  /** False negates the matcher (!= or !~). */
  isEqual: boolean;
}

export interface SilenceSpec {
  matchers: SilenceMatcher[];
  /** Epoch ms. */
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
}

export interface Silence extends SilenceSpec {
  id: string;
  updatedAt: number;
}

export type SilenceState = 'pending' | 'active' | 'expired';

/** Alertmanager's `--silences.max-silences` and `--silences.max-silence-size-bytes`. */
export interface SilenceLimits {
  /** Pending and active silences; as many expired ones are kept besides, the most recent. */
  maxSilences: number;
  /** Of one silence as JSON, as it is stored. */
  maxSilenceSizeBytes: number;
}

/** A silence refused because it would exceed a limit; the message names the setting. */
export class SilenceLimitError extends Error {}

export interface SilenceStoreOptions {
  limits: SilenceLimits;
  /** Where silences persist; none keeps them in memory only. */
  file?: string;
  /** A write that failed; the silences stay in memory and the next change or save() writes them again. */
  onWriteError: (err: Error) => void;
}

/** Alertmanager's default `--data.retention`: expired silences stay listed this long. */
const EXPIRED_RETENTION_MS = 120 * 3_600_000;
const FILE_VERSION = 1;

export function toMatcher(m: SilenceMatcher): Matcher {
  return makeMatcher(m.name, m.isRegex ? (m.isEqual ? '=~' : '!~') : m.isEqual ? '=' : '!=', m.value);
}

export class SilenceStore {
  private readonly silences = new Map<string, { silence: Silence; matchers: Matcher[] }>();
  readonly file?: string;
  private readonly limits: SilenceLimits;
  private readonly onWriteError: (err: Error) => void;
  /** The write under way, which goes on writing while changes keep arriving. */
  private writing?: Promise<void>;
  private changedSinceWriteStarted = false;

  constructor(
    private readonly now: () => number,
    options: SilenceStoreOptions,
  ) {
    this.file = options.file;
    this.limits = options.limits;
    this.onWriteError = options.onWriteError;
  }

  /** The file a processor's silences live in under a `storage` directory (one file per processor id). */
  static fileIn(directory: string, processorId: string): string {
    return join(directory, `silences-${encodeURIComponent(processorId)}.json`);
  }

  state(s: Silence, now = this.now()): SilenceState {
    if (now < s.startsAt) return 'pending';
    return now < s.endsAt ? 'active' : 'expired';
  }

  /** Reads the file, if there is one; a missing file is an empty store. */
  async load(): Promise<void> {
    if (!this.file) return;
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    let data: { version?: number; silences?: Silence[] };
    try {
      data = JSON.parse(text) as typeof data;
    } catch (err) {
      throw new Error(`${this.file}: not valid JSON (${(err as Error).message}); move it away to start without these silences`);
    }
    if (data.version !== FILE_VERSION || !Array.isArray(data.silences)) throw new Error(`${this.file}: not a silences file of version ${FILE_VERSION}`);
    for (const s of data.silences) this.silences.set(s.id, { silence: s, matchers: s.matchers.map(toMatcher) });
  }

  /**
   * Has the silences written as they are now. While a write is under way this only asks for one
   * more after it, so however many changes arrive, one write runs at a time and the last one has
   * the latest state. Resolves when that write is done or has failed (reported to onWriteError):
   * it never rejects.
   */
  save(): Promise<void> {
    this.collect();
    if (!this.file) return Promise.resolve();
    if (this.writing) {
      this.changedSinceWriteStarted = true;
      return this.writing;
    }
    this.writing = this.writeUntilCurrent(this.file);
    return this.writing;
  }

  /**
   * Adds a silence (its matchers must compile) and returns its id; throws SilenceLimitError when
   * it is too large or max_silences are already pending or active.
   */
  create(spec: SilenceSpec): string {
    const now = this.now();
    const silence = { ...spec, id: randomUUID(), updatedAt: now };
    this.checkSize(silence);
    let unexpired = 0;
    for (const { silence: s } of this.silences.values()) if (this.state(s, now) !== 'expired') unexpired++;
    if (unexpired >= this.limits.maxSilences) {
      throw new SilenceLimitError(`too many silences: ${unexpired} are pending or active, the limit (max_silences) is ${this.limits.maxSilences}; expire one first`);
    }
    this.put(silence);
    return silence.id;
  }

  /** Replaces a silence that has not expired; false when there is none with that id. Throws SilenceLimitError when the new one is too large. */
  update(id: string, spec: SilenceSpec): boolean {
    const existing = this.silences.get(id);
    if (!existing || this.state(existing.silence) === 'expired') return false;
    const silence = { ...spec, id, updatedAt: this.now() };
    this.checkSize(silence);
    this.put(silence);
    return true;
  }

  get(id: string): Silence | undefined {
    return this.silences.get(id)?.silence;
  }

  list(): Silence[] {
    this.collect();
    return [...this.silences.values()].map((e) => e.silence);
  }

  /**
   * Ends a silence now: an active one ends, a pending one never starts. False when there is no
   * such silence or it has already expired.
   */
  expire(id: string): boolean {
    const entry = this.silences.get(id);
    if (!entry) return false;
    const now = this.now();
    const state = this.state(entry.silence, now);
    if (state === 'expired') return false;
    const silence = { ...entry.silence, endsAt: now, updatedAt: now, startsAt: state === 'pending' ? now : entry.silence.startsAt };
    this.silences.set(id, { silence, matchers: entry.matchers });
    void this.save();
    return true;
  }

  /** True when an active silence matches every one of its matchers against `labels`. */
  isSilenced(labels: Readonly<Record<string, string>>): boolean {
    const now = this.now();
    for (const { silence, matchers } of this.silences.values()) {
      if (this.state(silence, now) === 'active' && matchesAll(matchers, labels)) return true;
    }
    return false;
  }

  private put(silence: Silence): void {
    this.silences.set(silence.id, { silence, matchers: silence.matchers.map(toMatcher) });
    void this.save();
  }

  private checkSize(silence: Silence): void {
    const bytes = Buffer.byteLength(JSON.stringify(silence));
    if (bytes > this.limits.maxSilenceSizeBytes) {
      throw new SilenceLimitError(`silence too large: ${bytes} bytes as JSON, the limit (max_silence_size_bytes) is ${this.limits.maxSilenceSizeBytes}; shorten the comment or use fewer matchers`);
    }
  }

  /** Drops expired silences past their retention, and the oldest expired ones beyond max_silences, so memory and the file stay bounded. */
  private collect(): void {
    const now = this.now();
    const cutoff = now - EXPIRED_RETENTION_MS;
    const expired: Silence[] = [];
    for (const [id, { silence }] of this.silences) {
      if (silence.endsAt < cutoff) this.silences.delete(id);
      else if (this.state(silence, now) === 'expired') expired.push(silence);
    }
    const excess = expired.length - this.limits.maxSilences;
    if (excess <= 0) return;
    expired.sort((a, b) => a.endsAt - b.endsAt);
    for (const s of expired.slice(0, excess)) this.silences.delete(s.id);
  }

  private async writeUntilCurrent(file: string): Promise<void> {
    do {
      this.changedSinceWriteStarted = false;
      try {
        await this.write(file);
      } catch (err) {
        this.onWriteError(err as Error);
      }
    } while (this.changedSinceWriteStarted);
    this.writing = undefined;
  }

  /** Atomically (temp file and rename), so a crash never leaves half a file. */
  private async write(file: string): Promise<void> {
    const text = JSON.stringify({ version: FILE_VERSION, silences: [...this.silences.values()].map((e) => e.silence) });
    await mkdir(join(file, '..'), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, text);
    await rename(tmp, file);
  }
}
