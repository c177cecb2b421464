// Go's text/template builtins (funcs.go) and Prometheus's template functions (template/template.go),
// with Go's argument checks and error texts.
import {
  NIL,
  compareBytes,
  formatFloat,
  formatValue,
  goBool,
  goFloat,
  goInt,
  goString,
  goTypeName,
  sprint,
  sprintf,
  sprintln,
  type GoValue,
} from '../../gofmt.js';
import { parsePromDuration } from '../../promql/parser.js';

export interface TemplateData {
  labels: Record<string, string>;
  externalLabels: Record<string, string>;
  externalURL: string;
  value: number;
}

/** A function as Go's template sees it: parameter types (for argument checks) and a body. */
interface GoFunc {
  params: ParamType[];
  variadic?: ParamType;
  builtin?: boolean;
  call(args: GoValue[], data: TemplateData): GoValue;
}

export type ParamType = 'string' | 'any';

export class CallError extends Error {}

export function truth(v: GoValue): boolean {
  switch (v.kind) {
    case 'nil':
      return false;
    case 'string':
      return v.value.length > 0;
    case 'map':
      return v.value.size > 0;
    case 'bool':
      return v.value;
    case 'float64':
    case 'int':
    case 'uint8':
      return v.value !== 0;
    default:
      return true;
  }
}

function toFloat(v: GoValue): number {
  switch (v.kind) {
    case 'float64':
    case 'int':
    case 'uint8':
      return v.value;
    case 'string': {
      const f = parseGoFloat(v.value);
      if (f === undefined) throw new CallError(`strconv.ParseFloat: parsing ${JSON.stringify(v.value)}: invalid syntax`);
      return f;
    }
    default:
      throw new CallError(`can't convert ${goTypeName(v)} to float`);
  }
}

function parseGoFloat(s: string): number | undefined {
  const t = s.replace(/_/g, '');
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(t)) return NaN;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) || /^[+-]?0[xX][0-9a-fA-F]+$/.test(t)) return Number(t.startsWith('+') ? t.slice(1) : t.replace(/^-0x/i, '-0x'));
  return undefined;
}

const g4 = (v: number) => formatFloat(v, 'g', 4);

function humanize(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return g4(v);
  if (Math.abs(v) >= 1) {
    let prefix = '';
    for (const p of ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y']) {
      if (Math.abs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
    return g4(v) + prefix;
  }
  let prefix = '';
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return g4(v) + prefix;
}

function humanize1024(v: number): string {
  if (Math.abs(v) <= 1 || !Number.isFinite(v)) return g4(v);
  let prefix = '';
  for (const p of ['ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi']) {
    if (Math.abs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return g4(v) + prefix;
}

function humanizeDuration(v: number): string {
  if (!Number.isFinite(v)) return g4(v);
  if (v === 0) return g4(v) + 's';
  if (Math.abs(v) >= 1) {
    const sign = v < 0 ? '-' : '';
    v = Math.abs(v);
    const total = Math.trunc(v);
    const seconds = total % 60;
    const minutes = Math.trunc(total / 60) % 60;
    const hours = Math.trunc(total / 3600) % 24;
    const days = Math.trunc(total / 86400);
    if (days) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`;
    if (hours) return `${sign}${hours}h ${minutes}m ${seconds}s`;
    if (minutes) return `${sign}${minutes}m ${seconds}s`;
    return `${sign}${g4(v)}s`;
  }
  let prefix = '';
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return `${g4(v)}${prefix}s`;
}

/** Prometheus keeps millisecond precision and refuses what int64 nanoseconds cannot hold. */
function floatToTime(v: number): GoValue {
  if (v * 1e9 < -9223372036854775808 || v * 1e9 > 9223372036854775807) throw new CallError(`${formatValue(goFloat(v))} cannot be represented as a nanoseconds timestamp since it overflows int64`);
  return { kind: 'time', ms: Math.trunc(Math.trunc(v * 1e9) / 1e6) };
}

/** Go's regexp (RE2) syntax, as far as JavaScript can express it. */
function goRegExp(pattern: string, global = false): RegExp {
  let flags = global ? 'gu' : 'u';
  let src = pattern;
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  if (lead) {
    src = src.slice(lead[0].length);
    for (const f of lead[1]!) if (f !== 'U' && !flags.includes(f)) flags += f;
  }
  src = src.replace(/\(\?P</g, '(?<').replace(/\\z/g, '$(?![\\s\\S])');
  try {
    return new RegExp(src, flags);
  } catch (e) {
    throw new CallError(`error parsing regexp: ${(e as Error).message}`);
  }
}

/** Regexp.Expand's template syntax: $1, ${1}, $name, ${name}, $$. */
function expandReplacement(template: string, groups: (string | undefined)[], named: Record<string, string | undefined> | undefined): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c !== '$') {
      out += c;
      continue;
    }
    if (template[i + 1] === '$') {
      out += '$';
      i++;
      continue;
    }
    let name: string | undefined;
    let end = i + 1;
    if (template[i + 1] === '{') {
      const close = template.indexOf('}', i + 2);
      const inner = close < 0 ? '' : template.slice(i + 2, close);
      if (/^\w+$/.test(inner)) {
        name = inner;
        end = close + 1;
      }
    } else {
      const m = /^\w+/.exec(template.slice(i + 1));
      if (m) {
        name = m[0];
        end = i + 1 + m[0].length;
      }
    }
    if (name === undefined) {
      out += '$';
      continue;
    }
    if (/^\d+$/.test(name)) out += groups[Number(name)] ?? '';
    else out += named?.[name] ?? '';
    i = end - 1;
  }
  return out;
}

/** net.SplitHostPort's host, or the input when it is not host:port. */
function stripPort(hostport: string): string {
  let host: string;
  if (hostport.startsWith('[')) {
    const close = hostport.indexOf(']');
    if (close < 0 || hostport[close + 1] !== ':') return hostport;
    host = hostport.slice(1, close);
    if (host.includes('[') || host.includes(']')) return hostport;
    if (hostport.slice(close + 2).includes(':') || hostport.slice(close + 2).includes('[') || hostport.slice(close + 2).includes(']')) return hostport;
    return host;
  }
  const colon = hostport.lastIndexOf(':');
  if (colon < 0) return hostport;
  host = hostport.slice(0, colon);
  if (host.includes(':') || host.includes('[') || host.includes(']')) return hostport;
  const port = hostport.slice(colon + 1);
  if (port.includes('[') || port.includes(']')) return hostport;
  return host;
}

/** strings.Title: upper-cases letters that follow a separator (space, or ASCII punctuation). */
function title(s: string): string {
  let prev = ' ';
  let out = '';
  for (const ch of s) {
    const sep = prev.codePointAt(0)! < 0x80 ? !/[A-Za-z0-9_]/.test(prev) : /\s/u.test(prev);
    out += sep ? toUpperRune(ch) : ch;
    prev = ch;
  }
  return out;
}

// Go maps rune by rune; JavaScript's multi-character mappings (ß → SS) have no Go equivalent.
const toUpperRune = (ch: string) => {
  const u = ch.toUpperCase();
  return [...u].length === 1 ? u : ch;
};
const toLowerRune = (ch: string) => {
  const l = ch.toLowerCase();
  return [...l].length === 1 ? l : ch;
};

const str = (v: GoValue) => (v as { value: string }).value;

function urlQueryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/%20/g, '+')
    .replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

type Kind = 'bool' | 'int' | 'uint' | 'float' | 'string' | 'other' | 'invalid';
function basicKind(v: GoValue): Kind {
  switch (v.kind) {
    case 'bool':
      return 'bool';
    case 'int':
      return 'int';
    case 'uint8':
      return 'uint';
    case 'float64':
      return 'float';
    case 'string':
      return 'string';
    case 'nil':
      return 'invalid';
    default:
      return 'other';
  }
}

function eq(a: GoValue, others: GoValue[]): boolean {
  if (others.length === 0) throw new CallError('missing argument for comparison');
  const k1 = basicKind(a);
  for (const b of others) {
    const k2 = basicKind(b);
    let t = false;
    if (k1 !== k2) {
      if ((k1 === 'int' && k2 === 'uint') || (k1 === 'uint' && k2 === 'int')) t = (a as { value: number }).value === (b as { value: number }).value;
      else if (a.kind !== 'nil' && b.kind !== 'nil') throw new CallError('incompatible types for comparison');
    } else if (k1 === 'other') {
      throw new CallError(`non-comparable type ${formatValue(b)}: ${goTypeName(b)}`);
    } else if (k1 === 'invalid') {
      t = true;
    } else t = (a as { value: unknown }).value === (b as { value: unknown }).value;
    if (t) return true;
  }
  return false;
}

function lt(a: GoValue, b: GoValue): boolean {
  const k1 = basicKind(a);
  const k2 = basicKind(b);
  if (k1 === 'other' || k1 === 'invalid' || k2 === 'other' || k2 === 'invalid') throw new CallError('invalid type for comparison');
  if (k1 !== k2) {
    if ((k1 === 'int' && k2 === 'uint') || (k1 === 'uint' && k2 === 'int')) return (a as { value: number }).value < (b as { value: number }).value;
    throw new CallError('incompatible types for comparison');
  }
  if (k1 === 'bool') throw new CallError('invalid type for comparison');
  if (k1 === 'string') return compareBytes(str(a), str(b)) < 0;
  return (a as { value: number }).value < (b as { value: number }).value;
}

const fn = (params: ParamType[], call: GoFunc['call'], variadic?: ParamType): GoFunc => ({ params, call, variadic });
const builtin = (params: ParamType[], call: GoFunc['call'], variadic?: ParamType): GoFunc => ({ params, call, variadic, builtin: true });
const stringFn = (f: (s: string) => string) => fn(['string'], ([s]) => goString(f(str(s!))));

export const FUNCTIONS: Record<string, GoFunc> = {
  and: builtin(['any'], () => NIL, 'any'),
  or: builtin(['any'], () => NIL, 'any'),
  not: builtin(['any'], ([a]) => goBool(!truth(a!))),
  len: builtin(['any'], ([a]) => {
    if (a!.kind === 'string') return goInt(Buffer.byteLength(a!.value));
    if (a!.kind === 'map') return goInt(a!.value.size);
    throw new CallError(`len of type ${goTypeName(a!)}`);
  }),
  index: builtin(
    ['any'],
    ([item, ...indexes]) => {
      let cur = item!;
      if (cur.kind === 'nil') throw new CallError('index of untyped nil');
      for (const idx of indexes) {
        if (cur.kind === 'map') {
          if (idx.kind === 'nil') throw new CallError('value is nil; should be of type string');
          if (idx.kind !== 'string' || idx.type) throw new CallError(`value has type ${goTypeName(idx)}; should be string`);
          cur = cur.value.get(idx.value) ?? (cur.elem === 'string' ? goString('') : NIL);
        } else if (cur.kind === 'string') {
          if (idx.kind === 'nil') throw new CallError('cannot index slice/array with nil');
          if (idx.kind !== 'int' && idx.kind !== 'uint8') throw new CallError(`cannot index slice/array with type ${goTypeName(idx)}`);
          const bytes: Buffer = Buffer.from(cur.value);
          if (idx.value < 0 || idx.value > bytes.length) throw new CallError(`index out of range: ${idx.value}`);
          if (idx.value === bytes.length) throw new CallError('reflect: string index out of range');
          cur = { kind: 'uint8', value: bytes[idx.value]! };
        } else throw new CallError(`can't index item of type ${goTypeName(cur)}`);
      }
      return cur;
    },
    'any',
  ),
  print: builtin([], (args) => goString(sprint(args)), 'any'),
  printf: builtin(['string'], ([f, ...args]) => goString(sprintf(str(f!), args)), 'any'),
  println: builtin([], (args) => goString(sprintln(args)), 'any'),
  eq: builtin(['any'], ([a, ...rest]) => goBool(eq(a!, rest)), 'any'),
  ne: builtin(['any', 'any'], ([a, b]) => goBool(!eq(a!, [b!]))),
  lt: builtin(['any', 'any'], ([a, b]) => goBool(lt(a!, b!))),
  le: builtin(['any', 'any'], ([a, b]) => goBool(lt(a!, b!) || eq(a!, [b!]))),
  gt: builtin(['any', 'any'], ([a, b]) => goBool(!(lt(a!, b!) || eq(a!, [b!])))),
  ge: builtin(['any', 'any'], ([a, b]) => goBool(!lt(a!, b!))),
  urlquery: builtin([], (args) => goString(urlQueryEscape(sprint(args))), 'any'),

  humanize: fn(['any'], ([v]) => goString(humanize(toFloat(v!)))),
  humanize1024: fn(['any'], ([v]) => goString(humanize1024(toFloat(v!)))),
  humanizeDuration: fn(['any'], ([v]) => goString(humanizeDuration(toFloat(v!)))),
  humanizePercentage: fn(['any'], ([v]) => goString(g4(toFloat(v!) * 100) + '%')),
  humanizeTimestamp: fn(['any'], ([v]) => {
    const f = toFloat(v!);
    if (!Number.isFinite(f)) return goString(g4(f));
    return goString(formatValue(floatToTime(f)));
  }),
  toTime: fn(['any'], ([v]) => floatToTime(toFloat(v!))),
  toUpper: stringFn((s) => [...s].map(toUpperRune).join('')),
  toLower: stringFn((s) => [...s].map(toLowerRune).join('')),
  title: stringFn(title),
  stripPort: stringFn(stripPort),
  match: fn(['string', 'string'], ([re, s]) => goBool(goRegExp(str(re!)).test(str(s!)))),
  reReplaceAll: fn(['string', 'string', 'string'], ([re, repl, text]) =>
    goString(str(text!).replace(goRegExp(str(re!), true), (...m: unknown[]) => {
      const named = typeof m[m.length - 1] === 'object' ? (m[m.length - 1] as Record<string, string | undefined>) : undefined;
      const groupCount = m.length - (named ? 3 : 2);
      return expandReplacement(str(repl!), m.slice(0, groupCount) as (string | undefined)[], named);
    })),
  ),
  safeHtml: fn(['string'], ([s]) => ({ kind: 'string', value: str(s!), type: 'template.HTML' })),
  args: fn([], (args) => ({ kind: 'map', elem: 'interface {}', value: new Map(args.map((a, i) => [`arg${i}`, a])) }), 'any'),
  externalURL: fn([], (_, data) => goString(data.externalURL)),
  pathPrefix: fn([], (_, data) => {
    try {
      return goString(new URL(data.externalURL).pathname.replace(/^\/$/, ''));
    } catch {
      return goString('');
    }
  }),
  graphLink: stringFn((expr) => `/graph?g0.expr=${urlQueryEscape(expr)}&g0.tab=0`),
  tableLink: stringFn((expr) => `/graph?g0.expr=${urlQueryEscape(expr)}&g0.tab=1`),
  parseDuration: fn(['string'], ([d]) => {
    let ms: number;
    try {
      ms = parsePromDuration(str(d!));
    } catch {
      throw new CallError(`not a valid duration string: ${JSON.stringify(str(d!))}`);
    }
    return goFloat(ms / 1000);
  }),
};
