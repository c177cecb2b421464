// A small schema language for component configs: it validates, fills defaults, and reports every
// problem with its path so the loader can add file, line and column.
export interface SourcePosition {
  file?: string;
  line: number;
  column: number;
}

export interface ConfigIssue {
  severity: 'error' | 'warning';
  /** Dotted path, e.g. `exporters.otlp/tempo.endpoint` or `service.pipelines.traces.receivers[1]`. */
  path: string;
  message: string;
  position?: SourcePosition;
}

export type Path = readonly (string | number)[];

export function formatPath(path: Path): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${p}` : p;
  }
  return out;
}

export interface ValidationContext {
  issues: ConfigIssue[];
  /** Where a path came from in the source files, when known. */
  locate?(path: Path): SourcePosition | undefined;
  /** Where the key of the entry at `path` is written, for problems with the key itself. */
  locateKey?(path: Path): SourcePosition | undefined;
}

export function report(ctx: ValidationContext, path: Path, message: string, severity: ConfigIssue['severity'] = 'error'): void {
  ctx.issues.push({ severity, path: formatPath(path), message, position: ctx.locate?.(path) });
}

/** Like `report`, positioned at the key of the entry rather than at its value. */
export function reportAtKey(ctx: ValidationContext, path: Path, message: string, severity: ConfigIssue['severity'] = 'error'): void {
  const position = ctx.locateKey?.(path) ?? ctx.locate?.(path);
  ctx.issues.push({ severity, path: formatPath(path), message, position });
}

/** Errors recorded so far: a warning under a value must not make the value (or its parents) invalid. */
export function errorCount(ctx: ValidationContext): number {
  let n = 0;
  for (const i of ctx.issues) if (i.severity === 'error') n++;
  return n;
}

type Check<T> = (value: unknown, ctx: ValidationContext, path: Path) => T | undefined;
/** What an absent value becomes: a default, a "missing" error, or nothing. */
type Absent<T> = (ctx: ValidationContext, path: Path) => T | undefined;

const ABSENT_IS_FINE: Absent<never> = () => undefined;

export class Schema<T> {
  constructor(
    /** What the value must be, in words, for error messages and docs. */
    readonly expected: string,
    private readonly check: Check<T>,
    private readonly absent: Absent<T> = ABSENT_IS_FINE,
    /** How an explicit YAML null (`grpc:` with nothing after it) is read; by default like absence. */
    private readonly nullValue?: Absent<T>,
  ) {}

  /** Validates `value`; on failure records issues and returns undefined. */
  parse(value: unknown, ctx: ValidationContext, path: Path = []): T | undefined {
    if (value === null && this.nullValue) return this.nullValue(ctx, path);
    if (value === undefined || value === null) return this.absent(ctx, path);
    return this.check(value, ctx, path);
  }

  default(v: T | (() => T)): Schema<T> {
    const make = typeof v === 'function' ? (v as () => T) : () => structuredCloneSafe(v);
    return new Schema(this.expected, this.check, make);
  }

  /** Absence is an error. */
  required(): Schema<T> {
    return new Schema(this.expected, this.check, (ctx, path) => {
      report(ctx, path, `missing required key "${String(path[path.length - 1])}" (${this.expected})`);
      return undefined;
    });
  }

  /**
   * A section that is off when its key is absent and on with defaults when written with no value,
   * as the Collector reads `protocols: { grpc: }`.
   */
  presence(): Schema<T | undefined> {
    return new Schema<T | undefined>(this.expected, this.check, ABSENT_IS_FINE, this.absent);
  }

  /** The value may be absent (no default). */
  optional(): Schema<T | undefined> {
    return new Schema<T | undefined>(this.expected, this.check);
  }

  /** Adds a further check on an already well-typed value (defaults included). */
  refine(test: (v: T) => string | undefined): Schema<T> {
    const tested =
      <A extends Check<T> | Absent<T>>(inner: A) =>
      (...args: unknown[]): T | undefined => {
        const ctx = args[args.length - 2] as ValidationContext;
        const path = args[args.length - 1] as Path;
        const v = (inner as (...a: unknown[]) => T | undefined)(...args);
        if (v === undefined) return undefined;
        const problem = test(v);
        if (problem) {
          report(ctx, path, problem);
          return undefined;
        }
        return v;
      };
    return new Schema(this.expected, tested(this.check) as Check<T>, tested(this.absent) as Absent<T>);
  }
}

function structuredCloneSafe<T>(v: T): T {
  return v !== null && typeof v === 'object' ? (structuredClone(v) as T) : v;
}

/** A value in words for error messages: "a map", "a list", `string "x"`. */
export function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value !== null && typeof value === 'object') return 'a map';
  return `${typeof value} ${JSON.stringify(value)}`;
}

function typeError(ctx: ValidationContext, path: Path, expected: string, value: unknown): undefined {
  report(ctx, path, `expected ${expected}, got ${describe(value)}`);
  return undefined;
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a Go duration ("1m30s", "200ms") into milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let i = 0;
  while (i < s.length) {
    re.lastIndex = i;
    const m = re.exec(s);
    if (!m) return undefined;
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    i = re.lastIndex;
  }
  return s.length > 0 ? total : undefined;
}

export const s = {
  string(): Schema<string> {
    return new Schema('a string', (v, ctx, path) => {
      if (typeof v === 'string') return v;
      // YAML scalars such as 8080 or true are strings to the Collector when a string is expected.
      if (typeof v === 'number' || typeof v === 'boolean') return String(v);
      return typeError(ctx, path, 'a string', v);
    });
  },

  bool(): Schema<boolean> {
    return new Schema('a boolean', (v, ctx, path) => {
      if (typeof v === 'boolean') return v;
      if (v === 'true' || v === 'false') return v === 'true';
      return typeError(ctx, path, 'a boolean (true or false)', v);
    });
  },

  number(opts: { min?: number; max?: number; integer?: boolean } = {}): Schema<number> {
    const what = `${opts.integer ? 'an integer' : 'a number'}${opts.min !== undefined ? ` >= ${opts.min}` : ''}${opts.max !== undefined ? ` <= ${opts.max}` : ''}`;
    return new Schema(what, (v, ctx, path) => {
      const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
      if (typeof n !== 'number' || Number.isNaN(n)) return typeError(ctx, path, what, v);
      if ((opts.integer && !Number.isInteger(n)) || (opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max)) {
        return typeError(ctx, path, what, v);
      }
      return n;
    });
  },

  int(opts: { min?: number; max?: number } = {}): Schema<number> {
    return s.number({ ...opts, integer: true });
  },

  /** A Go-style duration string; the result is in milliseconds. Bare numbers are nanoseconds, as in the Collector. */
  duration(): Schema<number> {
    const what = 'a duration such as "5s", "200ms" or "1m30s"';
    return new Schema(what, (v, ctx, path) => {
      if (typeof v === 'number' && v >= 0) return v / 1e6;
      if (typeof v === 'string') {
        const ms = parseDuration(v);
        if (ms !== undefined) return ms;
      }
      return typeError(ctx, path, what, v);
    });
  },

  enum<const E extends string>(values: readonly E[]): Schema<E> {
    const what = `one of ${values.map((x) => `"${x}"`).join(', ')}`;
    return new Schema(what, (v, ctx, path) => {
      if (typeof v === 'string' && (values as readonly string[]).includes(v)) return v as E;
      return typeError(ctx, path, what, v);
    });
  },

  list<T>(item: Schema<T>): Schema<T[]> {
    return new Schema(`a list of ${item.expected}`, (v, ctx, path) => {
      if (!Array.isArray(v)) return typeError(ctx, path, `a list of ${item.expected}`, v);
      const before = errorCount(ctx);
      const out = v.map((x, i) => item.parse(x, ctx, [...path, i]));
      return errorCount(ctx) === before ? (out as T[]) : undefined;
    });
  },

  /** A map with free keys and uniform values (headers, labels). */
  map<T>(value: Schema<T>): Schema<Record<string, T>> {
    return new Schema(`a map of ${value.expected}`, (v, ctx, path) => {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return typeError(ctx, path, `a map of ${value.expected}`, v);
      const before = errorCount(ctx);
      const out: Record<string, T> = {};
      for (const [k, x] of Object.entries(v)) out[k] = value.parse(x, ctx, [...path, k]) as T;
      return errorCount(ctx) === before ? out : undefined;
    });
  },

  /** A map with known keys: unknown keys are errors that name the key and list what is allowed. */
  object<F extends Record<string, Schema<unknown>>>(fields: F): Schema<{ [K in keyof F]: F[K] extends Schema<infer T> ? T : never }> {
    type Out = { [K in keyof F]: F[K] extends Schema<infer T> ? T : never };
    const parseObject = (v: unknown, ctx: ValidationContext, path: Path): Out | undefined => {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return typeError(ctx, path, 'a map', v);
      const before = errorCount(ctx);
      const input = v as Record<string, unknown>;
      for (const key of Object.keys(input)) {
        if (!(key in fields)) {
          const allowed = Object.keys(fields);
          reportAtKey(ctx, [...path, key], `unknown key "${key}"${allowed.length ? ` (expected one of: ${allowed.join(', ')})` : ' (this component takes no settings)'}`);
        }
      }
      const out: Record<string, unknown> = {};
      for (const [key, schema] of Object.entries(fields)) {
        const parsed = schema.parse(input[key], ctx, [...path, key]);
        if (parsed !== undefined) out[key] = parsed;
      }
      return errorCount(ctx) === before ? (out as Out) : undefined;
    };
    // An absent section of known keys is the section with every default filled in, and with an
    // error for each required key it lacks.
    return new Schema<Out>('a map', parseObject, (ctx, path) => parseObject({}, ctx, path));
  },

  /** Anything; for values passed through untouched. */
  any(): Schema<unknown> {
    return new Schema('any value', (v) => v);
  },
};

export type Infer<S> = S extends Schema<infer T> ? T : never;
