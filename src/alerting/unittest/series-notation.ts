// The expanding notation of promtool's `input_series[].values`: whitespace-separated items, each
// one sample (`1.5`, `-Inf`, `stale`, `_`) or a run (`a+bxn` and `a-bxn`: n+1 samples stepping
// by b; `axn`: n+1 copies of a; `_xn`: n missing samples). The accepted forms and their quirks
// (octal `017`, repeated addition so `0.1+0.1x2` ends on 0.30000000000000004) are those of
// Prometheus 2.42, checked against its promtool.

/** One scrape in the series: a value, a staleness marker, or no sample at all. */
export type SeriesPoint = { kind: 'value'; value: number } | { kind: 'stale' } | { kind: 'missing' };

export class SeriesNotationError extends Error {
  /** 1-based column in the values string. */
  readonly column: number;
  constructor(
    message: string,
    /** 0-based offset of the offending character in the values string. */
    readonly position: number,
  ) {
    super(`column ${position + 1}: ${message}`);
    this.name = 'SeriesNotationError';
    this.column = position + 1;
  }
}

const WHITESPACE = /[ \t\r\n]/;
// Go's lexer scans these as one number: digits, at most one dot, an optional exponent.
const NUMBER = /^(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/;
const WORD = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/** Parses a values string into its points, one per interval from time 0. */
export function parseSeriesValues(text: string): SeriesPoint[] {
  const points: SeriesPoint[] = [];
  let i = 0;
  while (i < text.length) {
    if (WHITESPACE.test(text[i]!)) {
      i++;
      continue;
    }
    let end = i;
    while (end < text.length && !WHITESPACE.test(text[end]!)) end++;
    parseItem(text.slice(i, end), i, points);
    i = end;
  }
  return points;
}

function parseItem(item: string, offset: number, points: SeriesPoint[]): void {
  if (item === '_' || item.startsWith('_x')) {
    if (item === '_') {
      points.push({ kind: 'missing' });
      return;
    }
    const count = repetition(item, 2, offset);
    for (let n = 0; n < count; n++) points.push({ kind: 'missing' });
    return;
  }
  if (item.startsWith('_')) throw new SeriesNotationError(`unexpected ${describeChar(item[1]!)} after "_" (write "_" or "_xN")`, offset + 1);
  if (item === 'stale') {
    points.push({ kind: 'stale' });
    return;
  }
  const start = readValue(item, 0, offset, true);
  let pos = start.end;
  if (pos === item.length) {
    points.push({ kind: 'value', value: start.value });
    return;
  }
  let step = 0;
  const c = item[pos]!;
  if (c === '+' || c === '-') {
    const inc = readValue(item, pos + 1, offset, false);
    step = c === '+' ? inc.value : -inc.value;
    pos = inc.end;
    if (pos === item.length) throw new SeriesNotationError(`"${item}" needs a repetition count: write "${item}xN"`, offset + pos);
  }
  if (item[pos] !== 'x') throw new SeriesNotationError(`unexpected ${describeChar(item[pos]!)} in "${item}"`, offset + pos);
  const count = repetition(item, pos + 1, offset);
  let value = start.value;
  for (let n = 0; n <= count; n++) {
    points.push({ kind: 'value', value });
    value += step;
  }
}

/**
 * A number at `pos`: signed (when `signed`), decimal with optional exponent, or `Inf`/`NaN` in
 * any case. Returns where it ends.
 */
function readValue(item: string, pos: number, offset: number, signed: boolean): { value: number; end: number } {
  let sign = 1;
  let at = pos;
  if (signed && (item[at] === '+' || item[at] === '-')) {
    if (item[at] === '-') sign = -1;
    at++;
  }
  const rest = item.slice(at);
  if (rest === '') throw new SeriesNotationError(`"${item}" ends where a number should follow`, offset + at);
  const word = WORD.exec(rest);
  if (word) {
    const lower = word[0].toLowerCase();
    // "Infx3" is one identifier to Prometheus's lexer, so an identifier value cannot repeat.
    if (lower === 'inf') return { value: sign * Infinity, end: at + 3 };
    if (lower === 'nan') return { value: NaN, end: at + 3 };
    if (word[0] === 'stale') throw new SeriesNotationError('"stale" cannot be repeated or combined', offset + at);
    throw new SeriesNotationError(`unexpected identifier "${word[0]}", expected a number, "stale" or "_"`, offset + at);
  }
  const num = NUMBER.exec(rest);
  if (!num) throw new SeriesNotationError(`unexpected ${describeChar(rest[0]!)}, expected a number`, offset + at);
  const end = at + num[0].length;
  if (end < item.length && /[0-9a-zA-Z_.]/.test(item[end]!) && item[end] !== 'x') {
    throw new SeriesNotationError(`bad number syntax "${item.slice(at, end + 1)}"`, offset + end);
  }
  return { value: sign * numberValue(num[0]), end };
}

/** Go parses integer literals with base prefixes first, so a leading 0 makes `017` octal (15). */
function numberValue(literal: string): number {
  if (/^0[0-7]+$/.test(literal)) return parseInt(literal, 8);
  return Number(literal);
}

function repetition(item: string, pos: number, offset: number): number {
  const digits = item.slice(pos);
  if (digits === '') throw new SeriesNotationError(`"${item}" needs a repetition count after "x"`, offset + pos);
  if (!/^[0-9]+$/.test(digits)) {
    const bad = digits.search(/[^0-9]/);
    throw new SeriesNotationError(`invalid repetition count "${digits}" (a whole number of samples)`, offset + pos + Math.max(bad, 0));
  }
  return Number(digits);
}

function describeChar(c: string): string {
  return JSON.stringify(c);
}
