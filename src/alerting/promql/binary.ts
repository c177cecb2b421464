// Binary operators: arithmetic and comparisons between scalars and vectors, vector matching
// (one-to-one, group_left/group_right) and the set operators, as Prometheus 2.42 evaluates them.
import { formatLabels, getLabel, labelsKey, METRIC_NAME, type Labels } from '../labels.js';
import type { BinaryOp, VectorMatching } from './ast.js';
import { dropMetricName, onlyLabels, PromQLEvalError, withLabel, withoutLabels } from './eval-support.js';
import type { VectorSample } from './values.js';

type Comparison = '==' | '!=' | '<' | '<=' | '>' | '>=';

const COMPARISONS: ReadonlySet<BinaryOp> = new Set<BinaryOp>(['==', '!=', '<', '<=', '>', '>=']);

export function isComparison(op: BinaryOp): op is Comparison {
  return COMPARISONS.has(op);
}

/** atan2 is missing on purpose: Prometheus 2.42 keeps the metric name for it. */
function dropsMetricName(op: BinaryOp): boolean {
  return op === '+' || op === '-' || op === '*' || op === '/' || op === '%' || op === '^';
}

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);

/** Go's math.Frexp: `x = frac × 2^exp` with |frac| in [0.5, 1), read off the bits so it is exact. */
function frexp(x: number): [number, number] {
  if (x === 0 || !Number.isFinite(x)) return [x, 0];
  let exp = 0;
  // Subnormals have no implicit bit: scale them into the normal range first.
  if (Math.abs(x) < 2 ** -1022) {
    x *= 2 ** 52;
    exp = -52;
  }
  F64[0] = x;
  exp += ((U32[1]! >>> 20) & 0x7ff) - 1022;
  U32[1] = (U32[1]! & 0x800fffff) | (1022 << 20);
  return [F64[0], exp];
}

/** `frac × 2^exp` with one rounding, in steps that keep each power of two representable. */
function ldexp(frac: number, exp: number): number {
  if (exp > 1023) return frac * 2 ** 1023 * 2 ** (exp - 1023);
  if (exp < -1022) return frac * 2 ** (exp + 52) * 2 ** -52;
  return frac * 2 ** exp;
}

const isOddInt = (y: number) => Number.isInteger(y) && Math.abs(y) < 2 ** 53 && Math.abs(y % 2) === 1;

/**
 * Go's math.Pow, step for step: integer powers by repeated squaring of the mantissa (so 7^-2 is
 * 1/49 exactly as Prometheus prints it, where V8's pow is one ulp off), the fractional part
 * through exp(log), and Go's special cases.
 */
function goPow(x: number, y: number): number {
  if (y === 0 || x === 1) return 1;
  if (y === 1) return x;
  if (Number.isNaN(x) || Number.isNaN(y)) return NaN;
  if (x === 0) {
    if (y < 0) return Object.is(x, -0) && isOddInt(y) ? -Infinity : Infinity;
    return Object.is(x, -0) && isOddInt(y) ? x : 0;
  }
  if (!Number.isFinite(y)) {
    if (x === -1) return 1;
    return (Math.abs(x) < 1) === (y === Infinity) ? 0 : Infinity;
  }
  if (!Number.isFinite(x)) {
    if (x === -Infinity) return goPow(1 / x, -y);
    return y < 0 ? 0 : Infinity;
  }
  if (y === 0.5) return Math.sqrt(x);
  if (y === -0.5) return 1 / Math.sqrt(x);
  let yi = Math.trunc(Math.abs(y));
  let yf = Math.abs(y) - yi;
  if (yf !== 0 && x < 0) return NaN;
  if (yi >= 2 ** 63) {
    if (x === -1) return 1;
    return (Math.abs(x) < 1) === y > 0 ? 0 : Infinity;
  }
  let a1 = 1;
  let ae = 0;
  if (yf !== 0) {
    if (yf > 0.5) {
      yf--;
      yi++;
    }
    a1 = Math.exp(yf * Math.log(x));
  }
  let [x1, xe] = frexp(x);
  for (let i = BigInt(yi); i !== 0n; i >>= 1n) {
    if (xe < -(1 << 12) || 1 << 12 < xe) {
      ae += xe;
      break;
    }
    if ((i & 1n) === 1n) {
      a1 *= x1;
      ae += xe;
    }
    x1 *= x1;
    xe <<= 1;
    if (x1 < 0.5) {
      x1 += x1;
      xe--;
    }
  }
  if (y < 0) {
    a1 = 1 / a1;
    ae = -ae;
  }
  return ldexp(a1, ae);
}

export function arithmetic(op: BinaryOp, l: number, r: number): number {
  switch (op) {
    case '+':
      return l + r;
    case '-':
      return l - r;
    case '*':
      return l * r;
    case '/':
      return l / r;
    // JS `%` is C's fmod, which is what Go's math.Mod computes.
    case '%':
      return l % r;
    case '^':
      return goPow(l, r);
    case 'atan2':
      return Math.atan2(l, r);
    default:
      throw new PromQLEvalError(`operator "${op}" not allowed for this operation`);
  }
}

export function compare(op: Comparison, l: number, r: number): boolean {
  switch (op) {
    case '==':
      return l === r;
    case '!=':
      return l !== r;
    case '<':
      return l < r;
    case '<=':
      return l <= r;
    case '>':
      return l > r;
    case '>=':
      return l >= r;
  }
}

/** Both sides scalars: comparisons can only appear with `bool` there. */
export function scalarBinary(op: BinaryOp, l: number, r: number): number {
  if (isComparison(op)) return compare(op, l, r) ? 1 : 0;
  return arithmetic(op, l, r);
}

/** A vector and a scalar; `scalarOnLeft` when the scalar was written first. */
export function vectorScalarBinary(op: BinaryOp, vec: readonly VectorSample[], scalar: number, scalarOnLeft: boolean, returnBool: boolean): VectorSample[] {
  const out: VectorSample[] = [];
  const dropName = dropsMetricName(op) || returnBool;
  if (isComparison(op)) {
    for (const s of vec) {
      const keep = scalarOnLeft ? compare(op, scalar, s.value) : compare(op, s.value, scalar);
      // The vector's value survives a filter even when the scalar is on the left.
      if (returnBool) out.push({ labels: dropMetricName(s.labels), value: keep ? 1 : 0 });
      else if (keep) out.push(s);
    }
    return out;
  }
  for (const s of vec) {
    const value = scalarOnLeft ? arithmetic(op, scalar, s.value) : arithmetic(op, s.value, scalar);
    out.push({ labels: dropName ? dropMetricName(s.labels) : s.labels, value });
  }
  return out;
}

const NO_MATCHING: VectorMatching = { card: 'one-to-one', on: false, labels: [], include: [] };

type Signature = (labels: Labels) => string;

function signatureFn(matching: VectorMatching): Signature {
  const names = matching.labels;
  if (matching.on) {
    return (labels) => {
      let sig = '';
      for (const [k, v] of labels) if (names.includes(k)) sig += `${k}\u0000${v}\u0001`;
      return sig;
    };
  }
  return (labels) => {
    let sig = '';
    for (const [k, v] of labels) if (k !== METRIC_NAME && !names.includes(k)) sig += `${k}\u0000${v}\u0001`;
    return sig;
  };
}

/** The labels a match group is identified by, for error messages (Prometheus's Labels.MatchLabels). */
function matchLabels(labels: Labels, matching: VectorMatching): Labels {
  return matching.on ? onlyLabels(labels, matching.labels) : labels.filter(([k]) => k !== METRIC_NAME && !matching.labels.includes(k));
}

function resultLabels(many: Labels, one: Labels, op: BinaryOp, matching: VectorMatching, returnBool: boolean): Labels {
  let labels = dropsMetricName(op) || returnBool ? dropMetricName(many) : many;
  if (matching.card === 'one-to-one') labels = matching.on ? onlyLabels(labels, matching.labels) : withoutLabels(labels, matching.labels);
  for (const name of matching.include) labels = withLabel(labels, name, getLabel(one, name));
  return labels;
}

export function vectorBinary(op: BinaryOp, lhs: readonly VectorSample[], rhs: readonly VectorSample[], matching: VectorMatching | undefined, returnBool: boolean): VectorSample[] {
  switch (op) {
    case 'and':
      return vectorAnd(lhs, rhs, matching ?? NO_MATCHING);
    case 'or':
      return vectorOr(lhs, rhs, matching ?? NO_MATCHING);
    case 'unless':
      return vectorUnless(lhs, rhs, matching ?? NO_MATCHING);
    default:
      return vectorMatch(op, lhs, rhs, matching ?? NO_MATCHING, returnBool);
  }
}

function vectorMatch(op: BinaryOp, lhs: readonly VectorSample[], rhs: readonly VectorSample[], matching: VectorMatching, returnBool: boolean): VectorSample[] {
  if (lhs.length === 0 || rhs.length === 0) return [];
  const oneToMany = matching.card === 'one-to-many';
  // Work as many-to-one throughout: for group_right the sides swap, and swap back for the values.
  const many = oneToMany ? rhs : lhs;
  const one = oneToMany ? lhs : rhs;
  const sig = signatureFn(matching);
  const oneBySig = new Map<string, VectorSample>();
  for (const s of one) {
    const key = sig(s.labels);
    const dup = oneBySig.get(key);
    if (dup) {
      throw new PromQLEvalError(
        `found duplicate series for the match group ${formatLabels(matchLabels(s.labels, matching))} on the ${oneToMany ? 'left' : 'right'} hand-side of the operation: ` +
          `[${formatLabels(s.labels)}, ${formatLabels(dup.labels)}];many-to-many matching not allowed: matching labels must be unique on one side`,
      );
    }
    oneBySig.set(key, s);
  }
  const comparison = isComparison(op) ? op : undefined;
  const matched = new Map<string, Set<string> | undefined>();
  const out: VectorSample[] = [];
  for (const s of many) {
    const key = sig(s.labels);
    const o = oneBySig.get(key);
    if (!o) continue;
    const l = oneToMany ? o.value : s.value;
    const r = oneToMany ? s.value : o.value;
    let value: number;
    if (comparison) {
      const keep = compare(comparison, l, r);
      if (returnBool) value = keep ? 1 : 0;
      else if (keep) value = l;
      else continue;
    } else value = arithmetic(op, l, r);
    const labels = resultLabels(s.labels, o.labels, op, matching, returnBool);
    if (matching.card === 'one-to-one') {
      if (matched.has(key)) throw new PromQLEvalError('multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
      matched.set(key, undefined);
    } else {
      let seen = matched.get(key);
      if (!seen) matched.set(key, (seen = new Set()));
      const resultKey = labelsKey(labels);
      if (seen.has(resultKey)) throw new PromQLEvalError('multiple matches for labels: grouping labels must ensure unique matches');
      seen.add(resultKey);
    }
    out.push({ labels, value });
  }
  return out;
}

function vectorAnd(lhs: readonly VectorSample[], rhs: readonly VectorSample[], matching: VectorMatching): VectorSample[] {
  if (lhs.length === 0 || rhs.length === 0) return [];
  const sig = signatureFn(matching);
  const right = new Set<string>();
  for (const s of rhs) right.add(sig(s.labels));
  return lhs.filter((s) => right.has(sig(s.labels)));
}

function vectorOr(lhs: readonly VectorSample[], rhs: readonly VectorSample[], matching: VectorMatching): VectorSample[] {
  if (lhs.length === 0) return [...rhs];
  if (rhs.length === 0) return [...lhs];
  const sig = signatureFn(matching);
  const left = new Set<string>();
  for (const s of lhs) left.add(sig(s.labels));
  const out = [...lhs];
  for (const s of rhs) if (!left.has(sig(s.labels))) out.push(s);
  return out;
}

function vectorUnless(lhs: readonly VectorSample[], rhs: readonly VectorSample[], matching: VectorMatching): VectorSample[] {
  if (lhs.length === 0 || rhs.length === 0) return [...lhs];
  const sig = signatureFn(matching);
  const right = new Set<string>();
  for (const s of rhs) right.add(sig(s.labels));
  return lhs.filter((s) => !right.has(sig(s.labels)));
}
