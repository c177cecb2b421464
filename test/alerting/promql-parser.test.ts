// The PromQL lexer, parser, regex translation and printer: the trees the evaluator relies on,
// Prometheus' precedence and type rules, error positions and wording, and print/parse round trips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Expr, LabelMatcher, VectorMatching } from '../../src/alerting/promql/ast.js';
import { FUNCTIONS } from '../../src/alerting/promql/functions.js';
import { formatDuration, formatExpr } from '../../src/alerting/promql/format.js';
import { parseExpr, parseMetric, parsePromDuration, PromQLParseError } from '../../src/alerting/promql/parser.js';
import { compilePromRegex } from '../../src/alerting/promql/regex.js';

type Selector = Extract<Expr, { kind: 'selector' }>;

const sel = (name: string, matchers: LabelMatcher[] = [], offsetMs = 0): Selector => ({
  kind: 'selector',
  name,
  matchers: [{ name: '__name__', op: '=', value: name }, ...matchers],
  offsetMs,
  type: 'vector',
});
const num = (value: number): Expr => ({ kind: 'number', value, type: 'scalar' });
const str = (value: string): Expr => ({ kind: 'string', value, type: 'string' });
const matrix = (selector: Selector, rangeMs: number): Expr => ({ kind: 'matrix', selector, rangeMs, type: 'matrix' });
const ONE_TO_ONE: VectorMatching = { card: 'one-to-one', on: false, labels: [], include: [] };
const MANY_TO_MANY: VectorMatching = { card: 'many-to-many', on: false, labels: [], include: [] };
const vv = (op: Extract<Expr, { kind: 'binary' }>['op'], lhs: Expr, rhs: Expr, matching: VectorMatching = ONE_TO_ONE, bool = false): Expr => ({
  kind: 'binary',
  op,
  lhs,
  rhs,
  bool,
  matching,
  type: 'vector',
});
const scalarOp = (op: Extract<Expr, { kind: 'binary' }>['op'], lhs: Expr, rhs: Expr, type: 'scalar' | 'vector' = 'scalar', bool = false): Expr => ({
  kind: 'binary',
  op,
  lhs,
  rhs,
  bool,
  type,
});

function parseError(input: string): PromQLParseError {
  try {
    parseExpr(input);
  } catch (err) {
    assert.ok(err instanceof PromQLParseError, `expected a PromQLParseError, got ${String(err)}`);
    return err;
  }
  assert.fail(`${JSON.stringify(input)} parsed`);
}

// --- literals ---

test('numbers: decimal, scientific, hex, Go octal, Inf and NaN in any case', () => {
  const cases: [string, number][] = [
    ['42', 42],
    ['1.5', 1.5],
    ['.5', 0.5],
    ['5.', 5],
    ['1e3', 1000],
    ['2.5E-2', 0.025],
    ['1e+3', 1000],
    ['0x1F', 31],
    ['0X1f', 31],
    // Prometheus parses integers as strconv.ParseInt(s, 0, 64) does: a leading 0 means octal.
    ['010', 8],
    ['09', 9],
    ['Inf', Infinity],
    ['inf', Infinity],
    ['INF', Infinity],
  ];
  for (const [input, value] of cases) assert.deepEqual(parseExpr(input), num(value), input);
  for (const input of ['NaN', 'nan', 'nAn']) assert.deepEqual(parseExpr(input), num(NaN), input);
  assert.deepEqual(parseExpr('-1'), { kind: 'unary', op: '-', expr: num(1), type: 'scalar' });
  assert.deepEqual(parseExpr('+Inf'), { kind: 'unary', op: '+', expr: num(Infinity), type: 'scalar' });
});

test('strings: both quotes with Go escapes, raw strings verbatim; top level may be a string', () => {
  assert.deepEqual(parseExpr('"a\\"b"'), str('a"b'));
  assert.deepEqual(parseExpr("'it\\'s'"), str("it's"));
  assert.deepEqual(parseExpr('"\\n\\t\\r\\\\\\a\\b\\f\\v"'), str('\n\t\r\\\x07\b\f\v'));
  assert.deepEqual(parseExpr('"\\x41\\101\\u00e9\\U0001F600"'), str('AAé😀'));
  // \x and octal escapes are bytes, so a run of them spells UTF-8.
  assert.deepEqual(parseExpr('"\\xe2\\x82\\xac"'), str('€'));
  assert.deepEqual(parseExpr("'say \"hi\"'"), str('say "hi"'));
  assert.deepEqual(parseExpr('`a\\d+\n"b"`'), str('a\\d+\n"b"'));
  assert.deepEqual(parseExpr('`a\r\nb`'), str('a\nb'));
});

test('comments and newlines are whitespace', () => {
  assert.deepEqual(parseExpr('# leading\nup # trailing\n  # more\n'), sel('up'));
  assert.deepEqual(parseExpr('a\n+\nb'), vv('+', sel('a'), sel('b')));
  assert.deepEqual(parseExpr('up{job="#not a comment"}'), sel('up', [{ name: 'job', op: '=', value: '#not a comment' }]));
});

// --- selectors ---

test('vector selectors: name first as a __name__ matcher, every match operator, trailing comma', () => {
  assert.deepEqual(parseExpr('up'), sel('up'));
  assert.deepEqual(parseExpr('job:errors:rate5m'), sel('job:errors:rate5m'));
  assert.deepEqual(parseExpr(':leading_colon'), sel(':leading_colon'));
  assert.deepEqual(parseExpr('up{}'), sel('up'));
  assert.deepEqual(
    parseExpr(`http_requests_total{job="api", code!="200", path=~"/v1/.*", method!~'GET|HEAD',}`),
    sel('http_requests_total', [
      { name: 'job', op: '=', value: 'api' },
      { name: 'code', op: '!=', value: '200' },
      { name: 'path', op: '=~', value: '/v1/.*' },
      { name: 'method', op: '!~', value: 'GET|HEAD' },
    ]),
  );
  assert.deepEqual(parseExpr('{__name__=~"up|down", job="a"}'), {
    kind: 'selector',
    matchers: [
      { name: '__name__', op: '=~', value: 'up|down' },
      { name: 'job', op: '=', value: 'a' },
    ],
    offsetMs: 0,
    type: 'vector',
  });
  assert.deepEqual(parseExpr('{job=~".+"}'), { kind: 'selector', matchers: [{ name: 'job', op: '=~', value: '.+' }], offsetMs: 0, type: 'vector' });
});

test('keywords are plain label names inside braces, and some name metrics as in Prometheus', () => {
  assert.deepEqual(
    parseExpr('x{and="1", by="2", offset="3", inf="4"}'),
    sel('x', [
      { name: 'and', op: '=', value: '1' },
      { name: 'by', op: '=', value: '2' },
      { name: 'offset', op: '=', value: '3' },
      { name: 'inf', op: '=', value: '4' },
    ]),
  );
  assert.deepEqual(parseExpr('sum'), sel('sum'));
  assert.deepEqual(parseExpr('sum + 1'), scalarOp('+', sel('sum'), num(1), 'vector'));
  assert.deepEqual(parseExpr('offset'), sel('offset'));
  assert.deepEqual(parseExpr('count{job="a"}'), sel('count', [{ name: 'job', op: '=', value: 'a' }]));
});

test('range selectors and offsets, including negative offsets and compound durations', () => {
  assert.deepEqual(parseExpr('x[5m]'), matrix(sel('x'), 300_000));
  assert.deepEqual(parseExpr('x{a="b"}[1h30m]'), matrix(sel('x', [{ name: 'a', op: '=', value: 'b' }]), 5_400_000));
  assert.deepEqual(parseExpr('x offset 5m'), sel('x', [], 300_000));
  assert.deepEqual(parseExpr('x OFFSET -1d'), sel('x', [], -86_400_000));
  assert.deepEqual(parseExpr('x[10s] offset 1w'), matrix(sel('x', [], 604_800_000), 10_000));
  assert.deepEqual(parseExpr('x[1y2w3d4h5m6s7ms]'), matrix(sel('x'), parsePromDuration('1y2w3d4h5m6s7ms')));
  // offset binds tighter than any operator, unary minus included.
  assert.deepEqual(parseExpr('-x offset 1m'), { kind: 'unary', op: '-', expr: sel('x', [], 60_000), type: 'vector' });
  assert.deepEqual(parseExpr('a + b offset 1m'), vv('+', sel('a'), sel('b', [], 60_000)));
});

// --- operators ---

test('binary precedence from or (lowest) to ^ (highest), left-associative except ^', () => {
  const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((n) => sel(n)) as [Selector, Selector, Selector, Selector];
  assert.deepEqual(parseExpr('a or b and c'), vv('or', a, vv('and', b, c, MANY_TO_MANY), MANY_TO_MANY));
  assert.deepEqual(parseExpr('a and b unless c'), vv('unless', vv('and', a, b, MANY_TO_MANY), c, MANY_TO_MANY));
  assert.deepEqual(parseExpr('a unless b == c'), vv('unless', a, vv('==', b, c), MANY_TO_MANY));
  assert.deepEqual(parseExpr('a > b + c'), vv('>', a, vv('+', b, c)));
  assert.deepEqual(parseExpr('a + b * c'), vv('+', a, vv('*', b, c)));
  assert.deepEqual(parseExpr('a - b - c'), vv('-', vv('-', a, b), c));
  assert.deepEqual(parseExpr('a / b % c atan2 d'), vv('atan2', vv('%', vv('/', a, b), c), d));
  assert.deepEqual(parseExpr('a * b ^ c'), vv('*', a, vv('^', b, c)));
  assert.deepEqual(parseExpr('a ^ b ^ c'), vv('^', a, vv('^', b, c)));
  assert.deepEqual(parseExpr('a <= b != c'), vv('!=', vv('<=', a, b), c));
  assert.deepEqual(parseExpr('(a + b) * c'), vv('*', { kind: 'paren', expr: vv('+', a, b), type: 'vector' }, c));
});

test('unary minus binds tighter than * but looser than ^', () => {
  const [a, b] = [sel('a'), sel('b')];
  const neg = (e: Expr): Expr => ({ kind: 'unary', op: '-', expr: e, type: e.type });
  assert.deepEqual(parseExpr('-a ^ b'), neg(vv('^', a, b)));
  assert.deepEqual(parseExpr('-a * b'), vv('*', neg(a), b));
  assert.deepEqual(parseExpr('a * -b'), vv('*', a, neg(b)));
  assert.deepEqual(parseExpr('2 ^ -1'), scalarOp('^', num(2), neg(num(1))));
  assert.deepEqual(parseExpr('- -1'), neg(neg(num(1))));
  assert.deepEqual(parseExpr('-2 ^ 2'), neg(scalarOp('^', num(2), num(2))));
});

test('operator keywords, modifiers and aggregations are case-insensitive', () => {
  assert.deepEqual(parseExpr('a AND b'), parseExpr('a and b'));
  assert.deepEqual(parseExpr('a Or b UNLESS c'), parseExpr('a or b unless c'));
  assert.deepEqual(parseExpr('a ATAN2 b'), parseExpr('a atan2 b'));
  assert.deepEqual(parseExpr('a > BOOL ON(x) GROUP_LEFT(y) b'), parseExpr('a > bool on(x) group_left(y) b'));
  assert.deepEqual(parseExpr('a / IGNORING(x) Group_Right b'), parseExpr('a / ignoring(x) group_right b'));
  assert.deepEqual(parseExpr('SUM BY (job) (x)'), parseExpr('sum by (job) (x)'));
  assert.deepEqual(parseExpr('Count_Values("v", x) WITHOUT (a)'), parseExpr('count_values without (a) ("v", x)'));
});

test('types of binary expressions, and bool on comparisons', () => {
  assert.deepEqual(parseExpr('1 + 2'), scalarOp('+', num(1), num(2)));
  assert.deepEqual(parseExpr('x * 2'), scalarOp('*', sel('x'), num(2), 'vector'));
  assert.deepEqual(parseExpr('2 - x'), scalarOp('-', num(2), sel('x'), 'vector'));
  assert.deepEqual(parseExpr('1 > bool 2'), scalarOp('>', num(1), num(2), 'scalar', true));
  assert.deepEqual(parseExpr('x >= bool 2'), scalarOp('>=', sel('x'), num(2), 'vector', true));
  assert.deepEqual(parseExpr('x < 2'), scalarOp('<', sel('x'), num(2), 'vector'));
  assert.deepEqual(parseExpr('a == bool b'), vv('==', sel('a'), sel('b'), ONE_TO_ONE, true));
  assert.equal(parseExpr('time() - 1').type, 'scalar');
  assert.equal(parseExpr('scalar(x) * 2').type, 'scalar');
});

test('vector matching: on/ignoring and group_left/group_right set card and labels', () => {
  const [a, b] = [sel('a'), sel('b')];
  assert.deepEqual(parseExpr('a + on(job, instance) b'), vv('+', a, b, { card: 'one-to-one', on: true, labels: ['job', 'instance'], include: [] }));
  assert.deepEqual(parseExpr('a + ignoring(code) b'), vv('+', a, b, { card: 'one-to-one', on: false, labels: ['code'], include: [] }));
  assert.deepEqual(parseExpr('a * on() b'), vv('*', a, b, { card: 'one-to-one', on: true, labels: [], include: [] }));
  assert.deepEqual(parseExpr('a * on(job) group_left(team, owner) b'), vv('*', a, b, { card: 'many-to-one', on: true, labels: ['job'], include: ['team', 'owner'] }));
  assert.deepEqual(parseExpr('a / ignoring(x) group_right b'), vv('/', a, b, { card: 'one-to-many', on: false, labels: ['x'], include: [] }));
  assert.deepEqual(parseExpr('a / ignoring(x,) group_right() b'), vv('/', a, b, { card: 'one-to-many', on: false, labels: ['x'], include: [] }));
  assert.deepEqual(parseExpr('a and on(job) b'), vv('and', a, b, { card: 'many-to-many', on: true, labels: ['job'], include: [] }));
  assert.deepEqual(parseExpr('a == bool ignoring(x) b'), vv('==', a, b, { card: 'one-to-one', on: false, labels: ['x'], include: [] }, true));
  // A parenthesis right after group_left is its label list, as in Prometheus.
  assert.deepEqual(parseExpr('a * on(x) group_left (y) b'), vv('*', a, b, { card: 'many-to-one', on: true, labels: ['x'], include: ['y'] }));
  // Keywords may name grouping labels.
  assert.deepEqual(parseExpr('a + on(sum, by, bool) b'), vv('+', a, b, { card: 'one-to-one', on: true, labels: ['sum', 'by', 'bool'], include: [] }));
});

// --- aggregations and calls ---

test('aggregations: grouping before or after, without, empty by, parameters', () => {
  const x = sel('x');
  assert.deepEqual(parseExpr('sum(x)'), { kind: 'aggregate', op: 'sum', expr: x, grouping: [], without: false, type: 'vector' });
  assert.deepEqual(parseExpr('sum by (job, code) (x)'), { kind: 'aggregate', op: 'sum', expr: x, grouping: ['job', 'code'], without: false, type: 'vector' });
  assert.deepEqual(parseExpr('sum(x) by (job)'), parseExpr('sum by (job) (x)'));
  assert.deepEqual(parseExpr('avg without (instance,) (x)'), { kind: 'aggregate', op: 'avg', expr: x, grouping: ['instance'], without: true, type: 'vector' });
  assert.deepEqual(parseExpr('max by () (x)'), { kind: 'aggregate', op: 'max', expr: x, grouping: [], without: false, type: 'vector' });
  assert.deepEqual(parseExpr('topk(3, x)'), { kind: 'aggregate', op: 'topk', expr: x, param: num(3), grouping: [], without: false, type: 'vector' });
  assert.deepEqual(parseExpr('quantile by (le) (0.9, x)'), { kind: 'aggregate', op: 'quantile', expr: x, param: num(0.9), grouping: ['le'], without: false, type: 'vector' });
  assert.deepEqual(parseExpr('count_values("value", x)'), { kind: 'aggregate', op: 'count_values', expr: x, param: str('value'), grouping: [], without: false, type: 'vector' });
  for (const op of ['min', 'count', 'stddev', 'stdvar', 'group', 'bottomk']) {
    const e = parseExpr(op === 'bottomk' ? `${op}(1, x)` : `${op}(x)`);
    assert.equal(e.kind === 'aggregate' && e.op, op);
  }
});

test('function calls take their result type from the signature; optional and variadic arguments', () => {
  assert.deepEqual(parseExpr('rate(x[5m])'), { kind: 'call', func: 'rate', args: [matrix(sel('x'), 300_000)], type: 'vector' });
  assert.deepEqual(parseExpr('time()'), { kind: 'call', func: 'time', args: [], type: 'scalar' });
  assert.deepEqual(parseExpr('scalar(x)'), { kind: 'call', func: 'scalar', args: [sel('x')], type: 'scalar' });
  assert.deepEqual(parseExpr('round(x)'), { kind: 'call', func: 'round', args: [sel('x')], type: 'vector' });
  assert.deepEqual(parseExpr('round(x, 0.5)'), { kind: 'call', func: 'round', args: [sel('x'), num(0.5)], type: 'vector' });
  assert.equal(parseExpr('label_join(x, "dst", ",")').type, 'vector');
  const join = parseExpr('label_join(x, "dst", ",", "a", "b", "c")');
  assert.equal(join.kind === 'call' && join.args.length, 6);
  assert.deepEqual(parseExpr('histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m])))').type, 'vector');
  // Parenthesised arguments keep their type, a range vector included.
  assert.deepEqual(parseExpr('rate((x[5m]))'), { kind: 'call', func: 'rate', args: [{ kind: 'paren', expr: matrix(sel('x'), 300_000), type: 'matrix' }], type: 'vector' });
  assert.deepEqual(parseExpr('label_replace(x, "dst", "$1", "src", ("(.*)"))').type, 'vector');
});

test('every node type is set, whatever the top level is', () => {
  assert.equal(parseExpr('x[5m]').type, 'matrix');
  assert.equal(parseExpr('"s"').type, 'string');
  assert.equal(parseExpr('(1)').type, 'scalar');
  assert.equal(parseExpr('(x)').type, 'vector');
  assert.equal(parseExpr('-time()').type, 'scalar');
  assert.equal(parseExpr('-x').type, 'vector');
});

// --- errors ---

test('syntax errors carry line:column, what was found and what was expected', () => {
  const cases: [string, string][] = [
    ['up{job="a", inst}', '1:17: unexpected "}" in label matching, expected label matching operator'],
    ['', '1:1: no expression found in input'],
    ['  # only a comment', '1:19: no expression found in input'],
    ['(x', '1:3: unexpected end of input, expected ")"'],
    ['(x y)', '1:4: unexpected identifier "y" in parenthesised expression, expected ")"'],
    ['x y', '1:3: unexpected identifier "y", expected operator or end of input'],
    ['x)', '1:2: unexpected ")", expected operator or end of input'],
    ['sum(x) by (a) by (b)', '1:15: unexpected keyword "by", expected operator or end of input'],
    ['[5m]', '1:1: unexpected "[", expected expression'],
    ['x +', '1:4: unexpected end of input, expected expression'],
    ['bool', '1:1: unexpected keyword "bool", expected expression'],
    ['x{a="b" c="d"}', '1:9: unexpected identifier "c" in label matching, expected "," or "}"'],
    ['x{"a"="b"}', '1:3: unexpected string "a" in label matching, expected label name or "}"'],
    ['x{a="b"', '1:8: unexpected end of input, expected "," or "}"'],
    ['x{a=b}', '1:5: unexpected identifier "b" in label matching, expected string'],
    ['x{a:b="c"}', '1:4: unexpected character inside braces: ":"'],
    ['x{a}', '1:4: unexpected "}" in label matching, expected label matching operator'],
    ['x{a="b"}{c="d"}', '1:9: unexpected "{", expected operator or end of input'],
    ['sum by x', '1:8: unexpected identifier "x" in by clause, expected "("'],
    ['sum by (inf) (x)', '1:9: unexpected identifier "inf" in by clause, expected label or ")"'],
    ['x + on(a b) y', '1:10: unexpected identifier "b" in on clause, expected "," or ")"'],
    ['rate(x[5m]', '1:11: unexpected end of input, expected "," or ")"'],
    ['rate(x[5m] y)', '1:12: unexpected identifier "y" in argument list, expected "," or ")"'],
    ['rate(x[5m],)', '1:11: trailing commas not allowed in function call args'],
    ['x !y', '1:3: unexpected character after "!": "y"'],
    ['x $ y', '1:3: unexpected character "$"'],
    ['5m', '1:1: unexpected duration "5m", expected expression (durations only follow "[" or offset)'],
    ['x * group_left y', '1:5: group_left must follow on(...) or ignoring(...)'],
    ['1e400', '1:1: number "1e400" is out of range'],
    ['0x', '1:1: bad number or duration syntax: "0x"'],
    ['1e', '1:1: bad number or duration syntax: "1e"'],
    ['12abc', '1:1: bad number or duration syntax: "12abc"'],
  ];
  for (const [input, message] of cases) assert.equal(parseError(input).message, message, input);
});

test('range, offset and unsupported-feature errors', () => {
  const cases: [string, string][] = [
    ['x[5m', '1:2: unclosed left bracket'],
    ['x[', '1:2: unclosed left bracket'],
    ['x[5m}', '1:5: unexpected "}" in range selector, expected "]"'],
    ['x[foo]', '1:3: unexpected identifier "foo" in range selector, expected duration'],
    ['x[5]', '1:3: missing unit character in duration "5"'],
    ['x[1.5m]', '1:3: bad number or duration syntax: "1.5m"'],
    ['x[1h1h]', '1:3: not a valid duration string: "1h1h" (use units y, w, d, h, m, s, ms, largest first, e.g. "1h30m")'],
    ['x[1m1h]', '1:3: not a valid duration string: "1m1h" (use units y, w, d, h, m, s, ms, largest first, e.g. "1h30m")'],
    ['x[0s]', '1:3: duration must be greater than 0'],
    ['x offset 0m', '1:10: duration must be greater than 0'],
    ['x offset', '1:9: unexpected end of input, expected duration'],
    ['x offset 5m offset 1m', '1:13: offset may not be set multiple times'],
    ['x offset 5m [5m]', '1:13: no offset modifiers allowed before range'],
    ['(x)[5m]', '1:4: ranges only allowed for vector selectors'],
    ['rate(x[5m])[5m]', '1:12: ranges only allowed for vector selectors'],
    ['x[5m][5m]', '1:6: ranges only allowed for vector selectors'],
    ['(x) offset 5m', '1:5: offset modifier must be preceded by an instant vector selector or range vector selector'],
    ['sum(x) offset 5m', '1:8: offset modifier must be preceded by an instant vector selector or range vector selector'],
    ['x @ 100', '1:3: the @ modifier is not supported'],
    ['x[5m] @ end()', '1:7: the @ modifier is not supported'],
    ['x[5m:1m]', '1:5: subqueries are not supported'],
    ['x[:1m]', '1:3: subqueries are not supported'],
    ['rate(x[5m])[5m:]', '1:15: subqueries are not supported'],
  ];
  for (const [input, message] of cases) assert.equal(parseError(input).message, message, input);
});

test('selector errors: empty matchers and a doubled metric name', () => {
  const cases: [string, string][] = [
    ['{}', '1:1: vector selector must contain at least one non-empty matcher'],
    ['{a=""}', '1:1: vector selector must contain at least one non-empty matcher'],
    ['{a!="x"}', '1:1: vector selector must contain at least one non-empty matcher'],
    ['{a=~".*"}', '1:1: vector selector must contain at least one non-empty matcher'],
    ['{a!~".+"}', '1:1: vector selector must contain at least one non-empty matcher'],
    ['x + {a=~"a?"}', '1:5: vector selector must contain at least one non-empty matcher'],
    ['x{__name__="y"}', '1:1: metric name must not be set twice: "x" or "y"'],
    ['x{__name__=~"x"}', '1:1: metric name must not be set twice: "x" or "x"'],
  ];
  for (const [input, message] of cases) assert.equal(parseError(input).message, message, input);
  assert.deepEqual(parseExpr('{a="", b="1"}').type, 'vector');
});

test('string and regex errors', () => {
  const cases: [string, string][] = [
    ['x{a="abc', '1:5: unterminated quoted string'],
    ['x{a="ab\nc"}', '1:5: unterminated quoted string'],
    ['x{a=`abc', '1:5: unterminated raw string'],
    ['x{a="\\q"}', '1:6: unknown escape sequence "\\q"'],
    // A quote may be escaped only inside its own kind of string, as in Go.
    ["x{a='\\\"'}", '1:6: unknown escape sequence "\\""'],
    ['x{a="\\\'"}', '1:6: unknown escape sequence "\\\'"'],
    ['x{a="\\x4"}', '1:6: invalid escape sequence "\\x4": expected 2 hex digits'],
    ['x{a="\\u12"}', '1:6: invalid escape sequence "\\u12": expected 4 hex digits'],
    ['x{a="\\01"}', '1:6: invalid escape sequence "\\01": expected 3 octal digits'],
    ['x{a="\\400"}', '1:6: octal escape "400" is greater than 255'],
    ['x{a="\\uD800"}', '1:6: escape sequence "\\uD800" is not a valid Unicode code point'],
    ['x{a="\\U00110000"}', '1:6: escape sequence "\\U00110000" is not a valid Unicode code point'],
    ['x{job=~"("}', '1:8: invalid regular expression in matcher job=~"(": missing closing )'],
    ['x{job!~"a{2,1001}"}', '1:8: invalid regular expression in matcher job!~"a{2,1001}": invalid repeat count `{2,1001}`'],
    ["x{job=~'(?=a)'}", "1:8: invalid regular expression in matcher job=~'(?=a)': invalid or unsupported Perl syntax `(?=`"],
  ];
  for (const [input, message] of cases) assert.equal(parseError(input).message, message, input);
});

test('type errors name the function, argument and types', () => {
  const cases: [string, string][] = [
    ['rat(x)', '1:1: unknown function "rat"'],
    ['RATE(x[5m])', '1:1: unknown function "RATE"'],
    ['constructor(x)', '1:1: unknown function "constructor"'],
    ['rate(x)', '1:6: expected type range vector in call to function "rate", got instant vector (argument 1)'],
    ['histogram_quantile(x, y)', '1:20: expected type scalar in call to function "histogram_quantile", got instant vector (argument 1)'],
    ['clamp(x, 1, "2")', '1:13: expected type scalar in call to function "clamp", got string (argument 3)'],
    ['label_join(x, "a", ",", "b", 1)', '1:30: expected type string in call to function "label_join", got scalar (argument 5)'],
    ['abs(x[5m])', '1:5: expected type instant vector in call to function "abs", got range vector (argument 1)'],
    ['round(x, 1, 2)', '1:1: expected at most 2 argument(s) in call to function "round", got 3'],
    ['label_join(x, "a")', '1:1: expected at least 3 argument(s) in call to function "label_join", got 2'],
    ['time(1)', '1:1: expected 0 argument(s) in call to function "time", got 1'],
    ['rate()', '1:1: expected 1 argument(s) in call to function "rate", got 0'],
    ['sum("a")', '1:5: expected type instant vector in aggregation expression, got string'],
    ['sum(x[5m])', '1:5: expected type instant vector in aggregation expression, got range vector'],
    ['topk(x, y)', '1:6: expected type scalar in aggregation parameter, got instant vector'],
    ['count_values(1, x)', '1:14: expected type string in aggregation parameter, got scalar'],
    ['sum(x, y)', '1:1: wrong number of arguments for aggregate expression "sum": expected 1, got 2'],
    ['topk(x)', '1:1: wrong number of arguments for aggregate expression "topk": expected 2, got 1'],
    ['sum()', '1:1: no arguments for aggregate expression "sum" provided'],
    ['-x[5m]', '1:1: unary expression only allowed on expressions of type scalar or instant vector, got range vector'],
    ['-"a"', '1:1: unary expression only allowed on expressions of type scalar or instant vector, got string'],
  ];
  for (const [input, message] of cases) assert.equal(parseError(input).message, message, input);
});

test('binary operator errors', () => {
  const cases: [string, string][] = [
    ['1 > 2', '1:3: comparisons between scalars must use bool modifier'],
    ['1 == time()', '1:3: comparisons between scalars must use bool modifier'],
    ['x + bool y', '1:5: bool modifier can only be used on comparison operators'],
    ['x and 1', '1:3: set operator "and" not allowed in binary scalar expression'],
    ['1 or x', '1:3: set operator "or" not allowed in binary scalar expression'],
    ['x + "a"', '1:5: binary expression must contain only scalar and instant vector types, got string'],
    ['x[5m] + 1', '1:1: binary expression must contain only scalar and instant vector types, got range vector'],
    ['1 + on(a) x', '1:5: vector matching only allowed between instant vectors'],
    ['x / ignoring(a) 2', '1:5: vector matching only allowed between instant vectors'],
    ['x and on(a) group_left y', '1:13: no grouping allowed for "and" operation'],
    ['x unless ignoring(a) group_right(b) y', '1:22: no grouping allowed for "unless" operation'],
    ['x == on(a) group_left(a) y', '1:12: label "a" must not occur in ON and GROUP clause at once'],
  ];
  for (const [input, message] of cases) assert.equal(parseError(input).message, message, input);
  // ignoring(a) with group_left(a) is fine: the label is copied from the "one" side.
  assert.equal(parseExpr('x == ignoring(a) group_left(a) y').type, 'vector');
});

test('error positions count lines and columns from 1 and offsets from 0', () => {
  const err = parseError('sum(\n  rate(x[5m]\n)');
  assert.equal(err.message, '3:2: unexpected end of input, expected "," or ")"');
  assert.deepEqual([err.position, err.line, err.column, err.reason], [19, 3, 2, 'unexpected end of input, expected "," or ")"']);
  const deep = parseError('a +\n  b *\n    rate(c)');
  assert.deepEqual([deep.position, deep.line, deep.column], [19, 3, 10]);
  assert.equal(deep.name, 'PromQLParseError');
  assert.ok(deep instanceof Error);
});

// --- series descriptions and durations ---

test('parseMetric reads promtool series descriptions into sorted labels', () => {
  assert.deepEqual(parseMetric('up'), [['__name__', 'up']]);
  assert.deepEqual(parseMetric('up{job="a", instance="b"}'), [
    ['__name__', 'up'],
    ['instance', 'b'],
    ['job', 'a'],
  ]);
  assert.deepEqual(parseMetric('{__name__="up", job="a",}'), [
    ['__name__', 'up'],
    ['job', 'a'],
  ]);
  assert.deepEqual(parseMetric('ns:rate5m{z="1", a=\'2\', e=""}'), [
    ['__name__', 'ns:rate5m'],
    ['a', '2'],
    ['z', '1'],
  ]);
  assert.deepEqual(parseMetric('{job="a"}'), [['job', 'a']]);
  const errors: [string, string][] = [
    ['up{job=~"a"}', '1:7: unexpected "=~" in series description, expected "="'],
    ['up{job!="a"}', '1:7: unexpected "!=" in series description, expected "="'],
    ['up{__name__="x"}', '1:4: metric name must not be set twice'],
    ['up{a="1", a="2"}', '1:11: duplicate label name "a"'],
    ['up{a="1"', '1:9: unexpected end of input, expected "," or "}"'],
    ['up down', '1:4: unexpected identifier "down" in series description, expected end of input'],
    ['{}', '1:1: series description must contain at least one non-empty label'],
    ['', '1:1: series description must contain at least one non-empty label'],
  ];
  for (const [input, message] of errors) {
    assert.throws(() => parseMetric(input), (err: unknown) => err instanceof PromQLParseError && err.message === message, input);
  }
});

test('parsePromDuration: Prometheus units, largest first, y = 365d', () => {
  const cases: [string, number][] = [
    ['0', 0],
    ['0s', 0],
    ['250ms', 250],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
    ['1w', 604_800_000],
    ['1y', 365 * 86_400_000],
    ['90m', 5_400_000],
    ['1y2w3d4h5m6s7ms', 365 * 86_400_000 + 2 * 604_800_000 + 3 * 86_400_000 + 4 * 3_600_000 + 5 * 60_000 + 6000 + 7],
  ];
  for (const [text, ms] of cases) assert.equal(parsePromDuration(text), ms, text);
  assert.throws(() => parsePromDuration(''), /^Error: empty duration string$/);
  for (const bad of ['5', '1.5h', '1m1h', '1h1h', '5 m', '-5m', 'm', '5M', '1h 30m']) {
    assert.throws(() => parsePromDuration(bad), new RegExp(`not a valid duration string: ${JSON.stringify(bad).replace(/[.]/g, '\\.')}`), bad);
  }
  assert.equal(formatDuration(5_400_000), '1h30m');
  assert.equal(formatDuration(-86_400_000), '-1d');
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatDuration(1500), '1s500ms');
});

// --- regular expressions ---

test('compilePromRegex anchors fully, as Prometheus does', () => {
  const re = compilePromRegex('foo|bar');
  assert.ok(re.test('foo') && re.test('bar'));
  assert.ok(!re.test('foobar') && !re.test('xfoo') && !re.test('barx'));
  assert.ok(compilePromRegex('').test(''));
  assert.ok(!compilePromRegex('').test('a'));
  assert.ok(compilePromRegex('a.*').test('abc'));
  assert.ok(!compilePromRegex('b').test('abc'));
});

test('compilePromRegex translates RE2 syntax JS lacks or reads differently', () => {
  const yes = (src: string, s: string): void => assert.ok(compilePromRegex(src).test(s), `${src} should match ${JSON.stringify(s)}`);
  const no = (src: string, s: string): void => assert.ok(!compilePromRegex(src).test(s), `${src} should not match ${JSON.stringify(s)}`);
  yes('(?i)FOO', 'foo');
  no('FOO', 'foo');
  yes('(?s)a.b', 'a\nb');
  no('a.b', 'a\nb');
  no('a.b', 'a\r\nb');
  yes('a.b', 'a\rb');
  yes('(?is)A.B', 'a\nb');
  yes('(?i)(?s)A.B', 'a\nb');
  assert.equal(compilePromRegex('(?P<code>[0-9]+)').exec('404')?.groups?.code, '404');
  assert.equal(compilePromRegex('(?<code>[0-9]+)').exec('404')?.groups?.code, '404');
  yes('abc\\z', 'abc');
  yes('\\Aabc', 'abc');
  yes('a{', 'a{');
  yes('a{,2}', 'a{,2}');
  yes('a{2}', 'aa');
  yes('}]', '}]');
  yes('[]a]+', ']a]');
  yes('[[:alpha:]_]+', 'ab_C');
  no('[[:digit:]]', 'a');
  yes('\\s', ' ');
  no('\\s', '\u00a0');
  yes('\\S', '\u00a0');
  yes('\\-\\"\\:', '-":');
  yes('[\\-.]+', '-.-');
  yes('\\pL\\p{Greek}\\PN', 'aβx');
  yes('\\Q.*+\\E', '.*+');
  no('\\Q.*\\E', 'ab');
  yes('\\x41\\x{1F600}\\101', 'A😀A');
  yes('(?m)^a$\\n^b$', 'a\nb');
  no('(?m)a$', 'a\n');
  yes('😀.', '😀é');
  yes('\\d\\w\\b', '1a');
});

test('compilePromRegex rejects what RE2 rejects, naming the problem', () => {
  const cases: [string, RegExp][] = [
    ['(', /^missing closing \)$/],
    ['a)', /^unexpected \): no group to close$/],
    ['[a', /^missing closing \]: `\[a`$/],
    ['a**', /nothing to repeat/],
    ['*', /nothing to repeat/],
    ['\\q', /^invalid escape sequence `\\q`$/],
    ['\\1', /backreferences are not supported/],
    ['\\', /^trailing backslash at end of expression$/],
    ['(?=a)', /^invalid or unsupported Perl syntax `\(\?=`$/],
    ['(?<!a)b', /^invalid or unsupported Perl syntax `\(\?<`$/],
    ['a(?i)b', /only supported at the start of the pattern/],
    ['(?i:a)', /only supported at the start of the pattern/],
    ['(?U)a*', /ungreedy flag/],
    ['(?x)a', /invalid or unsupported Perl syntax `\(\?x\)`/],
    ['(?P<1>a)', /^invalid named capture/],
    ['a{1001}', /^invalid repeat count `\{1001\}`$/],
    ['a{3,2}', /^invalid repeat count/],
    ['[[:foo:]]', /invalid character class range/],
    ['[[:^alpha:]]', /negated POSIX class/],
    ['[z-a]', /range out of order/],
  ];
  for (const [src, message] of cases) {
    assert.throws(() => compilePromRegex(src), (err: unknown) => err instanceof Error && message.test(err.message), src);
  }
});

// --- printing ---

const CORPUS = [
  'up',
  'up{job="api", code!="200", path=~"/v1/.*", method!~"GET|HEAD"}',
  '{__name__=~"job:.*", env="prod"}',
  'x offset 5m',
  'x offset -1h30m',
  'x[5m] offset 1w',
  '1.5e-7 + 0x1F - 010',
  'Inf > bool -Inf',
  'NaN',
  '"a \\"quoted\\"\\n string" ',
  '`raw \\d`',
  'a + b - c * d / e % f ^ g ^ h',
  'a atan2 b',
  '(a + b) * (c - d)',
  '-a ^ b',
  '(-a) ^ b',
  '-(a + b)',
  '+a',
  '2 ^ -1',
  'a == b or a != b and a < b unless a <= b',
  'a > bool b',
  'a >= bool 1',
  '1 < bool 2',
  'a + on(job, instance) b',
  'a + ignoring(code) b',
  'a / on() group_left b',
  'a * on(job) group_left(team, owner) b',
  'a * ignoring(x) group_right(y) b',
  'a / ignoring() group_right b',
  'a and on(job) b',
  'a or ignoring(x) b',
  'a == bool on(x) group_left(y) b',
  'sum(x)',
  'sum by (job) (x)',
  'sum by () (x)',
  'avg without (instance) (x)',
  'min without () (x)',
  'max(x) by (a, b)',
  'count(x)',
  'stddev(x)',
  'stdvar(x)',
  'group(x)',
  'topk(5, x)',
  'bottomk by (job) (scalar(y), x)',
  'quantile(0.9, x)',
  'count_values("value", x)',
  ...Object.keys(FUNCTIONS).map((f) => exampleCall(f)),
  'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{job="api"}[5m])))',
  '(sum(rate(errors_total[5m])) / sum(rate(requests_total[5m]))) > bool 0.001 * 14.4',
  'label_replace(up, "host", "$1", "instance", "(?i)(.*):[0-9]+")',
  'sum without (le) (x offset 1d)',
  'sum',
  'x{and="1", offset="2"}',
];

// A call of each function with arguments of the types its signature asks for.
function exampleCall(func: string): string {
  const sig = FUNCTIONS[func]!;
  const sample = { scalar: '0.5', vector: 'v{a="b"}', matrix: 'm[5m]', string: '"s"' } as const;
  const args = sig.args.map((t) => sample[t]);
  if (sig.variadic) args.push(sample[sig.args[sig.args.length - 1]!]);
  return `${func}(${args.join(', ')})`;
}

test('formatExpr output parses back to the same tree over a corpus', () => {
  assert.ok(CORPUS.length >= 40);
  for (const input of CORPUS) {
    const tree = parseExpr(input);
    const printed = formatExpr(tree);
    assert.deepStrictEqual(parseExpr(printed), tree, `${input} printed as ${printed}`);
    assert.equal(formatExpr(parseExpr(printed)), printed, `printing ${input} is stable`);
  }
});

test('the corpus covers every function, operator and modifier', () => {
  const funcs = new Set<string>();
  const ops = new Set<string>();
  const mods = new Set<string>();
  const walk = (e: Expr): void => {
    switch (e.kind) {
      case 'call':
        funcs.add(e.func);
        e.args.forEach(walk);
        break;
      case 'binary':
        ops.add(e.op);
        if (e.bool) mods.add('bool');
        if (e.matching) mods.add(`${e.matching.on ? 'on' : 'ignoring'}:${e.matching.card}`);
        walk(e.lhs);
        walk(e.rhs);
        break;
      case 'aggregate':
        ops.add(e.op);
        if (e.without) mods.add('without');
        walk(e.expr);
        break;
      case 'unary':
        ops.add(`unary${e.op}`);
        walk(e.expr);
        break;
      case 'paren':
        walk(e.expr);
        break;
      default:
    }
  };
  CORPUS.map(parseExpr).forEach(walk);
  assert.deepEqual([...funcs].sort(), Object.keys(FUNCTIONS).sort());
  for (const op of ['+', '-', '*', '/', '%', '^', 'atan2', '==', '!=', '<', '<=', '>', '>=', 'and', 'or', 'unless', 'unary-', 'unary+']) assert.ok(ops.has(op), op);
  for (const op of ['sum', 'avg', 'min', 'max', 'count', 'stddev', 'stdvar', 'group', 'topk', 'bottomk', 'quantile', 'count_values']) assert.ok(ops.has(op), op);
  for (const mod of ['bool', 'without', 'on:one-to-one', 'ignoring:one-to-one', 'on:many-to-one', 'ignoring:one-to-many', 'on:many-to-many', 'ignoring:many-to-many']) {
    assert.ok(mods.has(mod), mod);
  }
});

test('formatExpr prints canonical PromQL and parenthesises trees built in code', () => {
  assert.equal(formatExpr(parseExpr('SUM(x) BY (a)')), 'sum by (a) (x)');
  assert.equal(formatExpr(parseExpr("x{a='b'}[1h30m]   OFFSET 90s")), 'x{a="b"}[1h30m] offset 1m30s');
  assert.equal(formatExpr(parseExpr('a > BOOL on (x) group_left () b')), 'a > bool on(x) group_left b');
  // Without a written name there is no `name` in the tree, so the matcher is printed as given.
  assert.equal(formatExpr(parseExpr('{__name__="up",job="a",}')), '{__name__="up", job="a"}');
  const [a, b, c] = [sel('a'), sel('b'), sel('c')];
  assert.equal(formatExpr(vv('*', vv('+', a, b), c)), '(a + b) * c');
  assert.equal(formatExpr(vv('-', a, vv('-', b, c))), 'a - (b - c)');
  assert.equal(formatExpr(vv('-', vv('-', a, b), c)), 'a - b - c');
  assert.equal(formatExpr(vv('^', vv('^', a, b), c)), '(a ^ b) ^ c');
  assert.equal(formatExpr(vv('^', a, vv('^', b, c))), 'a ^ b ^ c');
  assert.equal(formatExpr({ kind: 'unary', op: '-', expr: vv('*', a, b), type: 'vector' }), '-(a * b)');
  assert.equal(formatExpr(vv('^', { kind: 'unary', op: '-', expr: a, type: 'vector' }, b)), '(-a) ^ b');
  assert.equal(formatExpr(scalarOp('^', num(-2), num(2))), '(-2) ^ 2');
  assert.equal(formatExpr(vv('and', a, b, { card: 'many-to-many', on: false, labels: ['x'], include: [] })), 'a and ignoring(x) b');
  assert.equal(formatExpr({ kind: 'selector', matchers: [{ name: 'job', op: '=', value: 'a"b' }], offsetMs: 0, type: 'vector' }), '{job="a\\"b"}');
});

// Real Prometheus is the reference: every printed corpus entry must be a valid rule expression.
const PROMTOOL = '/usr/bin/promtool';
test('promtool accepts every printed corpus expression', { skip: !existsSync(PROMTOOL) && 'promtool is not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-promql-'));
  try {
    const rules = CORPUS.map(parseExpr)
      .filter((e) => e.type === 'vector' || e.type === 'scalar')
      .map((e, i) => `  - record: r${i}\n    expr: ${JSON.stringify(formatExpr(e))}\n`);
    const file = join(dir, 'rules.yml');
    writeFileSync(file, `groups:\n- name: corpus\n  rules:\n${rules.join('')}`);
    const run = spawnSync(PROMTOOL, ['check', 'rules', file], { encoding: 'utf8' });
    assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
