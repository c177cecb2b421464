// The PromQL syntax tree sluice's rule evaluator works on, with the value type of every node
// (checked when parsing, so a rule file's mistakes surface at validation time).

export type ValueType = 'scalar' | 'vector' | 'matrix' | 'string';

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  name: string;
  op: MatchOp;
  value: string;
}

export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '^' | 'atan2' | '==' | '!=' | '<' | '<=' | '>' | '>=' | 'and' | 'or' | 'unless';

export type AggregateOp = 'sum' | 'avg' | 'min' | 'max' | 'count' | 'stddev' | 'stdvar' | 'group' | 'topk' | 'bottomk' | 'quantile' | 'count_values';

export interface VectorMatching {
  card: 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many';
  /** true: `on(labels)`; false: `ignoring(labels)` (no modifier: ignoring nothing). */
  on: boolean;
  labels: string[];
  /** Labels copied from the "one" side with group_left/group_right. */
  include: string[];
}

export type Expr =
  | { kind: 'number'; value: number; type: 'scalar' }
  | { kind: 'string'; value: string; type: 'string' }
  | { kind: 'selector'; name?: string; matchers: LabelMatcher[]; offsetMs: number; type: 'vector' }
  | { kind: 'matrix'; selector: Extract<Expr, { kind: 'selector' }>; rangeMs: number; type: 'matrix' }
  | { kind: 'unary'; op: '-' | '+'; expr: Expr; type: ValueType }
  | { kind: 'binary'; op: BinaryOp; lhs: Expr; rhs: Expr; bool: boolean; matching?: VectorMatching; type: ValueType }
  | { kind: 'aggregate'; op: AggregateOp; expr: Expr; param?: Expr; grouping: string[]; without: boolean; type: 'vector' }
  | { kind: 'call'; func: string; args: Expr[]; type: ValueType }
  | { kind: 'paren'; expr: Expr; type: ValueType };
