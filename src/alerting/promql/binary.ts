// Binary operators: arithmetic and comparisons between scalars and vectors, vector matching
// (one-to-one, group_left/group_right) and the set operators, as Prometheus 2.42 evaluates them.
import { getLabel, labelsKey, METRIC_NAME, type Labels } from '../labels.js';
import type { BinaryOp, VectorMatching } from './ast.js';
import { dropMetricName, formatLabels, onlyLabels, PromQLEvalError, withLabel, withoutLabels } from './eval-support.js';
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

/** Go's math.Pow where it differs from Math.pow: 1 to any power and -1 to ±Inf are 1. */
function goPow(x: number, y: number): number {
  if (x === 1) return 1;
  if (x === -1 && (y === Infinity || y === -Infinity)) return 1;
  return Math.pow(x, y);
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
