// How far into the past an expression reads, selector by selector, so the store keeps exactly the
// series and the samples the rules need.
import type { Expr, LabelMatcher } from './ast.js';

export interface SelectorReach {
  matchers: readonly LabelMatcher[];
  /** Distance before the evaluation time that the selector reads back to, in ms. */
  reachMs: number;
}

/** Every selector in `expr` with how far back it reads. */
export function selectorReaches(expr: Expr, lookbackDeltaMs: number, out: SelectorReach[] = []): SelectorReach[] {
  switch (expr.kind) {
    case 'selector':
      out.push({ matchers: expr.matchers, reachMs: Math.max(0, expr.offsetMs) + lookbackDeltaMs });
      break;
    case 'matrix':
      out.push({ matchers: expr.selector.matchers, reachMs: Math.max(0, expr.selector.offsetMs) + expr.rangeMs });
      break;
    case 'unary':
    case 'paren':
      selectorReaches(expr.expr, lookbackDeltaMs, out);
      break;
    case 'binary':
      selectorReaches(expr.lhs, lookbackDeltaMs, out);
      selectorReaches(expr.rhs, lookbackDeltaMs, out);
      break;
    case 'aggregate':
      selectorReaches(expr.expr, lookbackDeltaMs, out);
      if (expr.param) selectorReaches(expr.param, lookbackDeltaMs, out);
      break;
    case 'call':
      for (const arg of expr.args) selectorReaches(arg, lookbackDeltaMs, out);
      break;
    case 'number':
    case 'string':
      break;
  }
  return out;
}
