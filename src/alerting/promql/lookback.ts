// How far into the past an expression reads, so the store keeps exactly the samples rules need.
import type { Expr } from './ast.js';

/** The longest distance before the evaluation time that any selector in `expr` reaches, in ms. */
export function longestLookback(expr: Expr, lookbackDeltaMs: number): number {
  switch (expr.kind) {
    case 'selector':
      return Math.max(0, expr.offsetMs) + lookbackDeltaMs;
    case 'matrix':
      return Math.max(0, expr.selector.offsetMs) + expr.rangeMs;
    case 'unary':
    case 'paren':
      return longestLookback(expr.expr, lookbackDeltaMs);
    case 'binary':
      return Math.max(longestLookback(expr.lhs, lookbackDeltaMs), longestLookback(expr.rhs, lookbackDeltaMs));
    case 'aggregate':
      return Math.max(longestLookback(expr.expr, lookbackDeltaMs), expr.param ? longestLookback(expr.param, lookbackDeltaMs) : 0);
    case 'call':
      return expr.args.reduce((max, arg) => Math.max(max, longestLookback(arg, lookbackDeltaMs)), 0);
    case 'number':
    case 'string':
      return 0;
  }
}
