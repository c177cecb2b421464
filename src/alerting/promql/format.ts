// PromQL text from a syntax tree. Parsed trees keep their parentheses as `paren` nodes, so
// printing them adds none and re-parsing yields the same tree; parentheses are added only where
// a tree built in code nests operators in a way their precedence would not.
import { METRIC_NAME } from '../labels.js';
import type { BinaryOp, Expr, LabelMatcher, VectorMatching } from './ast.js';
import { DURATION_UNITS, PRECEDENCE } from './parser.js';

// Prometheus leaves these out unless they divide the duration evenly: 90d reads better than 12w6d.
const WHOLE_ONLY = new Set(['y', 'w']);

/**
 * Prometheus's model.Duration String (`1h30m`, `2w`, `90d`), with a sign for negative offsets as
 * the PromQL printer writes them. `upToDays` never uses weeks or years, for SLO window names
 * (`ratio_rate28d`) that read in days.
 */
export function formatDuration(ms: number, opts: { upToDays?: boolean } = {}): string {
  let rest = Math.trunc(ms);
  if (rest < 0) return `-${formatDuration(-rest, opts)}`;
  if (rest === 0) return '0s';
  let out = '';
  for (const [unit, size] of DURATION_UNITS) {
    if (WHOLE_ONLY.has(unit) && (opts.upToDays || rest % size !== 0)) continue;
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}

function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

// JSON's escapes are a subset of Go's, which is what PromQL strings use.
const quote = (s: string): string => JSON.stringify(s);

function formatMatcher(m: LabelMatcher): string {
  return `${m.name}${m.op}${quote(m.value)}`;
}

function formatSelector(sel: Extract<Expr, { kind: 'selector' }>): string {
  const rest = sel.name === undefined ? sel.matchers : sel.matchers.filter((m, i) => !(i === 0 && m.name === METRIC_NAME && m.op === '=' && m.value === sel.name));
  const braces = rest.length > 0 || sel.name === undefined ? `{${rest.map(formatMatcher).join(', ')}}` : '';
  return `${sel.name ?? ''}${braces}`;
}

function offset(ms: number): string {
  return ms === 0 ? '' : ` offset ${formatDuration(ms)}`;
}

function formatMatching(m: VectorMatching | undefined, setOp: boolean): string {
  if (!m) return '';
  const grouped = !setOp && (m.card === 'many-to-one' || m.card === 'one-to-many');
  let out = '';
  // group_left/right are only valid after on/ignoring, even an empty ignoring().
  if (m.on || m.labels.length > 0 || grouped) out += ` ${m.on ? 'on' : 'ignoring'}(${m.labels.join(', ')})`;
  if (grouped) out += ` ${m.card === 'many-to-one' ? 'group_left' : 'group_right'}${m.include.length > 0 ? `(${m.include.join(', ')})` : ''}`;
  return out;
}

function needsParens(child: Expr, parent: BinaryOp, side: 'lhs' | 'rhs'): boolean {
  // A sign on the left of `^` would be read as applying to the whole power.
  if (child.kind === 'unary' || (child.kind === 'number' && child.value < 0)) return parent === '^' && side === 'lhs';
  if (child.kind !== 'binary') return false;
  const c = PRECEDENCE[child.op];
  const p = PRECEDENCE[parent];
  if (c !== p) return c < p;
  return parent === '^' ? side === 'lhs' : side === 'rhs';
}

/** Prints an expression as PromQL that parses back to the same tree. */
export function formatExpr(expr: Expr): string {
  switch (expr.kind) {
    case 'number':
      return formatNumber(expr.value);
    case 'string':
      return quote(expr.value);
    case 'selector':
      return `${formatSelector(expr)}${offset(expr.offsetMs)}`;
    case 'matrix':
      return `${formatSelector(expr.selector)}[${formatDuration(expr.rangeMs)}]${offset(expr.selector.offsetMs)}`;
    case 'paren':
      return `(${formatExpr(expr.expr)})`;
    case 'unary': {
      const inner = expr.expr;
      const wrap = inner.kind === 'binary' && inner.op !== '^';
      return `${expr.op}${wrap ? `(${formatExpr(inner)})` : formatExpr(inner)}`;
    }
    case 'binary': {
      const side = (child: Expr, which: 'lhs' | 'rhs'): string => (needsParens(child, expr.op, which) ? `(${formatExpr(child)})` : formatExpr(child));
      const setOp = expr.op === 'and' || expr.op === 'or' || expr.op === 'unless';
      return `${side(expr.lhs, 'lhs')} ${expr.op}${expr.bool ? ' bool' : ''}${formatMatching(expr.matching, setOp)} ${side(expr.rhs, 'rhs')}`;
    }
    case 'aggregate': {
      const grouping = expr.without ? ` without (${expr.grouping.join(', ')})` : expr.grouping.length > 0 ? ` by (${expr.grouping.join(', ')})` : '';
      const args = expr.param ? `${formatExpr(expr.param)}, ${formatExpr(expr.expr)}` : formatExpr(expr.expr);
      return grouping ? `${expr.op}${grouping} (${args})` : `${expr.op}(${args})`;
    }
    case 'call':
      return `${expr.func}(${expr.args.map(formatExpr).join(', ')})`;
  }
}
