// A recursive-descent PromQL parser (binary operators by precedence climbing) that type-checks
// as it builds, so every node carries its value type and a rule's mistakes are reported, with
// their position, when the rule file is loaded rather than when it is first evaluated.
import { normalizeLabels, METRIC_NAME, type Labels } from '../labels.js';
import type { AggregateOp, BinaryOp, Expr, LabelMatcher, MatchOp, ValueType, VectorMatching } from './ast.js';
import { FUNCTIONS } from './functions.js';
import { Lexer, PromQLParseError, type Token } from './lexer.js';
import { compilePromRegex } from './regex.js';

export { PromQLParseError } from './lexer.js';

type Selector = Extract<Expr, { kind: 'selector' }>;

/** Binding strength of each binary operator, as in Prometheus (higher binds tighter). */
export const PRECEDENCE: Record<BinaryOp, number> = {
  or: 1,
  and: 2,
  unless: 2,
  '==': 3,
  '!=': 3,
  '<=': 3,
  '<': 3,
  '>=': 3,
  '>': 3,
  '+': 4,
  '-': 4,
  '*': 5,
  '/': 5,
  '%': 5,
  atan2: 5,
  '^': 6,
};
const POW_PRECEDENCE = PRECEDENCE['^'];
const WORD_OPS = new Set<BinaryOp>(['and', 'or', 'unless', 'atan2']);
const COMPARISONS = new Set<BinaryOp>(['==', '!=', '<=', '<', '>=', '>']);
const SET_OPS = new Set<BinaryOp>(['and', 'or', 'unless']);

const AGGREGATES = new Set<AggregateOp>(['sum', 'avg', 'min', 'max', 'count', 'stddev', 'stdvar', 'group', 'topk', 'bottomk', 'quantile', 'count_values']);
const PARAM_TYPE: Partial<Record<AggregateOp, ValueType>> = { topk: 'scalar', bottomk: 'scalar', quantile: 'scalar', count_values: 'string' };
const KEYWORDS = new Set<string>([...AGGREGATES, 'and', 'or', 'unless', 'atan2', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset']);
// Prometheus lets these keywords name a metric where only an expression can stand.
const NOT_METRIC_NAMES = new Set(['atan2', 'on', 'ignoring', 'group_left', 'group_right', 'bool']);

const MATCH_OPS = new Set<string>(['=', '!=', '=~', '!~']);

const TYPE_NAMES: Record<ValueType, string> = { scalar: 'scalar', vector: 'instant vector', matrix: 'range vector', string: 'string' };

/** Duration units in the order a duration must use them, with their length in milliseconds. */
export const DURATION_UNITS: readonly (readonly [string, number])[] = [
  ['y', 365 * 24 * 3600_000],
  ['w', 7 * 24 * 3600_000],
  ['d', 24 * 3600_000],
  ['h', 3600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];
const DURATION_RE = /^(?:([0-9]+)y)?(?:([0-9]+)w)?(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?(?:([0-9]+)ms)?$/;

/**
 * A Prometheus duration (`30s`, `1h30m`, `2w`; units in descending order, each at most once) in
 * milliseconds. Zero (`0`, `0s`) is accepted: whether it is allowed is the caller's decision.
 */
export function parsePromDuration(text: string): number {
  if (text === '') throw new Error('empty duration string');
  if (text === '0') return 0;
  const m = DURATION_RE.exec(text);
  if (!m) throw new Error(`not a valid duration string: ${JSON.stringify(text)} (use units y, w, d, h, m, s, ms, largest first, e.g. "1h30m")`);
  let ms = 0;
  DURATION_UNITS.forEach(([, unit], i) => {
    if (m[i + 1] !== undefined) ms += Number(m[i + 1]) * unit;
  });
  if (!Number.isSafeInteger(ms)) throw new Error(`duration out of range: ${JSON.stringify(text)}`);
  return ms;
}

/** Parses a PromQL expression; throws PromQLParseError with the position of the first problem. */
export function parseExpr(input: string): Expr {
  return new Parser(input).parseTop();
}

/** Parses a series description (`up{job="a"}`, `{__name__="up"}`) into sorted labels. */
export function parseMetric(input: string): Labels {
  return new Parser(input).parseSeries();
}

function isComparison(op: BinaryOp): boolean {
  return COMPARISONS.has(op);
}

function matchesEmpty(m: LabelMatcher): boolean {
  switch (m.op) {
    case '=':
      return m.value === '';
    case '!=':
      return m.value !== '';
    case '=~':
      return compilePromRegex(m.value).test('');
    case '!~':
      return !compilePromRegex(m.value).test('');
  }
}

class Parser {
  private readonly lexer: Lexer;
  private tok: Token;
  private ahead: Token | undefined;
  // Node positions live beside the tree so that type errors found after a node is built can
  // still point at it, without adding positions to the AST the evaluator consumes.
  private readonly starts = new WeakMap<Expr, number>();

  constructor(private readonly input: string) {
    this.lexer = new Lexer(input);
    this.tok = this.lexer.next();
  }

  parseTop(): Expr {
    if (this.atEnd()) this.fail(this.tok.pos, 'no expression found in input');
    const expr = this.expr(1);
    if (!this.atEnd()) this.unexpected(undefined, 'operator or end of input');
    return expr;
  }

  parseSeries(): Labels {
    const pairs: [string, string][] = [];
    const start = this.tok.pos;
    if (this.tok.kind === 'word') pairs.push([METRIC_NAME, this.advance().text]);
    if (this.isPunct('{')) {
      this.advance();
      while (!this.isPunct('}')) {
        const nameTok = this.labelName('series description', true);
        if (!this.isPunct('=')) this.unexpected('series description', '"="');
        this.advance();
        if (this.tok.kind !== 'string') this.unexpected('series description', 'string');
        const value = this.advance().value;
        if (pairs.some(([k]) => k === nameTok.text)) {
          const reason = nameTok.text === METRIC_NAME ? 'metric name must not be set twice' : `duplicate label name ${JSON.stringify(nameTok.text)}`;
          this.fail(nameTok.pos, reason);
        }
        pairs.push([nameTok.text, value]);
        if (this.isPunct(',')) this.advance();
        else if (!this.isPunct('}')) this.unexpected('series description', '"," or "}"');
      }
      this.advance();
    }
    if (!this.atEnd()) this.unexpected('series description', pairs.length === 0 ? 'metric name or "{"' : 'end of input');
    const labels = normalizeLabels(pairs);
    if (labels.length === 0) this.fail(start, 'series description must contain at least one non-empty label');
    return labels;
  }

  // --- tokens and errors ---

  private advance(): Token {
    const t = this.tok;
    this.tok = this.ahead ?? this.lexer.next();
    this.ahead = undefined;
    return t;
  }

  private peek(): Token {
    this.ahead ??= this.lexer.next();
    return this.ahead;
  }

  // A method rather than a field test, so TypeScript does not keep a narrowing of `tok` across advances.
  private atEnd(): boolean {
    return this.tok.kind === 'eof';
  }

  private isPunct(text: string, t: Token = this.tok): boolean {
    return t.kind === 'punct' && t.text === text;
  }

  private isWord(lower: string, t: Token = this.tok): boolean {
    return t.kind === 'word' && t.text.toLowerCase() === lower;
  }

  private fail(pos: number, reason: string): never {
    throw new PromQLParseError(this.input, pos, reason);
  }

  private describe(t: Token): string {
    switch (t.kind) {
      case 'eof':
        return 'end of input';
      case 'punct':
        return JSON.stringify(t.text);
      case 'word':
        if (KEYWORDS.has(t.text.toLowerCase())) return `keyword ${JSON.stringify(t.text)}`;
        return `${t.text.includes(':') ? 'metric name' : 'identifier'} ${JSON.stringify(t.text)}`;
      default:
        return `${t.kind} ${t.kind === 'string' ? t.text : JSON.stringify(t.text)}`;
    }
  }

  private unexpected(context: string | undefined, expected: string): never {
    // At the end of input the context adds nothing: what is missing is what was expected.
    const where = context && !this.atEnd() ? ` in ${context}` : '';
    this.fail(this.tok.pos, `unexpected ${this.describe(this.tok)}${where}, expected ${expected}`);
  }

  private expect(text: string, context?: string): Token {
    if (!this.isPunct(text)) this.unexpected(context, JSON.stringify(text));
    return this.advance();
  }

  private at<T extends Expr>(pos: number, node: T): T {
    this.starts.set(node, pos);
    return node;
  }

  private startOf(e: Expr): number {
    return this.starts.get(e) ?? 0;
  }

  // --- expressions ---

  private binaryOp(): BinaryOp | undefined {
    const t = this.tok;
    if (t.kind === 'punct') return t.text in PRECEDENCE ? (t.text as BinaryOp) : undefined;
    if (t.kind === 'word') {
      const lower = t.text.toLowerCase() as BinaryOp;
      return WORD_OPS.has(lower) ? lower : undefined;
    }
    return undefined;
  }

  private expr(minPrecedence: number): Expr {
    let lhs = this.unary();
    for (let op = this.binaryOp(); op !== undefined && PRECEDENCE[op] >= minPrecedence; op = this.binaryOp()) {
      const opPos = this.advance().pos;
      const modifiers = this.binaryModifiers(op);
      // `^` is right-associative: its right side may hold another `^` of the same level.
      const rhs = this.expr(op === '^' ? PRECEDENCE[op] : PRECEDENCE[op] + 1);
      lhs = this.at(this.startOf(lhs), this.binary(op, opPos, lhs, rhs, modifiers));
    }
    return lhs;
  }

  // Unary minus binds like `*` but lets `^` in first, so `-a ^ b` is `-(a ^ b)` as in Prometheus.
  private unary(): Expr {
    if (!this.isPunct('-') && !this.isPunct('+')) return this.postfix(this.primary());
    const t = this.advance();
    const operand = this.expr(POW_PRECEDENCE);
    if (operand.type !== 'scalar' && operand.type !== 'vector') {
      this.fail(t.pos, `unary expression only allowed on expressions of type scalar or instant vector, got ${TYPE_NAMES[operand.type]}`);
    }
    return this.at(t.pos, { kind: 'unary', op: t.text as '-' | '+', expr: operand, type: operand.type });
  }

  private primary(): Expr {
    const t = this.tok;
    switch (t.kind) {
      case 'number':
        this.advance();
        return this.at(t.pos, { kind: 'number', value: this.numberValue(t), type: 'scalar' });
      case 'string':
        this.advance();
        return this.at(t.pos, { kind: 'string', value: t.value, type: 'string' });
      case 'duration':
        this.fail(t.pos, `unexpected duration ${JSON.stringify(t.text)}, expected expression (durations only follow "[" or offset)`);
      case 'eof':
        this.unexpected(undefined, 'expression');
      case 'punct':
        if (t.text === '(') {
          this.advance();
          const inner = this.expr(1);
          this.expect(')', 'parenthesised expression');
          return this.at(t.pos, { kind: 'paren', expr: inner, type: inner.type });
        }
        if (t.text === '{') return this.selector(undefined, t.pos);
        this.unexpected(undefined, 'expression');
      case 'word':
        return this.wordExpr(t);
    }
  }

  private wordExpr(t: Token): Expr {
    const lower = t.text.toLowerCase();
    const next = this.peek();
    if (lower === 'inf' || lower === 'nan') {
      this.advance();
      return this.at(t.pos, { kind: 'number', value: lower === 'inf' ? Infinity : NaN, type: 'scalar' });
    }
    if (AGGREGATES.has(lower as AggregateOp) && (this.isPunct('(', next) || this.isWord('by', next) || this.isWord('without', next))) {
      return this.aggregate(lower as AggregateOp);
    }
    if (NOT_METRIC_NAMES.has(lower)) {
      const hint = lower.startsWith('group_') ? ` (${lower} must follow on(...) or ignoring(...))` : '';
      this.unexpected(undefined, `expression${hint}`);
    }
    if (this.isPunct('(', next) && !KEYWORDS.has(lower) && !t.text.includes(':')) return this.call();
    this.advance();
    return this.selector(t.text, t.pos);
  }

  // Prometheus reads integers as Go's strconv.ParseInt with base 0 does, so a leading 0 is octal.
  private numberValue(t: Token): number {
    const text = t.text;
    const value = /^0[xX]/.test(text) ? parseInt(text.slice(2), 16) : /^0[0-7]+$/.test(text) ? parseInt(text, 8) : Number(text);
    if (!Number.isFinite(value)) this.fail(t.pos, `number ${JSON.stringify(text)} is out of range`);
    return value;
  }

  private postfix(expr: Expr): Expr {
    for (;;) {
      if (this.isPunct('[')) expr = this.range(expr);
      else if (this.isWord('offset')) expr = this.offset(expr);
      else if (this.isPunct('@')) this.fail(this.tok.pos, 'the @ modifier is not supported');
      else return expr;
    }
  }

  private duration(context: string, negative = false): number {
    const t = this.tok;
    if (t.kind === 'number' && /^[0-9]+$/.test(t.text)) this.fail(t.pos, `missing unit character in duration ${JSON.stringify(t.text)}`);
    if (t.kind !== 'duration') this.unexpected(context, 'duration');
    this.advance();
    let ms: number;
    try {
      ms = parsePromDuration(t.text);
    } catch (err) {
      this.fail(t.pos, (err as Error).message);
    }
    if (ms === 0) this.fail(t.pos, 'duration must be greater than 0');
    return negative ? -ms : ms;
  }

  private range(expr: Expr): Expr {
    const open = this.advance();
    if (this.isPunct(':')) this.fail(this.tok.pos, 'subqueries are not supported');
    if (this.atEnd()) this.fail(open.pos, 'unclosed left bracket');
    const rangeMs = this.duration('range selector');
    if (this.isPunct(':')) this.fail(this.tok.pos, 'subqueries are not supported');
    if (this.atEnd()) this.fail(open.pos, 'unclosed left bracket');
    this.expect(']', 'range selector');
    if (expr.kind !== 'selector') this.fail(open.pos, 'ranges only allowed for vector selectors');
    if (expr.offsetMs !== 0) this.fail(open.pos, 'no offset modifiers allowed before range');
    return this.at(this.startOf(expr), { kind: 'matrix', selector: expr, rangeMs, type: 'matrix' });
  }

  private offset(expr: Expr): Expr {
    const kw = this.advance();
    const negative = this.isPunct('-');
    if (negative) this.advance();
    const offsetMs = this.duration('offset', negative);
    const selector = expr.kind === 'selector' ? expr : expr.kind === 'matrix' ? expr.selector : undefined;
    if (!selector) this.fail(kw.pos, 'offset modifier must be preceded by an instant vector selector or range vector selector');
    if (selector.offsetMs !== 0) this.fail(kw.pos, 'offset may not be set multiple times');
    selector.offsetMs = offsetMs;
    return expr;
  }

  private labelName(context: string, closeAllowed: boolean): Token {
    const t = this.tok;
    if (t.kind !== 'word' || t.text.includes(':')) this.unexpected(context, closeAllowed ? 'label name or "}"' : 'label name');
    return this.advance();
  }

  private selector(name: string | undefined, pos: number): Selector {
    const matchers: LabelMatcher[] = [];
    if (this.isPunct('{')) {
      this.advance();
      while (!this.isPunct('}')) {
        matchers.push(this.matcher());
        if (this.isPunct(',')) this.advance();
        else if (!this.isPunct('}')) this.unexpected('label matching', '"," or "}"');
      }
      this.advance();
    }
    const named = matchers.find((m) => m.name === METRIC_NAME);
    if (name !== undefined && named) this.fail(pos, `metric name must not be set twice: ${JSON.stringify(name)} or ${JSON.stringify(named.value)}`);
    if (name === undefined && matchers.every(matchesEmpty)) this.fail(pos, 'vector selector must contain at least one non-empty matcher');
    const node: Selector =
      name === undefined
        ? { kind: 'selector', matchers, offsetMs: 0, type: 'vector' }
        : { kind: 'selector', name, matchers: [{ name: METRIC_NAME, op: '=', value: name }, ...matchers], offsetMs: 0, type: 'vector' };
    return this.at(pos, node);
  }

  private matcher(): LabelMatcher {
    const nameTok = this.labelName('label matching', true);
    const opTok = this.tok;
    if (opTok.kind !== 'punct' || !MATCH_OPS.has(opTok.text)) this.unexpected('label matching', 'label matching operator');
    this.advance();
    const valueTok = this.tok;
    if (valueTok.kind !== 'string') this.unexpected('label matching', 'string');
    this.advance();
    const op = opTok.text as MatchOp;
    if (op === '=~' || op === '!~') {
      try {
        compilePromRegex(valueTok.value);
      } catch (err) {
        this.fail(valueTok.pos, `invalid regular expression in matcher ${nameTok.text}${op}${valueTok.text}: ${(err as Error).message}`);
      }
    }
    return { name: nameTok.text, op, value: valueTok.value };
  }

  private labelList(context: string): string[] {
    this.expect('(', context);
    const labels: string[] = [];
    while (!this.isPunct(')')) {
      const t = this.tok;
      if (t.kind !== 'word' || t.text.includes(':') || /^(?:inf|nan)$/i.test(t.text)) {
        this.unexpected(context, labels.length === 0 ? 'label or ")"' : 'label');
      }
      labels.push(this.advance().text);
      if (this.isPunct(',')) this.advance();
      else if (!this.isPunct(')')) this.unexpected(context, '"," or ")"');
    }
    this.advance();
    return labels;
  }

  private args(): { args: Expr[]; positions: number[] } {
    this.expect('(');
    const args: Expr[] = [];
    const positions: number[] = [];
    if (this.isPunct(')')) {
      this.advance();
      return { args, positions };
    }
    for (;;) {
      positions.push(this.tok.pos);
      args.push(this.expr(1));
      if (this.isPunct(')')) break;
      if (!this.isPunct(',')) this.unexpected('argument list', '"," or ")"');
      const comma = this.advance();
      if (this.isPunct(')')) this.fail(comma.pos, 'trailing commas not allowed in function call args');
    }
    this.advance();
    return { args, positions };
  }

  private aggregate(op: AggregateOp): Expr {
    const pos = this.advance().pos;
    const modifier = (): { grouping: string[]; without: boolean } | undefined => {
      if (!this.isWord('by') && !this.isWord('without')) return undefined;
      const without = this.isWord('without');
      this.advance();
      return { grouping: this.labelList(without ? 'without clause' : 'by clause'), without };
    };
    const before = modifier();
    const { args, positions } = this.args();
    const { grouping, without } = before ?? modifier() ?? { grouping: [], without: false };
    const paramType = PARAM_TYPE[op];
    if (args.length === 0) this.fail(pos, `no arguments for aggregate expression ${JSON.stringify(op)} provided`);
    const want = paramType ? 2 : 1;
    if (args.length !== want) this.fail(pos, `wrong number of arguments for aggregate expression ${JSON.stringify(op)}: expected ${want}, got ${args.length}`);
    const expr = args[want - 1]!;
    if (paramType) {
      const param = args[0]!;
      if (param.type !== paramType) this.fail(positions[0]!, `expected type ${TYPE_NAMES[paramType]} in aggregation parameter, got ${TYPE_NAMES[param.type]}`);
    }
    if (expr.type !== 'vector') this.fail(positions[want - 1]!, `expected type instant vector in aggregation expression, got ${TYPE_NAMES[expr.type]}`);
    const node: Expr = paramType ? { kind: 'aggregate', op, expr, param: args[0]!, grouping, without, type: 'vector' } : { kind: 'aggregate', op, expr, grouping, without, type: 'vector' };
    return this.at(pos, node);
  }

  private call(): Expr {
    const nameTok = this.advance();
    const func = nameTok.text;
    const sig = Object.hasOwn(FUNCTIONS, func) ? FUNCTIONS[func] : undefined;
    if (!sig) this.fail(nameTok.pos, `unknown function ${JSON.stringify(func)}`);
    const { args, positions } = this.args();
    const min = sig.optionalFrom ?? sig.args.length;
    const max = sig.variadic ? Infinity : sig.args.length;
    if (args.length < min || args.length > max) {
      const bound = min === max ? `${min}` : args.length < min ? `at least ${min}` : `at most ${max}`;
      this.fail(nameTok.pos, `expected ${bound} argument(s) in call to function ${JSON.stringify(func)}, got ${args.length}`);
    }
    args.forEach((arg, i) => {
      const want = sig.args[Math.min(i, sig.args.length - 1)]!;
      if (arg.type !== want) {
        this.fail(positions[i]!, `expected type ${TYPE_NAMES[want]} in call to function ${JSON.stringify(func)}, got ${TYPE_NAMES[arg.type]} (argument ${i + 1})`);
      }
    });
    return this.at(nameTok.pos, { kind: 'call', func, args, type: sig.returns });
  }

  // --- binary expressions ---

  private binaryModifiers(op: BinaryOp): BinaryModifiers {
    const mods: BinaryModifiers = { bool: false, include: [] };
    if (this.isWord('bool')) {
      if (!isComparison(op)) this.fail(this.tok.pos, 'bool modifier can only be used on comparison operators');
      this.advance();
      mods.bool = true;
    }
    if (this.isWord('on') || this.isWord('ignoring')) {
      const t = this.advance();
      const on = t.text.toLowerCase() === 'on';
      mods.matching = { pos: t.pos, on, labels: this.labelList(on ? 'on clause' : 'ignoring clause') };
      if (this.isWord('group_left') || this.isWord('group_right')) {
        const g = this.advance();
        mods.group = { pos: g.pos, side: g.text.toLowerCase() === 'group_left' ? 'left' : 'right' };
        if (this.isPunct('(')) mods.include = this.labelList(`${g.text.toLowerCase()} clause`);
      }
    } else if (this.isWord('group_left') || this.isWord('group_right')) {
      this.fail(this.tok.pos, `${this.tok.text.toLowerCase()} must follow on(...) or ignoring(...)`);
    }
    return mods;
  }

  private binary(op: BinaryOp, opPos: number, lhs: Expr, rhs: Expr, mods: BinaryModifiers): Expr {
    for (const side of [lhs, rhs]) {
      if (side.type !== 'scalar' && side.type !== 'vector') {
        this.fail(this.startOf(side), `binary expression must contain only scalar and instant vector types, got ${TYPE_NAMES[side.type]}`);
      }
    }
    const scalarSide = lhs.type === 'scalar' || rhs.type === 'scalar';
    const bothScalar = lhs.type === 'scalar' && rhs.type === 'scalar';
    const setOp = SET_OPS.has(op);
    if (isComparison(op) && bothScalar && !mods.bool) {
      this.fail(opPos, 'comparisons between scalars must use bool modifier');
    }
    if (setOp && scalarSide) this.fail(opPos, `set operator ${JSON.stringify(op)} not allowed in binary scalar expression`);
    if (mods.matching && scalarSide) this.fail(mods.matching.pos, 'vector matching only allowed between instant vectors');
    if (mods.group && setOp) this.fail(mods.group.pos, `no grouping allowed for ${JSON.stringify(op)} operation`);
    if (mods.matching?.on) {
      const both = mods.include.find((l) => mods.matching!.labels.includes(l));
      if (both !== undefined) this.fail(mods.group!.pos, `label ${JSON.stringify(both)} must not occur in ON and GROUP clause at once`);
    }
    if (scalarSide) return { kind: 'binary', op, lhs, rhs, bool: mods.bool, type: bothScalar ? 'scalar' : 'vector' };
    const card: VectorMatching['card'] = setOp ? 'many-to-many' : mods.group?.side === 'left' ? 'many-to-one' : mods.group?.side === 'right' ? 'one-to-many' : 'one-to-one';
    const matching: VectorMatching = { card, on: mods.matching?.on ?? false, labels: mods.matching?.labels ?? [], include: mods.include };
    return { kind: 'binary', op, lhs, rhs, bool: mods.bool, matching, type: 'vector' };
  }
}

interface BinaryModifiers {
  bool: boolean;
  matching?: { pos: number; on: boolean; labels: string[] };
  group?: { pos: number; side: 'left' | 'right' };
  include: string[];
}
