// The memory limiter: a periodic check of memory usage on the settings' scheduler decides whether
// envelopes pass or are refused. The decision logic is pure and exported; the processor wires it
// to a memory reader, `global.gc` and the pipeline.
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { Observable, type OperatorFunction, type SchedulerAction, type Subscription } from 'rxjs';
import type { Logger } from 'pino';
import type { CreateSettings, Processor } from '../../pipeline/component.js';
import type { Envelope } from '../../pipeline/envelope.js';
import { anySignalOperator } from '../../pipeline/processor-helper.js';
import { RetryableError } from '../../pipeline/errors.js';
import type { MemoryLimiterConfig } from './config.js';

const MiB = 1024 * 1024;

export interface MemoryLimits {
  /** Bytes. Above it a GC is forced. */
  hard: number;
  /** Bytes: hard minus spike. Above it data is refused. */
  soft: number;
}

/**
 * The limits in bytes; `totalMemory` (bytes) is only used by the percentage style. A limit above
 * V8's own heap limit (`heapLimit`) is lowered to it, spike scaled alike: otherwise V8 would abort
 * with "heap out of memory" before the limiter ever refused anything.
 */
export function memoryLimits(config: MemoryLimiterConfig, totalMemory: number, heapLimit = Infinity): MemoryLimits {
  let hard: number;
  let spike: number;
  if (config.limit_mib > 0) {
    hard = config.limit_mib * MiB;
    spike = config.spike_limit_mib * MiB;
  } else {
    hard = Math.floor((totalMemory * config.limit_percentage) / 100);
    spike = Math.floor((totalMemory * config.spike_limit_percentage) / 100);
  }
  if (spike === 0) spike = Math.floor(hard / 5);
  if (hard > heapLimit) {
    spike = Math.floor((spike * heapLimit) / hard);
    hard = heapLimit;
  }
  return { hard, soft: hard - spike };
}

export type Pressure = 'normal' | 'soft' | 'hard';

export function pressureOf(usage: number, limits: MemoryLimits): Pressure {
  if (usage > limits.hard) return 'hard';
  if (usage > limits.soft) return 'soft';
  return 'normal';
}

/** Whether to force a GC under `pressure`, given when the last forced GC ran (ms, scheduler clock). */
export function shouldCollect(pressure: Pressure, now: number, lastGc: number, config: Pick<MemoryLimiterConfig, 'min_gc_interval_when_soft_limited' | 'min_gc_interval_when_hard_limited'>): boolean {
  if (pressure === 'normal') return false;
  const minInterval = pressure === 'hard' ? config.min_gc_interval_when_hard_limited : config.min_gc_interval_when_soft_limited;
  return now - lastGc >= minInterval;
}

/**
 * Heap used plus memory held outside the heap by Buffers and typed arrays: the closest Node has to
 * the Go runtime's heap alloc that the Collector measures, since both count live allocations
 * rather than what the process has reserved from the OS (RSS).
 */
export function processMemoryUsage(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

const CGROUP_LIMIT_FILES = ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes'];

/** Memory available to the process: the cgroup (v2, then v1) limit when set and below the host's memory. */
export function totalMemory(readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'), hostMemory = totalmem()): number {
  for (const path of CGROUP_LIMIT_FILES) {
    let text: string;
    try {
      text = readFile(path).trim();
    } catch {
      continue;
    }
    // cgroup v1 writes a huge number for "unlimited"; the min with the host's memory covers it.
    const limit = text === 'max' ? Infinity : Number(text);
    if (limit > 0) return Math.min(limit, hostMemory);
  }
  return hostMemory;
}

export interface MemoryLimiterDeps {
  /** Bytes in use now. */
  readMemory?: () => number;
  /** Bytes available to the process, for limit_percentage. */
  totalMemory?: () => number;
  /** V8's heap size limit in bytes (`--max-old-space-size`). */
  heapLimit?: number;
}

type Gc = () => void;

export class MemoryLimiterProcessor implements Processor {
  readonly limits: MemoryLimits;
  private refusing = false;
  private lastUsage = 0;
  private lastGc = -Infinity;
  private warnedNoGc = false;
  private readonly readMemory: () => number;
  private readonly logger: Logger;

  /** One instance serves every pipeline that lists this id, whatever its signal. */
  readonly operator: OperatorFunction<Envelope, Envelope>;

  /** Pipelines currently subscribed: the checks run while any is. */
  private subscribers = 0;
  private timer: Subscription | undefined;

  /** One check now and then every check_interval, however many pipelines share this limiter. */
  private startChecks(): void {
    const interval = this.config.check_interval;
    const check = this.check.bind(this);
    this.check();
    this.timer = this.settings.scheduler.schedule(function (this: SchedulerAction<unknown>) {
      check();
      this.schedule(undefined, interval);
    }, interval);
  }

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: MemoryLimiterConfig,
    deps: MemoryLimiterDeps = {},
  ) {
    this.readMemory = deps.readMemory ?? processMemoryUsage;
    const heapLimit = deps.heapLimit ?? getHeapStatistics().heap_size_limit;
    this.limits = memoryLimits(config, config.limit_percentage > 0 ? (deps.totalMemory ?? totalMemory)() : 0, heapLimit);
    this.logger = settings.logger;
    if (this.limits.hard === heapLimit) {
      this.logger.warn({ heap_limit_mib: toMiB(heapLimit) }, 'Memory limit lowered to V8\'s heap limit; raise --max-old-space-size to use more');
    }
    this.logger.info(
      { limit_mib: toMiB(this.limits.hard), spike_limit_mib: toMiB(this.limits.hard - this.limits.soft), check_interval_ms: config.check_interval },
      'Memory limiter configured',
    );
    const refusing = anySignalOperator(settings, (data) => {
      if (this.refusing) throw this.refusal();
      return data;
    });
    this.operator = (source) =>
      new Observable<Envelope>((subscriber) => {
        if (this.subscribers++ === 0) this.startChecks();
        const subscription = refusing(source).subscribe(subscriber);
        return () => {
          subscription.unsubscribe();
          if (--this.subscribers === 0) this.timer?.unsubscribe();
        };
      });
  }

  /** Whether envelopes are refused now (set by the last check). */
  get isRefusing(): boolean {
    return this.refusing;
  }

  async start(): Promise<void> {}

  async shutdown(): Promise<void> {}

  /** One periodic check: reads usage, forces a GC when allowed, and decides whether to refuse. */
  check(): void {
    let usage: number;
    try {
      usage = this.readMemory();
    } catch (err) {
      this.logger.error({ err }, 'cannot read memory usage; keeping the previous decision');
      return;
    }
    let pressure = pressureOf(usage, this.limits);
    const now = this.settings.scheduler.now();
    if (shouldCollect(pressure, now, this.lastGc, this.config)) {
      const gc = (globalThis as { gc?: Gc }).gc;
      if (gc) {
        const level = pressure === 'hard' ? 'warn' : 'info';
        this.logger[level]({ used_mib: toMiB(usage) }, `Memory usage is above the ${pressure} limit. Forcing a GC.`);
        gc();
        this.lastGc = now;
        try {
          usage = this.readMemory();
        } catch (err) {
          this.logger.error({ err }, 'cannot read memory usage after GC');
        }
        pressure = pressureOf(usage, this.limits);
        this.logger.info({ used_mib: toMiB(usage) }, 'Memory usage after GC.');
      } else if (pressure === 'hard' && !this.warnedNoGc) {
        this.warnedNoGc = true;
        this.logger.warn('Memory usage is above the hard limit but no GC can be forced: start node with --expose-gc');
      }
    }
    this.lastUsage = usage;
    const refuse = pressure !== 'normal';
    if (refuse && !this.refusing) {
      this.logger.warn({ used_mib: toMiB(usage), soft_limit_mib: toMiB(this.limits.soft) }, 'Memory usage is above the soft limit. Refusing data.');
    } else if (!refuse && this.refusing) {
      this.logger.info({ used_mib: toMiB(usage) }, 'Memory usage back within limits. Resuming normal operation.');
    }
    this.refusing = refuse;
  }

  private refusal(): RetryableError {
    return new RetryableError(`memory usage is above the soft limit (${toMiB(this.lastUsage)} MiB used, soft limit ${toMiB(this.limits.soft)} MiB); data refused`, this.config.check_interval);
  }
}

function toMiB(bytes: number): number {
  return Math.round(bytes / MiB);
}
