// Go's fmt and strconv formatting, the one copy that alert templates, PromQL results and errors,
// the rule unit-test runner and the rules API all print through. What they print is compared byte
// for byte with what Prometheus writes, so rounding (ties to even on the exact binary value),
// exponent forms, quoting and fmt's error notations (%!d(string=x)) follow Go rather than JavaScript.

/** A value as Go's reflection sees it, limited to the types alert templates produce. */
export type GoValue =
  | { kind: 'string'; value: string; type?: 'template.HTML' }
  | { kind: 'float64'; value: number }
  | { kind: 'int'; value: number }
  | { kind: 'uint8'; value: number }
  | { kind: 'bool'; value: boolean }
  /** An invalid reflect.Value or a nil interface: what missing values and `nil` become. */
  | { kind: 'nil' }
  | { kind: 'map'; elem: 'string' | 'interface {}'; value: Map<string, GoValue> }
  | { kind: 'struct'; typeName: string; fields: [string, GoValue][] }
  | { kind: 'time'; ms: number };

export const goString = (value: string): GoValue => ({ kind: 'string', value });
export const goFloat = (value: number): GoValue => ({ kind: 'float64', value });
export const goInt = (value: number): GoValue => ({ kind: 'int', value });
export const goBool = (value: boolean): GoValue => ({ kind: 'bool', value });
export const NIL: GoValue = { kind: 'nil' };

export function goTypeName(v: GoValue): string {
  switch (v.kind) {
    case 'string':
      return v.type ?? 'string';
    case 'map':
      return `map[string]${v.elem}`;
    case 'struct':
      return v.typeName;
    case 'time':
      return '*time.Time';
    case 'nil':
      return '<nil>';
    default:
      return v.kind;
  }
}

/** The exact decimal expansion of a finite, non-zero double: value = 0.digits × 10^point. */
interface Decimal {
  digits: string;
  point: number;
}

function exactDecimal(v: number): Decimal {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(v));
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & ((1n << 52n) - 1n);
  let exp2: number;
  if (biased === 0) exp2 = -1074;
  else {
    mantissa |= 1n << 52n;
    exp2 = biased - 1075;
  }
  let digits: string;
  let point: number;
  if (exp2 >= 0) {
    digits = (mantissa << BigInt(exp2)).toString();
    point = digits.length;
  } else {
    digits = (mantissa * 5n ** BigInt(-exp2)).toString();
    point = digits.length + exp2;
  }
  return trimZeros({ digits, point });
}

function trimZeros(d: Decimal): Decimal {
  let end = d.digits.length;
  while (end > 0 && d.digits[end - 1] === '0') end--;
  let start = 0;
  while (start < end && d.digits[start] === '0') start++;
  return { digits: d.digits.slice(start, end), point: d.point - start };
}

/** Rounds to `n` significant digits, ties to even, as strconv's decimal rounding does. */
function roundDigits(d: Decimal, n: number): Decimal {
  if (n < 0 || d.digits.length <= n) return d;
  const next = d.digits.charCodeAt(n) - 48;
  let up: boolean;
  if (next > 5) up = true;
  else if (next < 5) up = false;
  else if (n + 1 < d.digits.length) up = true;
  else up = n > 0 && (d.digits.charCodeAt(n - 1) - 48) % 2 === 1;
  if (!up) return trimZeros({ digits: d.digits.slice(0, n), point: d.point });
  const kept = d.digits.slice(0, n).split('').map(Number);
  let i = n - 1;
  while (i >= 0 && kept[i] === 9) kept[i--] = 0;
  if (i < 0) return { digits: '1', point: d.point + 1 };
  kept[i]!++;
  return trimZeros({ digits: kept.join(''), point: d.point });
}

/** The shortest digits that read back as `v`; JavaScript and Go agree on these. */
function shortestDecimal(v: number): Decimal {
  const [mant, exp] = Math.abs(v).toExponential().split('e') as [string, string];
  const digits = mant.replace('.', '');
  return trimZeros({ digits, point: Number(exp) + 1 });
}

const digitAt = (d: Decimal, i: number): string => (i >= 0 && i < d.digits.length ? d.digits[i]! : '0');

function fixedDigits(d: Decimal, decimals: number): string {
  let out = '';
  if (d.point <= 0) out = '0';
  else for (let i = 0; i < d.point; i++) out += digitAt(d, i);
  if (decimals > 0) {
    out += '.';
    for (let i = 0; i < decimals; i++) out += digitAt(d, d.point + i);
  }
  return out;
}

function expDigits(d: Decimal, decimals: number, e: string): string {
  let out = d.digits.length ? d.digits[0]! : '0';
  if (decimals > 0) {
    out += '.';
    for (let i = 1; i <= decimals; i++) out += digitAt(d, i);
  }
  const exp = d.digits.length ? d.point - 1 : 0;
  const abs = Math.abs(exp);
  return `${out}${e}${exp < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
}

/**
 * strconv.FormatFloat for the formats fmt uses ('e', 'E', 'f', 'g', 'G'); precision -1 is the
 * shortest representation. Signs of NaN and infinities are left to the caller.
 */
export function formatFloat(v: number, fmt: 'e' | 'E' | 'f' | 'g' | 'G', prec: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  const neg = v < 0 || Object.is(v, -0);
  const sign = neg ? '-' : '';
  const shortest = prec < 0;
  let d: Decimal;
  if (v === 0) d = { digits: '', point: 0 };
  else if (shortest) d = shortestDecimal(v);
  else {
    const exact = exactDecimal(v);
    if (fmt === 'e' || fmt === 'E') d = roundDigits(exact, prec + 1);
    else if (fmt === 'f') d = roundDigits(exact, exact.point + prec);
    else d = roundDigits(exact, prec === 0 ? 1 : prec);
    if (fmt === 'f' && exact.point + prec < 0) d = { digits: '', point: 0 };
  }
  const nd = d.digits.length;
  const dp = v === 0 ? 1 : d.point;
  switch (fmt) {
    case 'e':
    case 'E':
      return sign + expDigits(d, shortest ? Math.max(nd - 1, 0) : prec, fmt);
    case 'f':
      return sign + fixedDigits(d, shortest ? Math.max(nd - d.point, 0) : prec);
    default: {
      let p = shortest ? nd : prec === 0 ? 1 : prec;
      let eprec = p;
      if (eprec > nd && nd >= dp) eprec = nd;
      if (shortest) eprec = 6;
      const exp = dp - 1;
      if (v !== 0 && (exp < -4 || exp >= eprec)) {
        if (p > nd) p = nd;
        return sign + expDigits(d, Math.max(p - 1, 0), fmt === 'g' ? 'e' : 'E');
      }
      if (p > dp) p = nd;
      return sign + fixedDigits(d, Math.max(p - dp, 0));
    }
  }
}

/** Go's %v for a float64. */
export const formatGoFloat = (v: number): string => formatFloat(v, 'g', -1);

/** Go's time.Time String() for a UTC instant, to the millisecond Prometheus keeps. */
export function formatGoTime(ms: number): string {
  const date = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  let frac = '';
  const millis = ((ms % 1000) + 1000) % 1000;
  if (millis) frac = `.${p(millis, 3)}`.replace(/0+$/, '');
  const year = date.getUTCFullYear();
  return `${year < 0 ? '-' + p(-year, 4) : p(year, 4)}-${p(date.getUTCMonth() + 1)}-${p(date.getUTCDate())} ${p(date.getUTCHours())}:${p(date.getUTCMinutes())}:${p(date.getUTCSeconds())}${frac} +0000 UTC`;
}

const isPrintable = (cp: number): boolean => {
  if (cp < 0x20 || cp === 0x7f || (cp >= 0x80 && cp < 0xa0) || cp === 0xad) return false;
  const ch = String.fromCodePoint(cp);
  return !/[\p{Cc}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}]/u.test(ch) && (cp === 0x20 || !/\p{Zs}/u.test(ch));
};

/** strconv.Quote (asciiOnly: QuoteToASCII). */
export function goQuote(s: string, asciiOnly = false, quote = '"'): string {
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (cp < 0x80 ? cp >= 0x20 && cp !== 0x7f : !asciiOnly && isPrintable(cp)) out += ch;
    else {
      const esc: Record<number, string> = { 7: '\\a', 8: '\\b', 12: '\\f', 10: '\\n', 13: '\\r', 9: '\\t', 11: '\\v' };
      if (esc[cp]) out += esc[cp];
      else if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
      else if (cp < 0x10000) out += '\\u' + cp.toString(16).padStart(4, '0');
      else out += '\\U' + cp.toString(16).padStart(8, '0');
    }
  }
  return out + quote;
}

/** fmt's %v, as fmt.Print writes operands. */
export function formatValue(v: GoValue, plus = false): string {
  switch (v.kind) {
    case 'string':
      return v.value;
    case 'float64':
      return formatGoFloat(v.value);
    case 'int':
    case 'uint8':
      return String(v.value);
    case 'bool':
      return String(v.value);
    case 'nil':
      return '<nil>';
    case 'map':
      return `map[${[...v.value.keys()].sort(compareBytes).map((k) => `${k}:${formatValue(v.value.get(k)!, plus)}`).join(' ')}]`;
    case 'struct':
      return `{${v.fields.map(([name, f]) => (plus ? `${name}:` : '') + formatValue(f, plus)).join(' ')}}`;
    case 'time':
      return formatGoTime(v.ms);
  }
}

// Surrogates (D800–DFFF) come before E000–FFFF in UTF-16 but encode code points above them.
const utf8Rank = (unit: number): number => (unit < 0xd800 ? unit : unit < 0xe000 ? unit + 0x2000 : unit - 0x800);

/**
 * Go's string order: by UTF-8 bytes, which for well-formed text is code point order. Compared on
 * UTF-16 code units without encoding, since label sorting calls this for every pair.
 */
export function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return utf8Rank(x) < utf8Rank(y) ? -1 : 1;
  }
  return a.length < b.length ? -1 : 1;
}

/** fmt.Sprint: a space between operands when neither side is a string. */
export function sprint(args: GoValue[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && a.kind !== 'string' && args[i - 1]!.kind !== 'string') out += ' ';
    out += formatValue(a);
  });
  return out;
}

export const sprintln = (args: GoValue[]): string => args.map((a) => formatValue(a)).join(' ') + '\n';

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  /** %+v: struct fields are named, and the plus no longer means a sign. */
  plusV?: boolean;
  width?: number;
  prec?: number;
}

const runeLength = (s: string): number => [...s].length;

function pad(s: string, spec: Spec, zeroOk: boolean): string {
  if (spec.width === undefined) return s;
  const n = spec.width - runeLength(s);
  if (n <= 0) return s;
  if (spec.minus) return s + ' '.repeat(n);
  if (spec.zero && zeroOk) {
    const signed = /^[+\- ]/.test(s);
    return signed ? s[0] + '0'.repeat(n) + s.slice(1) : '0'.repeat(n) + s;
  }
  return ' '.repeat(n) + s;
}

function badVerb(verb: string, arg: GoValue): string {
  if (arg.kind === 'nil') return `%!${verb}(<nil>)`;
  return `%!${verb}(${goTypeName(arg)}=${formatValue(arg)})`;
}

function formatInteger(n: number, verb: string, spec: Spec): string {
  const neg = n < 0;
  const abs = Math.abs(n);
  let body: string;
  switch (verb) {
    case 'd':
    case 'v':
      body = String(abs);
      break;
    case 'x':
      body = abs.toString(16);
      if (spec.sharp) body = '0x' + body;
      break;
    case 'X':
      body = abs.toString(16).toUpperCase();
      if (spec.sharp) body = '0X' + body;
      break;
    case 'o':
      body = abs.toString(8);
      if (spec.sharp) body = '0' + body;
      break;
    case 'O':
      body = '0o' + abs.toString(8);
      break;
    case 'b':
      body = abs.toString(2);
      break;
    default:
      throw new Error('unreachable');
  }
  if (spec.prec !== undefined) {
    if (spec.prec === 0 && n === 0) body = '';
    else body = body.padStart(spec.prec, '0');
  }
  const sign = neg ? '-' : spec.plus ? '+' : spec.space ? ' ' : '';
  return pad(sign + body, spec, spec.prec === undefined);
}

function formatFloatVerb(v: number, verb: string, spec: Spec): string {
  const lower = verb === 'v' ? 'g' : verb === 'F' ? 'f' : verb;
  const prec = spec.prec ?? (lower === 'g' || lower === 'G' ? -1 : 6);
  let s = formatFloat(v, lower as 'e' | 'E' | 'f' | 'g' | 'G', prec);
  if (spec.sharp && (lower === 'g' || lower === 'G') && Number.isFinite(v)) {
    // %#g keeps trailing zeros up to the precision (6 when none is given).
    const want = spec.prec ?? 6;
    const [mant, exp] = s.split(/(?=[eE])/) as [string, string?];
    const digits = mant.replace(/^-/, '').replace('.', '').replace(/^0+/, '').length || 1;
    let m = mant.includes('.') ? mant : mant + '.';
    if (digits < want) m += '0'.repeat(want - digits);
    s = m + (exp ?? '');
  }
  if (Number.isFinite(v) || Number.isNaN(v)) {
    if (!s.startsWith('-') && !Number.isNaN(v)) s = (spec.plus ? '+' : spec.space ? ' ' : '') + s;
    else if (Number.isNaN(v) && (spec.plus || spec.space)) s = (spec.plus ? '+' : ' ') + s;
  } else if (!spec.plus && s.startsWith('+')) s = (spec.space ? ' ' : '') + s.slice(1);
  return pad(s, spec, Number.isFinite(v));
}

function formatString(str: string, verb: string, spec: Spec): string {
  if (spec.prec !== undefined && (verb === 's' || verb === 'v' || verb === 'q')) str = [...str].slice(0, spec.prec).join('');
  switch (verb) {
    case 's':
    case 'v':
      return pad(str, spec, true);
    case 'q':
      if (spec.sharp && !str.includes('`') && ![...str].some((c) => c !== '\t' && !isPrintable(c.codePointAt(0)!))) return pad('`' + str + '`', spec, true);
      return pad(goQuote(str, spec.plus), spec, true);
    case 'x':
    case 'X': {
      let bytes = [...Buffer.from(str)];
      if (spec.prec !== undefined) bytes = bytes.slice(0, spec.prec);
      const hex = bytes.map((b) => b.toString(16).padStart(2, '0')).map((h) => (verb === 'X' ? h.toUpperCase() : h));
      const prefix = spec.sharp ? (verb === 'X' ? '0X' : '0x') : '';
      return pad(spec.space ? hex.map((h) => prefix + h).join(' ') : prefix + hex.join(''), spec, true);
    }
    default:
      throw new Error('unreachable');
  }
}

function formatOne(arg: GoValue, verb: string, spec: Spec): string {
  if (verb === 'T') return pad(goTypeName(arg), spec, false);
  if (verb === 'v' && spec.sharp) return formatGoSyntax(arg);
  if (verb === 'v' && spec.plus) spec = { ...spec, plus: false, plusV: true };
  switch (arg.kind) {
    case 'nil':
      return verb === 'v' ? pad('<nil>', spec, false) : badVerb(verb, arg);
    case 'bool':
      return verb === 'v' || verb === 't' ? pad(String(arg.value), spec, false) : badVerb(verb, arg);
    case 'int':
    case 'uint8':
      if ('dvxXobO'.includes(verb)) return formatInteger(arg.value, verb, spec);
      if (verb === 'c') return pad(String.fromCodePoint(arg.value), spec, false);
      if (verb === 'q') return pad(goQuote(String.fromCodePoint(arg.value), spec.plus, "'"), spec, false);
      if (verb === 'U') {
        const hex = arg.value.toString(16).toUpperCase().padStart(4, '0');
        return pad(`U+${hex}${spec.sharp ? ` '${String.fromCodePoint(arg.value)}'` : ''}`, spec, false);
      }
      return badVerb(verb, arg);
    case 'float64':
      return 'veEfFgG'.includes(verb) ? formatFloatVerb(arg.value, verb, spec) : badVerb(verb, arg);
    case 'string':
      return 'svqxX'.includes(verb) ? formatString(arg.value, verb, spec) : badVerb(verb, arg);
    case 'time':
      return 'sv'.includes(verb) ? pad(formatGoTime(arg.ms), spec, true) : badVerb(verb, arg);
    case 'map':
      return `map[${[...arg.value.keys()].sort(compareBytes).map((k) => `${formatOne(goString(k), verb, spec)}:${formatOne(arg.value.get(k)!, verb, spec)}`).join(' ')}]`;
    case 'struct':
      return `{${arg.fields.map(([name, f]) => (spec.plusV ? `${name}:` : '') + formatOne(f, verb, spec)).join(' ')}}`;
  }
}

function formatGoSyntax(v: GoValue): string {
  switch (v.kind) {
    case 'string':
      return v.type ? `"${v.value}"` : goQuote(v.value);
    case 'float64':
      return formatGoFloat(v.value);
    case 'int':
      return String(v.value);
    case 'uint8':
      return `0x${v.value.toString(16)}`;
    case 'bool':
      return String(v.value);
    case 'nil':
      return '<nil>';
    case 'map':
      return `map[string]${v.elem}{${[...v.value.keys()].sort(compareBytes).map((k) => `${goQuote(k)}:${formatGoSyntax(v.value.get(k)!)}`).join(', ')}}`;
    case 'struct':
      return `${v.typeName}{${v.fields.map(([n, f]) => `${n}:${formatGoSyntax(f)}`).join(', ')}}`;
    case 'time':
      return formatGoTime(v.ms);
  }
}

/** fmt.Sprintf over Go values, including fmt's notations for missing, extra and mistyped operands. */
export function sprintf(format: string, args: GoValue[]): string {
  let out = '';
  let argNum = 0;
  let reordered = false;
  let i = 0;
  const n = format.length;
  const readNum = (): number | undefined => {
    const start = i;
    while (i < n && format[i]! >= '0' && format[i]! <= '9') i++;
    return i > start ? Number(format.slice(start, i)) : undefined;
  };
  const readIndex = (): boolean => {
    if (format[i] !== '[') return true;
    reordered = true;
    const close = format.indexOf(']', i);
    const idx = close < 0 ? NaN : Number(format.slice(i + 1, close));
    if (!Number.isInteger(idx) || idx < 1 || idx > args.length) {
      i = close < 0 ? n : close + 1;
      return false;
    }
    argNum = idx - 1;
    i = close + 1;
    return true;
  };
  const starArg = (): number | undefined => {
    const a = args[argNum];
    argNum++;
    return a && a.kind === 'int' ? a.value : undefined;
  };
  while (i < n) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const spec: Spec = { minus: false, plus: false, sharp: false, space: false, zero: false };
    for (; i < n; i++) {
      const c = format[i];
      if (c === '-') spec.minus = true;
      else if (c === '+') spec.plus = true;
      else if (c === '#') spec.sharp = true;
      else if (c === ' ') spec.space = true;
      else if (c === '0') spec.zero = !spec.minus;
      else break;
    }
    let goodIndex = readIndex();
    if (format[i] === '*') {
      i++;
      const w = starArg();
      if (w === undefined) out += '%!(BADWIDTH)';
      else if (w < 0) {
        spec.minus = true;
        spec.width = -w;
      } else spec.width = w;
    } else spec.width = readNum();
    if (format[i] === '.') {
      i++;
      goodIndex = readIndex() && goodIndex;
      if (format[i] === '*') {
        i++;
        const p = starArg();
        if (p === undefined || p < 0) out += '%!(BADPREC)';
        else spec.prec = p;
      } else spec.prec = readNum() ?? 0;
    }
    goodIndex = readIndex() && goodIndex;
    if (spec.minus) spec.zero = false;
    if (i >= n) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (!goodIndex) {
      out += `%!${verb}(BADINDEX)`;
      continue;
    }
    if (argNum >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatOne(args[argNum]!, verb, spec);
    argNum++;
  }
  if (!reordered && argNum < args.length) {
    out += '%!(EXTRA ' + args.slice(argNum).map((a) => (a.kind === 'nil' ? '<nil>' : `${goTypeName(a)}=${formatValue(a)}`)).join(', ') + ')';
  }
  return out;
}
