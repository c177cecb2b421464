// Silences as Alertmanager models them: matchers plus a time window. Kept in memory, and in a file
// under `storage` when configured, written on every change so a crash loses nothing acknowledged.
import { randomUUID } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
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

/** Alertmanager's default `--data.retention`: expired silences stay listed this long. */
const EXPIRED_RETENTION_MS = 120 * 3_600_000;
const FILE_VERSION = 1;

export function toMatcher(m: SilenceMatcher): Matcher {
  return makeMatcher(m.name, m.isRegex ? (m.isEqual ? '=~' : '!~') : m.isEqual ? '=' : '!=', m.value);
}

export class SilenceStore {
  private readonly silences = new Map<string, { silence: Silence; matchers: Matcher[] }>();

  constructor(
    private readonly now: () => number,
    /** Where silences persist; none keeps them in memory only. */
    readonly file?: string,
  ) {}

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

  /** Writes every silence atomically (temp file and rename), so a crash never leaves half a file. */
  save(): void {
    if (!this.file) return;
    this.collect();
    const dir = join(this.file, '..');
    mkdirSync(dir, { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ version: FILE_VERSION, silences: [...this.silences.values()].map((e) => e.silence) }));
    renameSync(tmp, this.file);
  }

  /** Adds a silence (its matchers must compile) and returns its id. */
  create(spec: SilenceSpec): string {
    const id = randomUUID();
    this.put({ ...spec, id, updatedAt: this.now() });
    return id;
  }

  /** Replaces a silence that has not expired; false when there is none with that id. */
  update(id: string, spec: SilenceSpec): boolean {
    const existing = this.silences.get(id);
    if (!existing || this.state(existing.silence) === 'expired') return false;
    this.put({ ...spec, id, updatedAt: this.now() });
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
    this.save();
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
    this.save();
  }

  private collect(): void {
    const cutoff = this.now() - EXPIRED_RETENTION_MS;
    for (const [id, { silence }] of this.silences) if (silence.endsAt < cutoff) this.silences.delete(id);
  }
}
