// The PromQL evaluator against series in promtool's notation. Every expected value below was
// produced by Prometheus 2.42's `promtool test rules` on the same input series (series load in a
// random order there, so order-sensitive float sums and topk ties are kept out of the tables).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareLabels, formatLabels } from '../../src/alerting/labels.js';
import { evaluate, PromQLEvalError, type Queryable } from '../../src/alerting/promql/engine.js';
import { parseExpr, parseMetric, parsePromDuration } from '../../src/alerting/promql/parser.js';
import { isStaleNaN, STALE_NAN } from '../../src/alerting/promql/values.js';
import { SeriesStore } from '../../src/alerting/storage/series-store.js';

type Fixture = readonly (readonly [string, string])[];
type Expected = number | readonly (readonly [string, number])[] | { error: string };
type Row = readonly [string, string, Expected];

function parseValue(s: string): number {
  if (/^\+?inf$/i.test(s)) return Infinity;
  if (/^-inf$/i.test(s)) return -Infinity;
  if (/^nan$/i.test(s)) return NaN;
  return Number(s);
}

/** promtool's input_series values: `1 2 _ stale 3+2x4` (a+bxN is N+1 samples), one per interval from 0. */
function load(fixture: Fixture, intervalMs = 60_000): SeriesStore {
  const store = new SeriesStore({ maxSeries: 10_000, retentionMs: Infinity });
  for (const [metric, values] of fixture) {
    const labels = parseMetric(metric);
    let step = 0;
    for (const item of values.trim().split(/\s+/)) {
      const skip = /^_(?:x(\d+))?$/.exec(item);
      const run = /^([^x]+?)([+-])([^x+-]+)x(\d+)$/.exec(item);
      if (skip) step += skip[1] ? Number(skip[1]) : 1;
      else if (item === 'stale') assert.equal(store.append(labels, step++ * intervalMs, STALE_NAN), 'ok');
      else if (run) {
        let v = parseValue(run[1]!);
        const delta = (run[2] === '-' ? -1 : 1) * parseValue(run[3]!);
        for (let i = 0; i <= Number(run[4]); i++, v += delta) assert.equal(store.append(labels, step++ * intervalMs, v), 'ok');
      } else assert.equal(store.append(labels, step++ * intervalMs, parseValue(item)), 'ok');
    }
  }
  return store;
}

function instant(q: Queryable, expr: string, at: string): Expected {
  try {
    const v = evaluate(parseExpr(expr), parsePromDuration(at), q);
    if (v.type === 'scalar') return v.value;
    assert.equal(v.type, 'vector');
    if (v.type !== 'vector') return [];
    return [...v.samples].sort((a, b) => compareLabels(a.labels, b.labels)).map((s) => [formatLabels(s.labels), s.value] as const);
  } catch (err) {
    if (!(err instanceof PromQLEvalError)) throw err;
    return { error: err.message };
  }
}

function table(fixture: Fixture, rows: readonly Row[]): void {
  const store = load(fixture);
  for (const [expr, at, want] of rows) {
    it(`${expr} @ ${at}`, () => assert.deepEqual(instant(store, expr, at), want));
  }
}

const SELECTORS: Fixture = [
  ["foo{a=\"1\",b=\"x\"}", "0.1+0.1x10 stale 5"],
  ["foo{a=\"2\",b=\"y\"}", "1 2 3"],
  ["bar{a=\"1\"}", "10 20 30 40 50 60 70 80 90 100"],
  ["bar{a=\"2\"}", "_ _ 5 6 7"],
];

describe('selectors, staleness, lookback, offset and scalar arithmetic', () => {
  table(SELECTORS, [
    ["foo", '0s', [['{__name__="foo", a="1", b="x"}', 0.1], ['{__name__="foo", a="2", b="y"}', 1]]],
    ["foo", '2m', [['{__name__="foo", a="1", b="x"}', 0.30000000000000004], ['{__name__="foo", a="2", b="y"}', 3]]],
    ["foo", '7m', [['{__name__="foo", a="1", b="x"}', 0.7999999999999999], ['{__name__="foo", a="2", b="y"}', 3]]],
    ["foo", '10m', [['{__name__="foo", a="1", b="x"}', 1.0999999999999999]]],
    ["foo", '11m', []],
    ["foo", '12m', [['{__name__="foo", a="1", b="x"}', 5]]],
    ["foo", '16m', [['{__name__="foo", a="1", b="x"}', 5]]],
    ["foo", '17m', [['{__name__="foo", a="1", b="x"}', 5]]],
    ["foo", '16m59s', [['{__name__="foo", a="1", b="x"}', 5]]],
    ["foo offset 3m", '10m', [['{__name__="foo", a="1", b="x"}', 0.7999999999999999], ['{__name__="foo", a="2", b="y"}', 3]]],
    ["foo offset 1m", '12m', []],
    ["foo{a=\"1\"}", '1m30s', [['{__name__="foo", a="1", b="x"}', 0.2]]],
    ["foo{a!=\"1\"}", '1m', [['{__name__="foo", a="2", b="y"}', 2]]],
    ["foo{a=~\"1|2\"}", '2m', [['{__name__="foo", a="1", b="x"}', 0.30000000000000004], ['{__name__="foo", a="2", b="y"}', 3]]],
    ["foo{a!~\"1\"}", '2m', [['{__name__="foo", a="2", b="y"}', 3]]],
    ["{__name__=~\"foo|bar\"}", '2m', [['{__name__="bar", a="1"}', 30], ['{__name__="bar", a="2"}', 5], ['{__name__="foo", a="1", b="x"}', 0.30000000000000004], ['{__name__="foo", a="2", b="y"}', 3]]],
    ["{a=\"2\"}", '3m', [['{__name__="bar", a="2"}', 6], ['{__name__="foo", a="2", b="y"}', 3]]],
    ["foo{c=\"\"}", '1m', [['{__name__="foo", a="1", b="x"}', 0.2], ['{__name__="foo", a="2", b="y"}', 2]]],
    ["foo{b=~\"x|\"}", '1m', [['{__name__="foo", a="1", b="x"}', 0.2]]],
    ["bar", '1m', [['{__name__="bar", a="1"}', 20]]],
    ["bar", '8m', [['{__name__="bar", a="1"}', 90], ['{__name__="bar", a="2"}', 7]]],
    ["bar{a=\"2\"}", '9m', [['{__name__="bar", a="2"}', 7]]],
    ["bar{a=\"2\"}", '9m1s', []],
    ["-foo", '2m', [['{a="1", b="x"}', -0.30000000000000004], ['{a="2", b="y"}', -3]]],
    ["+foo", '2m', [['{__name__="foo", a="1", b="x"}', 0.30000000000000004], ['{__name__="foo", a="2", b="y"}', 3]]],
    ["-(foo)", '2m', [['{a="1", b="x"}', -0.30000000000000004], ['{a="2", b="y"}', -3]]],
    ["1 + 2 * 3", '0s', 7],
    ["2 ^ 3 ^ 2", '0s', 512],
    ["-2 ^ 2", '0s', -4],
    ["5 % 3", '0s', 2],
    ["-5 % 3", '0s', -2],
    ["5.5 % -2", '0s', 1.5],
    ["1 % 0", '0s', NaN],
    ["2 atan2 3", '0s', 0.5880026035475675],
    ["1 == bool 1", '0s', 1],
    ["1 > bool 2", '0s', 0],
    ["time()", '5m', 300],
    ["vector(time())", '1m30s', [['{}', 90]]],
    ["scalar(foo)", '1m', NaN],
    ["scalar(bar{a=\"1\"})", '1m', 20],
    ["scalar(nonexistent)", '1m', NaN],
    ["1 ^ NaN", '0s', 1],
    ["(-1) ^ (1/0)", '0s', 1],
    ["NaN ^ 0", '0s', 1],
    ["3 ^ 0.5", '0s', 1.7320508075688772],
    ["1.1 ^ 3", '0s', 1.3310000000000004],
    ["7 ^ 1.3", '0s', 12.549529737646981],
    ["10 ^ -2", '0s', 0.01],
    ["0.3 atan2 0.7", '0s', 0.40489178628508343],
  ]);
});

const COUNTERS: Fixture = [
  ["c{k=\"lin\"}", "0+10x20"],
  ["c{k=\"reset\"}", "5 10 15 3 8 1 2 30 31 40 2 4 6"],
  ["c{k=\"sparse\"}", "1 _ _ 4 _ _ _ 8 9 _ _ 12"],
  ["c{k=\"stale\"}", "1 2 3 4 5 stale _ 8 9 10 11 12 stale"],
  ["c{k=\"neg\"}", "-5 -3 -1 0 2 4 3 7 9 10 12"],
  ["c{k=\"zero\"}", "0 0 0 0 1 2 3 3 3 3 3"],
  ["c{k=\"big\"}", "1e15+1.5x20"],
  ["c{k=\"const\"}", "7 7 7 7 7 7 7 7 7 7 7"],
  ["c{k=\"inf\"}", "Inf Inf 1 Inf Inf Inf Inf Inf Inf Inf Inf"],
  ["c{k=\"awk\"}", "0.1 0.7 1e16 -1e16 0.3 1e-3 3.3 1e16 7.1 -1e16 0.2"],
  ["c{k=\"nan\"}", "NaN 3 NaN 1 5 NaN 2 NaN NaN 4 NaN"],
];

describe('rate, increase, delta, irate, idelta, deriv and the *_over_time functions', () => {
  table(COUNTERS, [
    ["rate(c[5m])", '10m', [['{k="awk"}', 33333333333333.363], ['{k="big"}', 0.025], ['{k="const"}', 0], ['{k="inf"}', NaN], ['{k="lin"}', 0.16666666666666669], ['{k="nan"}', NaN], ['{k="neg"}', 0.04], ['{k="reset"}', 0.1366666666666667], ['{k="sparse"}', 0.006666666666666667], ['{k="stale"}', 0.011666666666666667], ['{k="zero"}', 0.0033333333333333335]]],
    ["rate(c[3m])", '4m', [['{k="awk"}', 55555555555555.555], ['{k="big"}', 0.025], ['{k="const"}', 0], ['{k="inf"}', NaN], ['{k="lin"}', 0.16666666666666669], ['{k="nan"}', 0.011111111111111112], ['{k="neg"}', 0.02777777777777778], ['{k="reset"}', 0.07222222222222223], ['{k="stale"}', 0.016666666666666666], ['{k="zero"}', 0.005555555555555556]]],
    ["rate(c[10m])", '10m', [['{k="awk"}', 33333333333333.348], ['{k="big"}', 0.025], ['{k="const"}', 0], ['{k="inf"}', NaN], ['{k="lin"}', 0.16666666666666669], ['{k="nan"}', NaN], ['{k="neg"}', 0.035], ['{k="reset"}', 0.1], ['{k="sparse"}', 0.016666666666666666], ['{k="stale"}', 0.016666666666666666], ['{k="zero"}', 0.005]]],
    ["rate(c[90s])", '7m30s', [['{k="awk"}', 166666666666666.6], ['{k="big"}', 0.025], ['{k="const"}', 0], ['{k="inf"}', NaN], ['{k="lin"}', 0.16666666666666666], ['{k="nan"}', NaN], ['{k="neg"}', 0.06666666666666667], ['{k="reset"}', 0.4666666666666667], ['{k="zero"}', 0]]],
    ["rate(c[5m])", '18m', [['{k="big"}', 0.025], ['{k="lin"}', 0.16666666666666669]]],
    ["rate(c[1m])", '3m', [['{k="awk"}', -166666666666666.66], ['{k="big"}', 0.025], ['{k="const"}', 0], ['{k="inf"}', Infinity], ['{k="lin"}', 0.16666666666666666], ['{k="nan"}', NaN], ['{k="neg"}', 0.016666666666666666], ['{k="reset"}', 0.05], ['{k="stale"}', 0.016666666666666666], ['{k="zero"}', 0]]],
    ["rate(c[7m])", '20m', [['{k="big"}', 0.025], ['{k="lin"}', 0.16666666666666669]]],
    ["increase(c[5m])", '10m', [['{k="awk"}', 10000000000000008], ['{k="big"}', 7.5], ['{k="const"}', 0], ['{k="inf"}', NaN], ['{k="lin"}', 50], ['{k="nan"}', NaN], ['{k="neg"}', 12], ['{k="reset"}', 41], ['{k="sparse"}', 2], ['{k="stale"}', 3.5], ['{k="zero"}', 1]]],
    ["increase(c[3m])", '4m', [['{k="awk"}', 10000000000000000], ['{k="big"}', 4.5], ['{k="const"}', 0], ['{k="inf"}', NaN], ['{k="lin"}', 30], ['{k="nan"}', 2], ['{k="neg"}', 5], ['{k="reset"}', 13], ['{k="stale"}', 3], ['{k="zero"}', 1]]],
    ["increase(c[10m])", '10m', [['{k="awk"}', 20000000000000010], ['{k="big"}', 15], ['{k="const"}', 0], ['{k="inf"}', NaN], ['{k="lin"}', 100], ['{k="nan"}', NaN], ['{k="neg"}', 21], ['{k="reset"}', 60], ['{k="sparse"}', 10], ['{k="stale"}', 10], ['{k="zero"}', 3]]],
    ["increase(c[90s])", '7m30s', [['{k="awk"}', 14999999999999994], ['{k="big"}', 2.25], ['{k="const"}', 0], ['{k="inf"}', NaN], ['{k="lin"}', 15], ['{k="nan"}', NaN], ['{k="neg"}', 6], ['{k="reset"}', 42], ['{k="zero"}', 0]]],
    ["increase(c[5m])", '18m', [['{k="big"}', 7.5], ['{k="lin"}', 50]]],
    ["increase(c[1m])", '3m', [['{k="awk"}', -10000000000000000], ['{k="big"}', 1.5], ['{k="const"}', 0], ['{k="inf"}', Infinity], ['{k="lin"}', 10], ['{k="nan"}', NaN], ['{k="neg"}', 1], ['{k="reset"}', 3], ['{k="stale"}', 1], ['{k="zero"}', 0]]],
    ["increase(c[7m])", '20m', [['{k="big"}', 10.5], ['{k="lin"}', 70]]],
    ["delta(c[5m])", '10m', [['{k="awk"}', 0.199], ['{k="big"}', 7.5], ['{k="const"}', 0], ['{k="inf"}', NaN], ['{k="lin"}', 50], ['{k="nan"}', NaN], ['{k="neg"}', 8], ['{k="reset"}', 1], ['{k="sparse"}', 2], ['{k="stale"}', 3.5], ['{k="zero"}', 1]]],
    ["delta(c[3m])", '4m', [['{k="awk"}', -0.39999999999999997], ['{k="big"}', 4.5], ['{k="const"}', 0], ['{k="inf"}', NaN], ['{k="lin"}', 30], ['{k="nan"}', 2], ['{k="neg"}', 5], ['{k="reset"}', -2], ['{k="stale"}', 3], ['{k="zero"}', 1]]],
    ["delta(c[10m])", '10m', [['{k="awk"}', 0.1], ['{k="big"}', 15], ['{k="const"}', 0], ['{k="inf"}', NaN], ['{k="lin"}', 100], ['{k="nan"}', NaN], ['{k="neg"}', 17], ['{k="reset"}', -3], ['{k="sparse"}', 10], ['{k="stale"}', 10], ['{k="zero"}', 3]]],
    ["delta(c[90s])", '7m30s', [['{k="awk"}', 14999999999999994], ['{k="big"}', 2.25], ['{k="const"}', 0], ['{k="inf"}', NaN], ['{k="lin"}', 15], ['{k="nan"}', NaN], ['{k="neg"}', 6], ['{k="reset"}', 42], ['{k="zero"}', 0]]],
    ["delta(c[5m])", '18m', [['{k="big"}', 7.5], ['{k="lin"}', 50]]],
    ["delta(c[1m])", '3m', [['{k="awk"}', -20000000000000000], ['{k="big"}', 1.5], ['{k="const"}', 0], ['{k="inf"}', Infinity], ['{k="lin"}', 10], ['{k="nan"}', NaN], ['{k="neg"}', 1], ['{k="reset"}', -12], ['{k="stale"}', 1], ['{k="zero"}', 0]]],
    ["delta(c[7m])", '20m', [['{k="big"}', 10.5], ['{k="lin"}', 70]]],
    ["irate(c[5m])", '10m', [['{k="awk"}', 166666666666666.66], ['{k="big"}', 0.025], ['{k="const"}', 0], ['{k="inf"}', NaN], ['{k="lin"}', 0.16666666666666666], ['{k="nan"}', NaN], ['{k="neg"}', 0.03333333333333333], ['{k="reset"}', 0.03333333333333333], ['{k="sparse"}', 0.016666666666666666], ['{k="stale"}', 0.016666666666666666], ['{k="zero"}', 0]]],
    ["irate(c[3m])", '4m', [['{k="awk"}', 166666666666666.66], ['{k="big"}', 0.025], ['{k="const"}', 0], ['{k="inf"}', NaN], ['{k="lin"}', 0.16666666666666666], ['{k="nan"}', 0.06666666666666667], ['{k="neg"}', 0.03333333333333333], ['{k="reset"}', 0.08333333333333333], ['{k="stale"}', 0.016666666666666666], ['{k="zero"}', 0.016666666666666666]]],
    ["irate(c[10m])", '10m', [['{k="awk"}', 166666666666666.66], ['{k="big"}', 0.025], ['{k="const"}', 0], ['{k="inf"}', NaN], ['{k="lin"}', 0.16666666666666666], ['{k="nan"}', NaN], ['{k="neg"}', 0.03333333333333333], ['{k="reset"}', 0.03333333333333333], ['{k="sparse"}', 0.016666666666666666], ['{k="stale"}', 0.016666666666666666], ['{k="zero"}', 0]]],
    ["irate(c[90s])", '7m30s', [['{k="awk"}', 166666666666666.6], ['{k="big"}', 0.025], ['{k="const"}', 0], ['{k="inf"}', NaN], ['{k="lin"}', 0.16666666666666666], ['{k="nan"}', NaN], ['{k="neg"}', 0.06666666666666667], ['{k="reset"}', 0.4666666666666667], ['{k="zero"}', 0]]],
    ["irate(c[5m])", '18m', [['{k="big"}', 0.025], ['{k="lin"}', 0.16666666666666666]]],
    ["irate(c[1m])", '3m', [['{k="awk"}', -166666666666666.66], ['{k="big"}', 0.025], ['{k="const"}', 0], ['{k="inf"}', Infinity], ['{k="lin"}', 0.16666666666666666], ['{k="nan"}', NaN], ['{k="neg"}', 0.016666666666666666], ['{k="reset"}', 0.05], ['{k="stale"}', 0.016666666666666666], ['{k="zero"}', 0]]],
    ["irate(c[7m])", '20m', [['{k="big"}', 0.025], ['{k="lin"}', 0.16666666666666666]]],
    ["idelta(c[5m])", '10m', [['{k="awk"}', 10000000000000000], ['{k="big"}', 1.5], ['{k="const"}', 0], ['{k="inf"}', NaN], ['{k="lin"}', 10], ['{k="nan"}', NaN], ['{k="neg"}', 2], ['{k="reset"}', -38], ['{k="sparse"}', 1], ['{k="stale"}', 1], ['{k="zero"}', 0]]],
    ["idelta(c[3m])", '4m', [['{k="awk"}', 10000000000000000], ['{k="big"}', 1.5], ['{k="const"}', 0], ['{k="inf"}', NaN], ['{k="lin"}', 10], ['{k="nan"}', 4], ['{k="neg"}', 2], ['{k="reset"}', 5], ['{k="stale"}', 1], ['{k="zero"}', 1]]],
    ["idelta(c[10m])", '10m', [['{k="awk"}', 10000000000000000], ['{k="big"}', 1.5], ['{k="const"}', 0], ['{k="inf"}', NaN], ['{k="lin"}', 10], ['{k="nan"}', NaN], ['{k="neg"}', 2], ['{k="reset"}', -38], ['{k="sparse"}', 1], ['{k="stale"}', 1], ['{k="zero"}', 0]]],
    ["idelta(c[90s])", '7m30s', [['{k="awk"}', 9999999999999996], ['{k="big"}', 1.5], ['{k="const"}', 0], ['{k="inf"}', NaN], ['{k="lin"}', 10], ['{k="nan"}', NaN], ['{k="neg"}', 4], ['{k="reset"}', 28], ['{k="zero"}', 0]]],
    ["idelta(c[5m])", '18m', [['{k="big"}', 1.5], ['{k="lin"}', 10]]],
    ["idelta(c[1m])", '3m', [['{k="awk"}', -20000000000000000], ['{k="big"}', 1.5], ['{k="const"}', 0], ['{k="inf"}', Infinity], ['{k="lin"}', 10], ['{k="nan"}', NaN], ['{k="neg"}', 1], ['{k="reset"}', -12], ['{k="stale"}', 1], ['{k="zero"}', 0]]],
    ["idelta(c[7m])", '20m', [['{k="big"}', 1.5], ['{k="lin"}', 10]]],
    ["deriv(c[5m])", '10m', [['{k="awk"}', -19047619047619.047], ['{k="big"}', 0.022349206349206348], ['{k="const"}', 0], ['{k="inf"}', NaN], ['{k="lin"}', 0.16666666666666666], ['{k="nan"}', NaN], ['{k="neg"}', 0.03], ['{k="reset"}', 0.05714285714285714], ['{k="sparse"}', 0.016666666666666666], ['{k="stale"}', 0.016666666666666666], ['{k="zero"}', 0.002380952380952381]]],
    ["deriv(c[3m])", '4m', [['{k="awk"}', -33333333333333.34], ['{k="big"}', 0.024888888888888887], ['{k="const"}', 0], ['{k="inf"}', NaN], ['{k="lin"}', 0.16666666666666666], ['{k="nan"}', NaN], ['{k="neg"}', 0.02666666666666667], ['{k="reset"}', -0.03], ['{k="stale"}', 0.016666666666666666], ['{k="zero"}', 0.005]]],
    ["deriv(c[10m])", '10m', [['{k="awk"}', -4545454545454.542], ['{k="big"}', 0.02585858585858586], ['{k="const"}', 0], ['{k="inf"}', NaN], ['{k="lin"}', 0.16666666666666666], ['{k="nan"}', NaN], ['{k="neg"}', 0.027575757575757576], ['{k="reset"}', 0.030454545454545453], ['{k="sparse"}', 0.016666666666666666], ['{k="stale"}', 0.01666666666666667], ['{k="zero"}', 0.006666666666666667]]],
    ["deriv(c[90s])", '7m30s', [['{k="awk"}', 166666666666666.6], ['{k="big"}', 0.02666666666666667], ['{k="const"}', 0], ['{k="inf"}', NaN], ['{k="lin"}', 0.16666666666666666], ['{k="nan"}', NaN], ['{k="neg"}', 0.06666666666666667], ['{k="reset"}', 0.4666666666666667], ['{k="zero"}', 0]]],
    ["deriv(c[5m])", '18m', [['{k="big"}', 0.02438095238095238], ['{k="lin"}', 0.16666666666666666]]],
    ["deriv(c[1m])", '3m', [['{k="awk"}', -333333333333333.3], ['{k="big"}', 0.02666666666666667], ['{k="const"}', 0], ['{k="inf"}', NaN], ['{k="lin"}', 0.16666666666666666], ['{k="nan"}', NaN], ['{k="neg"}', 0.016666666666666666], ['{k="reset"}', -0.2], ['{k="stale"}', 0.016666666666666666], ['{k="zero"}', 0]]],
    ["deriv(c[7m])", '20m', [['{k="big"}', 0.025396825396825397], ['{k="lin"}', 0.16666666666666666]]],
    ["avg_over_time(c[5m])", '10m', [['{k="awk"}', 1.9755], ['{k="big"}', 1000000000000011.2], ['{k="const"}', 7], ['{k="inf"}', Infinity], ['{k="lin"}', 75], ['{k="nan"}', NaN], ['{k="neg"}', 7.5], ['{k="reset"}', 17.666666666666668], ['{k="sparse"}', 8.5], ['{k="stale"}', 9.5], ['{k="zero"}', 2.8333333333333335]]],
    ["avg_over_time(c[3m])", '4m', [['{k="awk"}', 0.5249999999999999], ['{k="big"}', 1000000000000003.8], ['{k="const"}', 7], ['{k="inf"}', Infinity], ['{k="lin"}', 25], ['{k="nan"}', NaN], ['{k="neg"}', -0.5], ['{k="reset"}', 9], ['{k="sparse"}', 4], ['{k="stale"}', 3.5], ['{k="zero"}', 0.25]]],
    ["avg_over_time(c[10m])", '10m', [['{k="awk"}', 1.1671883116883117], ['{k="big"}', 1000000000000007.5], ['{k="const"}', 7], ['{k="inf"}', Infinity], ['{k="lin"}', 50], ['{k="nan"}', NaN], ['{k="neg"}', 3.4545454545454546], ['{k="reset"}', 13.363636363636365], ['{k="sparse"}', 5.5], ['{k="stale"}', 5.888888888888889], ['{k="zero"}', 1.6363636363636362]]],
    ["avg_over_time(c[90s])", '7m30s', [['{k="awk"}', 5000000000000001], ['{k="big"}', 1000000000000009.8], ['{k="const"}', 7], ['{k="inf"}', Infinity], ['{k="lin"}', 65], ['{k="nan"}', NaN], ['{k="neg"}', 5], ['{k="reset"}', 16], ['{k="sparse"}', 8], ['{k="stale"}', 8], ['{k="zero"}', 3]]],
    ["avg_over_time(c[5m])", '18m', [['{k="big"}', 1000000000000023.2], ['{k="lin"}', 155]]],
    ["avg_over_time(c[1m])", '3m', [['{k="awk"}', 0], ['{k="big"}', 1000000000000003.8], ['{k="const"}', 7], ['{k="inf"}', Infinity], ['{k="lin"}', 25], ['{k="nan"}', NaN], ['{k="neg"}', -0.5], ['{k="reset"}', 9], ['{k="sparse"}', 4], ['{k="stale"}', 3.5], ['{k="zero"}', 0]]],
    ["avg_over_time(c[7m])", '20m', [['{k="big"}', 1000000000000024.8], ['{k="lin"}', 165]]],
    ["min_over_time(c[5m])", '10m', [['{k="awk"}', -10000000000000000], ['{k="big"}', 1000000000000007.5], ['{k="const"}', 7], ['{k="inf"}', Infinity], ['{k="lin"}', 50], ['{k="nan"}', 2], ['{k="neg"}', 3], ['{k="reset"}', 1], ['{k="sparse"}', 8], ['{k="stale"}', 8], ['{k="zero"}', 2]]],
    ["min_over_time(c[3m])", '4m', [['{k="awk"}', -10000000000000000], ['{k="big"}', 1000000000000001.5], ['{k="const"}', 7], ['{k="inf"}', 1], ['{k="lin"}', 10], ['{k="nan"}', 1], ['{k="neg"}', -3], ['{k="reset"}', 3], ['{k="sparse"}', 4], ['{k="stale"}', 2], ['{k="zero"}', 0]]],
    ["min_over_time(c[10m])", '10m', [['{k="awk"}', -10000000000000000], ['{k="big"}', 1000000000000000], ['{k="const"}', 7], ['{k="inf"}', 1], ['{k="lin"}', 0], ['{k="nan"}', 1], ['{k="neg"}', -5], ['{k="reset"}', 1], ['{k="sparse"}', 1], ['{k="stale"}', 1], ['{k="zero"}', 0]]],
    ["min_over_time(c[90s])", '7m30s', [['{k="awk"}', 3.3], ['{k="big"}', 1000000000000009], ['{k="const"}', 7], ['{k="inf"}', Infinity], ['{k="lin"}', 60], ['{k="nan"}', 2], ['{k="neg"}', 3], ['{k="reset"}', 2], ['{k="sparse"}', 8], ['{k="stale"}', 8], ['{k="zero"}', 3]]],
    ["min_over_time(c[5m])", '18m', [['{k="big"}', 1000000000000019.5], ['{k="lin"}', 130]]],
    ["min_over_time(c[1m])", '3m', [['{k="awk"}', -10000000000000000], ['{k="big"}', 1000000000000003], ['{k="const"}', 7], ['{k="inf"}', 1], ['{k="lin"}', 20], ['{k="nan"}', 1], ['{k="neg"}', -1], ['{k="reset"}', 3], ['{k="sparse"}', 4], ['{k="stale"}', 3], ['{k="zero"}', 0]]],
    ["min_over_time(c[7m])", '20m', [['{k="big"}', 1000000000000019.5], ['{k="lin"}', 130]]],
    ["max_over_time(c[5m])", '10m', [['{k="awk"}', 10000000000000000], ['{k="big"}', 1000000000000015], ['{k="const"}', 7], ['{k="inf"}', Infinity], ['{k="lin"}', 100], ['{k="nan"}', 4], ['{k="neg"}', 12], ['{k="reset"}', 40], ['{k="sparse"}', 9], ['{k="stale"}', 11], ['{k="zero"}', 3]]],
    ["max_over_time(c[3m])", '4m', [['{k="awk"}', 10000000000000000], ['{k="big"}', 1000000000000006], ['{k="const"}', 7], ['{k="inf"}', Infinity], ['{k="lin"}', 40], ['{k="nan"}', 5], ['{k="neg"}', 2], ['{k="reset"}', 15], ['{k="sparse"}', 4], ['{k="stale"}', 5], ['{k="zero"}', 1]]],
    ["max_over_time(c[10m])", '10m', [['{k="awk"}', 10000000000000000], ['{k="big"}', 1000000000000015], ['{k="const"}', 7], ['{k="inf"}', Infinity], ['{k="lin"}', 100], ['{k="nan"}', 5], ['{k="neg"}', 12], ['{k="reset"}', 40], ['{k="sparse"}', 9], ['{k="stale"}', 11], ['{k="zero"}', 3]]],
    ["max_over_time(c[90s])", '7m30s', [['{k="awk"}', 10000000000000000], ['{k="big"}', 1000000000000010.5], ['{k="const"}', 7], ['{k="inf"}', Infinity], ['{k="lin"}', 70], ['{k="nan"}', 2], ['{k="neg"}', 7], ['{k="reset"}', 30], ['{k="sparse"}', 8], ['{k="stale"}', 8], ['{k="zero"}', 3]]],
    ["max_over_time(c[5m])", '18m', [['{k="big"}', 1000000000000027], ['{k="lin"}', 180]]],
    ["max_over_time(c[1m])", '3m', [['{k="awk"}', 10000000000000000], ['{k="big"}', 1000000000000004.5], ['{k="const"}', 7], ['{k="inf"}', Infinity], ['{k="lin"}', 30], ['{k="nan"}', 1], ['{k="neg"}', 0], ['{k="reset"}', 15], ['{k="sparse"}', 4], ['{k="stale"}', 4], ['{k="zero"}', 0]]],
    ["max_over_time(c[7m])", '20m', [['{k="big"}', 1000000000000030], ['{k="lin"}', 200]]],
    ["sum_over_time(c[5m])", '10m', [['{k="awk"}', 10.600999999999999], ['{k="big"}', 6000000000000068], ['{k="const"}', 42], ['{k="inf"}', Infinity], ['{k="lin"}', 450], ['{k="nan"}', NaN], ['{k="neg"}', 45], ['{k="reset"}', 106], ['{k="sparse"}', 17], ['{k="stale"}', 38], ['{k="zero"}', 17]]],
    ["sum_over_time(c[3m])", '4m', [['{k="awk"}', 1], ['{k="big"}', 4000000000000015], ['{k="const"}', 28], ['{k="inf"}', Infinity], ['{k="lin"}', 100], ['{k="nan"}', NaN], ['{k="neg"}', -2], ['{k="reset"}', 36], ['{k="sparse"}', 4], ['{k="stale"}', 14], ['{k="zero"}', 1]]],
    ["sum_over_time(c[10m])", '10m', [['{k="awk"}', 11.700999999999999], ['{k="big"}', 11000000000000082], ['{k="const"}', 77], ['{k="inf"}', Infinity], ['{k="lin"}', 550], ['{k="nan"}', NaN], ['{k="neg"}', 38], ['{k="reset"}', 147], ['{k="sparse"}', 22], ['{k="stale"}', 53], ['{k="zero"}', 18]]],
    ["sum_over_time(c[90s])", '7m30s', [['{k="awk"}', 10000000000000004], ['{k="big"}', 2000000000000019.5], ['{k="const"}', 14], ['{k="inf"}', Infinity], ['{k="lin"}', 130], ['{k="nan"}', NaN], ['{k="neg"}', 10], ['{k="reset"}', 32], ['{k="sparse"}', 8], ['{k="stale"}', 8], ['{k="zero"}', 6]]],
    ["sum_over_time(c[5m])", '18m', [['{k="big"}', 6000000000000140], ['{k="lin"}', 930]]],
    ["sum_over_time(c[1m])", '3m', [['{k="awk"}', 0], ['{k="big"}', 2000000000000007.5], ['{k="const"}', 14], ['{k="inf"}', Infinity], ['{k="lin"}', 50], ['{k="nan"}', NaN], ['{k="neg"}', -1], ['{k="reset"}', 18], ['{k="sparse"}', 4], ['{k="stale"}', 7], ['{k="zero"}', 0]]],
    ["sum_over_time(c[7m])", '20m', [['{k="big"}', 8000000000000198], ['{k="lin"}', 1320]]],
    ["count_over_time(c[5m])", '10m', [['{k="awk"}', 6], ['{k="big"}', 6], ['{k="const"}', 6], ['{k="inf"}', 6], ['{k="lin"}', 6], ['{k="nan"}', 6], ['{k="neg"}', 6], ['{k="reset"}', 6], ['{k="sparse"}', 2], ['{k="stale"}', 4], ['{k="zero"}', 6]]],
    ["count_over_time(c[3m])", '4m', [['{k="awk"}', 4], ['{k="big"}', 4], ['{k="const"}', 4], ['{k="inf"}', 4], ['{k="lin"}', 4], ['{k="nan"}', 4], ['{k="neg"}', 4], ['{k="reset"}', 4], ['{k="sparse"}', 1], ['{k="stale"}', 4], ['{k="zero"}', 4]]],
    ["count_over_time(c[10m])", '10m', [['{k="awk"}', 11], ['{k="big"}', 11], ['{k="const"}', 11], ['{k="inf"}', 11], ['{k="lin"}', 11], ['{k="nan"}', 11], ['{k="neg"}', 11], ['{k="reset"}', 11], ['{k="sparse"}', 4], ['{k="stale"}', 9], ['{k="zero"}', 11]]],
    ["count_over_time(c[90s])", '7m30s', [['{k="awk"}', 2], ['{k="big"}', 2], ['{k="const"}', 2], ['{k="inf"}', 2], ['{k="lin"}', 2], ['{k="nan"}', 2], ['{k="neg"}', 2], ['{k="reset"}', 2], ['{k="sparse"}', 1], ['{k="stale"}', 1], ['{k="zero"}', 2]]],
    ["count_over_time(c[5m])", '18m', [['{k="big"}', 6], ['{k="lin"}', 6]]],
    ["count_over_time(c[1m])", '3m', [['{k="awk"}', 2], ['{k="big"}', 2], ['{k="const"}', 2], ['{k="inf"}', 2], ['{k="lin"}', 2], ['{k="nan"}', 2], ['{k="neg"}', 2], ['{k="reset"}', 2], ['{k="sparse"}', 1], ['{k="stale"}', 2], ['{k="zero"}', 2]]],
    ["count_over_time(c[7m])", '20m', [['{k="big"}', 8], ['{k="lin"}', 8]]],
    ["last_over_time(c[5m])", '10m', [['{__name__="c", k="awk"}', 0.2], ['{__name__="c", k="big"}', 1000000000000015], ['{__name__="c", k="const"}', 7], ['{__name__="c", k="inf"}', Infinity], ['{__name__="c", k="lin"}', 100], ['{__name__="c", k="nan"}', NaN], ['{__name__="c", k="neg"}', 12], ['{__name__="c", k="reset"}', 2], ['{__name__="c", k="sparse"}', 9], ['{__name__="c", k="stale"}', 11], ['{__name__="c", k="zero"}', 3]]],
    ["last_over_time(c[3m])", '4m', [['{__name__="c", k="awk"}', 0.3], ['{__name__="c", k="big"}', 1000000000000006], ['{__name__="c", k="const"}', 7], ['{__name__="c", k="inf"}', Infinity], ['{__name__="c", k="lin"}', 40], ['{__name__="c", k="nan"}', 5], ['{__name__="c", k="neg"}', 2], ['{__name__="c", k="reset"}', 8], ['{__name__="c", k="sparse"}', 4], ['{__name__="c", k="stale"}', 5], ['{__name__="c", k="zero"}', 1]]],
    ["last_over_time(c[10m])", '10m', [['{__name__="c", k="awk"}', 0.2], ['{__name__="c", k="big"}', 1000000000000015], ['{__name__="c", k="const"}', 7], ['{__name__="c", k="inf"}', Infinity], ['{__name__="c", k="lin"}', 100], ['{__name__="c", k="nan"}', NaN], ['{__name__="c", k="neg"}', 12], ['{__name__="c", k="reset"}', 2], ['{__name__="c", k="sparse"}', 9], ['{__name__="c", k="stale"}', 11], ['{__name__="c", k="zero"}', 3]]],
    ["last_over_time(c[90s])", '7m30s', [['{__name__="c", k="awk"}', 10000000000000000], ['{__name__="c", k="big"}', 1000000000000010.5], ['{__name__="c", k="const"}', 7], ['{__name__="c", k="inf"}', Infinity], ['{__name__="c", k="lin"}', 70], ['{__name__="c", k="nan"}', NaN], ['{__name__="c", k="neg"}', 7], ['{__name__="c", k="reset"}', 30], ['{__name__="c", k="sparse"}', 8], ['{__name__="c", k="stale"}', 8], ['{__name__="c", k="zero"}', 3]]],
    ["last_over_time(c[5m])", '18m', [['{__name__="c", k="big"}', 1000000000000027], ['{__name__="c", k="lin"}', 180]]],
    ["last_over_time(c[1m])", '3m', [['{__name__="c", k="awk"}', -10000000000000000], ['{__name__="c", k="big"}', 1000000000000004.5], ['{__name__="c", k="const"}', 7], ['{__name__="c", k="inf"}', Infinity], ['{__name__="c", k="lin"}', 30], ['{__name__="c", k="nan"}', 1], ['{__name__="c", k="neg"}', 0], ['{__name__="c", k="reset"}', 3], ['{__name__="c", k="sparse"}', 4], ['{__name__="c", k="stale"}', 4], ['{__name__="c", k="zero"}', 0]]],
    ["last_over_time(c[7m])", '20m', [['{__name__="c", k="big"}', 1000000000000030], ['{__name__="c", k="lin"}', 200]]],
    ["stddev_over_time(c[5m])", '10m', [['{k="awk"}', 5773502691896258], ['{k="big"}', 2.5617376914898995], ['{k="const"}', 0], ['{k="inf"}', NaN], ['{k="lin"}', 17.07825127659933], ['{k="nan"}', NaN], ['{k="neg"}', 3.2015621187164243], ['{k="reset"}', 16.316317667360558], ['{k="sparse"}', 0.5], ['{k="stale"}', 1.118033988749895], ['{k="zero"}', 0.372677996249965]]],
    ["stddev_over_time(c[3m])", '4m', [['{k="awk"}', 7071067811865475], ['{k="big"}', 1.6770509831248424], ['{k="const"}', 0], ['{k="inf"}', NaN], ['{k="lin"}', 11.180339887498949], ['{k="nan"}', NaN], ['{k="neg"}', 1.8027756377319946], ['{k="reset"}', 4.301162633521313], ['{k="sparse"}', 0], ['{k="stale"}', 1.118033988749895], ['{k="zero"}', 0.4330127018922193]]],
    ["stddev_over_time(c[10m])", '10m', [['{k="awk"}', 6030226891555273], ['{k="big"}', 4.743416490252569], ['{k="const"}', 0], ['{k="inf"}', NaN], ['{k="lin"}', 31.622776601683793], ['{k="nan"}', NaN], ['{k="neg"}', 5.2805584478027665], ['{k="reset"}', 13.24093327713673], ['{k="sparse"}', 3.2015621187164243], ['{k="stale"}', 3.478327964999673], ['{k="zero"}', 1.3666633071248098]]],
    ["stddev_over_time(c[90s])", '7m30s', [['{k="awk"}', 4999999999999998], ['{k="big"}', 0.75], ['{k="const"}', 0], ['{k="inf"}', NaN], ['{k="lin"}', 5], ['{k="nan"}', NaN], ['{k="neg"}', 2], ['{k="reset"}', 14], ['{k="sparse"}', 0], ['{k="stale"}', 0], ['{k="zero"}', 0]]],
    ["stddev_over_time(c[5m])", '18m', [['{k="big"}', 2.5617376914898995], ['{k="lin"}', 17.07825127659933]]],
    ["stddev_over_time(c[1m])", '3m', [['{k="awk"}', 10000000000000000], ['{k="big"}', 0.75], ['{k="const"}', 0], ['{k="inf"}', NaN], ['{k="lin"}', 5], ['{k="nan"}', NaN], ['{k="neg"}', 0.5], ['{k="reset"}', 6], ['{k="sparse"}', 0], ['{k="stale"}', 0.5], ['{k="zero"}', 0]]],
    ["stddev_over_time(c[7m])", '20m', [['{k="big"}', 3.43693177121688], ['{k="lin"}', 22.9128784747792]]],
    ["quantile_over_time(0, c[10m])", '10m', [['{k="awk"}', -10000000000000000], ['{k="big"}', 1000000000000000], ['{k="const"}', 7], ['{k="inf"}', NaN], ['{k="lin"}', 0], ['{k="nan"}', NaN], ['{k="neg"}', -5], ['{k="reset"}', 1], ['{k="sparse"}', 1], ['{k="stale"}', 1], ['{k="zero"}', 0]]],
    ["quantile_over_time(0.25, c[10m])", '10m', [['{k="awk"}', 0.0505], ['{k="big"}', 1000000000000003.8], ['{k="const"}', 7], ['{k="inf"}', Infinity], ['{k="lin"}', 25], ['{k="nan"}', NaN], ['{k="neg"}', -0.5], ['{k="reset"}', 2.5], ['{k="sparse"}', 3.25], ['{k="stale"}', 3], ['{k="zero"}', 0]]],
    ["quantile_over_time(0.5, c[10m])", '10m', [['{k="awk"}', 0.3], ['{k="big"}', 1000000000000007.5], ['{k="const"}', 7], ['{k="inf"}', NaN], ['{k="lin"}', 50], ['{k="nan"}', NaN], ['{k="neg"}', 3], ['{k="reset"}', 8], ['{k="sparse"}', 6], ['{k="stale"}', 5], ['{k="zero"}', 2]]],
    ["quantile_over_time(0.9, c[10m])", '10m', [['{k="awk"}', 10000000000000000], ['{k="big"}', 1000000000000013.5], ['{k="const"}', 7], ['{k="inf"}', NaN], ['{k="lin"}', 90], ['{k="nan"}', 4], ['{k="neg"}', 10], ['{k="reset"}', 31], ['{k="sparse"}', 8.7], ['{k="stale"}', 10.2], ['{k="zero"}', 3]]],
    ["quantile_over_time(1, c[10m])", '10m', [['{k="awk"}', 10000000000000000], ['{k="big"}', 1000000000000015], ['{k="const"}', 7], ['{k="inf"}', NaN], ['{k="lin"}', 100], ['{k="nan"}', 5], ['{k="neg"}', 12], ['{k="reset"}', 40], ['{k="sparse"}', 9], ['{k="stale"}', 11], ['{k="zero"}', 3]]],
    ["quantile_over_time(-1, c[10m])", '10m', [['{k="awk"}', -Infinity], ['{k="big"}', -Infinity], ['{k="const"}', -Infinity], ['{k="inf"}', -Infinity], ['{k="lin"}', -Infinity], ['{k="nan"}', -Infinity], ['{k="neg"}', -Infinity], ['{k="reset"}', -Infinity], ['{k="sparse"}', -Infinity], ['{k="stale"}', -Infinity], ['{k="zero"}', -Infinity]]],
    ["quantile_over_time(2, c[10m])", '10m', [['{k="awk"}', Infinity], ['{k="big"}', Infinity], ['{k="const"}', Infinity], ['{k="inf"}', Infinity], ['{k="lin"}', Infinity], ['{k="nan"}', Infinity], ['{k="neg"}', Infinity], ['{k="reset"}', Infinity], ['{k="sparse"}', Infinity], ['{k="stale"}', Infinity], ['{k="zero"}', Infinity]]],
    ["quantile_over_time(NaN, c[10m])", '10m', [['{k="awk"}', NaN], ['{k="big"}', NaN], ['{k="const"}', NaN], ['{k="inf"}', NaN], ['{k="lin"}', NaN], ['{k="nan"}', NaN], ['{k="neg"}', NaN], ['{k="reset"}', NaN], ['{k="sparse"}', NaN], ['{k="stale"}', NaN], ['{k="zero"}', NaN]]],
    ["rate(c[5m] offset 2m)", '12m', [['{k="awk"}', 33333333333333.363], ['{k="big"}', 0.025], ['{k="const"}', 0], ['{k="inf"}', NaN], ['{k="lin"}', 0.16666666666666669], ['{k="nan"}', NaN], ['{k="neg"}', 0.04], ['{k="reset"}', 0.1366666666666667], ['{k="sparse"}', 0.006666666666666667], ['{k="stale"}', 0.011666666666666667], ['{k="zero"}', 0.0033333333333333335]]],
    ["increase(c{k=\"reset\"}[10m])", '12m', [['{k="reset"}', 54]]],
    ["absent_over_time(c[5m])", '10m', []],
    ["absent_over_time(nonexistent{a=\"b\",c=~\"x\"}[5m])", '10m', [['{a="b"}', 1]]],
    ["absent_over_time(c{k=\"sparse\"}[1m])", '5m', [['{k="sparse"}', 1]]],
    ["absent_over_time(c{k=\"stale\"}[30s])", '13m', [['{k="stale"}', 1]]],
    ["rate(c{k=\"neg\"}[10m])", '10m', [['{k="neg"}', 0.035]]],
    ["increase(c{k=\"zero\"}[10m])", '10m', [['{k="zero"}', 3]]],
    ["delta(c{k=\"neg\"}[10m])", '10m', [['{k="neg"}', 17]]],
    ["deriv(c{k=\"big\"}[10m])", '10m', [['{k="big"}', 0.02585858585858586]]],
    ["deriv(c{k=\"const\"}[10m])", '10m', [['{k="const"}', 0]]],
    ["deriv(c{k=\"inf\"}[10m])", '10m', [['{k="inf"}', NaN]]],
    ["avg_over_time(c{k=\"big\"}[10m])", '10m', [['{k="big"}', 1000000000000007.5]]],
    ["min_over_time(c{k=\"nan\"}[10m])", '10m', [['{k="nan"}', 1]]],
    ["max_over_time(c{k=\"nan\"}[10m])", '10m', [['{k="nan"}', 5]]],
    ["avg_over_time(c{k=\"inf\"}[10m])", '10m', [['{k="inf"}', Infinity]]],
  ]);
});

const AGGREGATES: Fixture = [
  ["m{job=\"a\",inst=\"1\"}", "1 2 3 4"],
  ["m{job=\"a\",inst=\"2\"}", "3 5 7 9"],
  ["m{job=\"b\",inst=\"1\"}", "10 2 9 1"],
  ["m{job=\"b\",inst=\"2\"}", "4 4 4 4"],
  ["m{job=\"c\",inst=\"1\"}", "-1 8 0.5 2"],
  ["awk{i=\"1\"}", "0.1"],
  ["awk{i=\"2\"}", "1e16"],
  ["awk{i=\"3\"}", "0.7"],
  ["awk{i=\"4\"}", "-1e16"],
  ["awk{i=\"5\"}", "0.3"],
  ["awk{i=\"6\"}", "3.3"],
  ["nans{g=\"x\",i=\"1\"}", "NaN"],
  ["nans{g=\"x\",i=\"2\"}", "3"],
  ["nans{g=\"x\",i=\"3\"}", "1"],
  ["nans{g=\"y\",i=\"1\"}", "5"],
  ["nans{g=\"y\",i=\"2\"}", "NaN"],
  ["infs{g=\"x\",i=\"1\"}", "Inf"],
  ["infs{g=\"x\",i=\"2\"}", "-Inf"],
  ["infs{g=\"y\",i=\"1\"}", "Inf"],
  ["infs{g=\"y\",i=\"2\"}", "5"],
  ["infs{g=\"z\",i=\"1\"}", "-Inf"],
  ["infs{g=\"z\",i=\"2\"}", "-Inf"],
  ["ties{i=\"1\"}", "5"],
  ["ties{i=\"2\"}", "5"],
  ["ties{i=\"3\"}", "5"],
  ["ties{i=\"4\"}", "5"],
  ["big{i=\"1\"}", "1e308"],
  ["big{i=\"2\"}", "1e308"],
  ["big{i=\"3\"}", "-3e307"],
  ["fmt{i=\"1\"}", "1e21"],
  ["fmt{i=\"2\"}", "1e-7"],
  ["fmt{i=\"3\"}", "0.1"],
  ["fmt{i=\"4\"}", "-0"],
  ["fmt{i=\"5\"}", "123456789.25"],
  ["fmt{i=\"6\"}", "Inf"],
  ["fmt{i=\"7\"}", "NaN"],
  ["fmt{i=\"8\"}", "1e300"],
];

describe('aggregation operators', () => {
  table(AGGREGATES, [
    ["sum (m)", '1m', [['{}', 21]]],
    ["sum (m)", '3m', [['{}', 20]]],
    ["sum by (job) (m)", '1m', [['{job="a"}', 7], ['{job="b"}', 6], ['{job="c"}', 8]]],
    ["sum by (job) (m)", '3m', [['{job="a"}', 13], ['{job="b"}', 5], ['{job="c"}', 2]]],
    ["sum without (inst) (m)", '1m', [['{job="a"}', 7], ['{job="b"}', 6], ['{job="c"}', 8]]],
    ["sum without (inst) (m)", '3m', [['{job="a"}', 13], ['{job="b"}', 5], ['{job="c"}', 2]]],
    ["sum by (nope) (m)", '1m', [['{}', 21]]],
    ["sum by (nope) (m)", '3m', [['{}', 20]]],
    ["sum without (job, inst) (m)", '1m', [['{}', 21]]],
    ["sum without (job, inst) (m)", '3m', [['{}', 20]]],
    ["sum by (g) (nans)", '0s', [['{g="x"}', NaN], ['{g="y"}', NaN]]],
    ["sum by (g) (infs)", '0s', [['{g="x"}', NaN], ['{g="y"}', Infinity], ['{g="z"}', -Infinity]]],
    ["avg (m)", '1m', [['{}', 4.2]]],
    ["avg (m)", '3m', [['{}', 4]]],
    ["avg by (job) (m)", '1m', [['{job="a"}', 3.5], ['{job="b"}', 3], ['{job="c"}', 8]]],
    ["avg by (job) (m)", '3m', [['{job="a"}', 6.5], ['{job="b"}', 2.5], ['{job="c"}', 2]]],
    ["avg without (inst) (m)", '1m', [['{job="a"}', 3.5], ['{job="b"}', 3], ['{job="c"}', 8]]],
    ["avg without (inst) (m)", '3m', [['{job="a"}', 6.5], ['{job="b"}', 2.5], ['{job="c"}', 2]]],
    ["avg by (nope) (m)", '1m', [['{}', 4.2]]],
    ["avg by (nope) (m)", '3m', [['{}', 4]]],
    ["avg without (job, inst) (m)", '1m', [['{}', 4.2]]],
    ["avg without (job, inst) (m)", '3m', [['{}', 4]]],
    ["avg by (g) (nans)", '0s', [['{g="x"}', NaN], ['{g="y"}', NaN]]],
    ["avg by (g) (infs)", '0s', [['{g="x"}', NaN], ['{g="y"}', Infinity], ['{g="z"}', -Infinity]]],
    ["min (m)", '1m', [['{}', 2]]],
    ["min (m)", '3m', [['{}', 1]]],
    ["min by (job) (m)", '1m', [['{job="a"}', 2], ['{job="b"}', 2], ['{job="c"}', 8]]],
    ["min by (job) (m)", '3m', [['{job="a"}', 4], ['{job="b"}', 1], ['{job="c"}', 2]]],
    ["min without (inst) (m)", '1m', [['{job="a"}', 2], ['{job="b"}', 2], ['{job="c"}', 8]]],
    ["min without (inst) (m)", '3m', [['{job="a"}', 4], ['{job="b"}', 1], ['{job="c"}', 2]]],
    ["min by (nope) (m)", '1m', [['{}', 2]]],
    ["min by (nope) (m)", '3m', [['{}', 1]]],
    ["min without (job, inst) (m)", '1m', [['{}', 2]]],
    ["min without (job, inst) (m)", '3m', [['{}', 1]]],
    ["min by (g) (nans)", '0s', [['{g="x"}', 1], ['{g="y"}', 5]]],
    ["min by (g) (infs)", '0s', [['{g="x"}', -Infinity], ['{g="y"}', 5], ['{g="z"}', -Infinity]]],
    ["max (m)", '1m', [['{}', 8]]],
    ["max (m)", '3m', [['{}', 9]]],
    ["max by (job) (m)", '1m', [['{job="a"}', 5], ['{job="b"}', 4], ['{job="c"}', 8]]],
    ["max by (job) (m)", '3m', [['{job="a"}', 9], ['{job="b"}', 4], ['{job="c"}', 2]]],
    ["max without (inst) (m)", '1m', [['{job="a"}', 5], ['{job="b"}', 4], ['{job="c"}', 8]]],
    ["max without (inst) (m)", '3m', [['{job="a"}', 9], ['{job="b"}', 4], ['{job="c"}', 2]]],
    ["max by (nope) (m)", '1m', [['{}', 8]]],
    ["max by (nope) (m)", '3m', [['{}', 9]]],
    ["max without (job, inst) (m)", '1m', [['{}', 8]]],
    ["max without (job, inst) (m)", '3m', [['{}', 9]]],
    ["max by (g) (nans)", '0s', [['{g="x"}', 3], ['{g="y"}', 5]]],
    ["max by (g) (infs)", '0s', [['{g="x"}', Infinity], ['{g="y"}', Infinity], ['{g="z"}', -Infinity]]],
    ["count (m)", '1m', [['{}', 5]]],
    ["count (m)", '3m', [['{}', 5]]],
    ["count by (job) (m)", '1m', [['{job="a"}', 2], ['{job="b"}', 2], ['{job="c"}', 1]]],
    ["count by (job) (m)", '3m', [['{job="a"}', 2], ['{job="b"}', 2], ['{job="c"}', 1]]],
    ["count without (inst) (m)", '1m', [['{job="a"}', 2], ['{job="b"}', 2], ['{job="c"}', 1]]],
    ["count without (inst) (m)", '3m', [['{job="a"}', 2], ['{job="b"}', 2], ['{job="c"}', 1]]],
    ["count by (nope) (m)", '1m', [['{}', 5]]],
    ["count by (nope) (m)", '3m', [['{}', 5]]],
    ["count without (job, inst) (m)", '1m', [['{}', 5]]],
    ["count without (job, inst) (m)", '3m', [['{}', 5]]],
    ["count by (g) (nans)", '0s', [['{g="x"}', 3], ['{g="y"}', 2]]],
    ["count by (g) (infs)", '0s', [['{g="x"}', 2], ['{g="y"}', 2], ['{g="z"}', 2]]],
    ["stddev by (job) (m)", '1m', [['{job="a"}', 1.5], ['{job="b"}', 1], ['{job="c"}', 0]]],
    ["stddev by (job) (m)", '3m', [['{job="a"}', 2.5], ['{job="b"}', 1.5], ['{job="c"}', 0]]],
    ["stddev without (inst) (m)", '1m', [['{job="a"}', 1.5], ['{job="b"}', 1], ['{job="c"}', 0]]],
    ["stddev without (inst) (m)", '3m', [['{job="a"}', 2.5], ['{job="b"}', 1.5], ['{job="c"}', 0]]],
    ["stddev by (g) (nans)", '0s', [['{g="x"}', NaN], ['{g="y"}', NaN]]],
    ["stddev by (g) (infs)", '0s', [['{g="x"}', NaN], ['{g="y"}', NaN], ['{g="z"}', NaN]]],
    ["stdvar by (job) (m)", '1m', [['{job="a"}', 2.25], ['{job="b"}', 1], ['{job="c"}', 0]]],
    ["stdvar by (job) (m)", '3m', [['{job="a"}', 6.25], ['{job="b"}', 2.25], ['{job="c"}', 0]]],
    ["stdvar without (inst) (m)", '1m', [['{job="a"}', 2.25], ['{job="b"}', 1], ['{job="c"}', 0]]],
    ["stdvar without (inst) (m)", '3m', [['{job="a"}', 6.25], ['{job="b"}', 2.25], ['{job="c"}', 0]]],
    ["stdvar by (g) (nans)", '0s', [['{g="x"}', NaN], ['{g="y"}', NaN]]],
    ["stdvar by (g) (infs)", '0s', [['{g="x"}', NaN], ['{g="y"}', NaN], ['{g="z"}', NaN]]],
    ["group (m)", '1m', [['{}', 1]]],
    ["group (m)", '3m', [['{}', 1]]],
    ["group by (job) (m)", '1m', [['{job="a"}', 1], ['{job="b"}', 1], ['{job="c"}', 1]]],
    ["group by (job) (m)", '3m', [['{job="a"}', 1], ['{job="b"}', 1], ['{job="c"}', 1]]],
    ["group without (inst) (m)", '1m', [['{job="a"}', 1], ['{job="b"}', 1], ['{job="c"}', 1]]],
    ["group without (inst) (m)", '3m', [['{job="a"}', 1], ['{job="b"}', 1], ['{job="c"}', 1]]],
    ["group by (nope) (m)", '1m', [['{}', 1]]],
    ["group by (nope) (m)", '3m', [['{}', 1]]],
    ["group without (job, inst) (m)", '1m', [['{}', 1]]],
    ["group without (job, inst) (m)", '3m', [['{}', 1]]],
    ["group by (g) (nans)", '0s', [['{g="x"}', 1], ['{g="y"}', 1]]],
    ["group by (g) (infs)", '0s', [['{g="x"}', 1], ['{g="y"}', 1], ['{g="z"}', 1]]],
    ["topk(1, m)", '1m', [['{__name__="m", inst="1", job="c"}', 8]]],
    ["topk by (job) (1, m)", '2m', [['{__name__="m", inst="1", job="b"}', 9], ['{__name__="m", inst="1", job="c"}', 0.5], ['{__name__="m", inst="2", job="a"}', 7]]],
    ["bottomk without (inst) (1, m)", '2m', [['{__name__="m", inst="1", job="a"}', 3], ['{__name__="m", inst="1", job="c"}', 0.5], ['{__name__="m", inst="2", job="b"}', 4]]],
    ["topk(2, m)", '1m', [['{__name__="m", inst="1", job="c"}', 8], ['{__name__="m", inst="2", job="a"}', 5]]],
    ["bottomk(2, m)", '1m', [['{__name__="m", inst="1", job="a"}', 2], ['{__name__="m", inst="1", job="b"}', 2]]],
    ["topk by (job) (2, m)", '2m', [['{__name__="m", inst="1", job="a"}', 3], ['{__name__="m", inst="1", job="b"}', 9], ['{__name__="m", inst="1", job="c"}', 0.5], ['{__name__="m", inst="2", job="a"}', 7], ['{__name__="m", inst="2", job="b"}', 4]]],
    ["bottomk without (inst) (2, m)", '2m', [['{__name__="m", inst="1", job="a"}', 3], ['{__name__="m", inst="1", job="b"}', 9], ['{__name__="m", inst="1", job="c"}', 0.5], ['{__name__="m", inst="2", job="a"}', 7], ['{__name__="m", inst="2", job="b"}', 4]]],
    ["topk(3, m)", '1m', [['{__name__="m", inst="1", job="c"}', 8], ['{__name__="m", inst="2", job="a"}', 5], ['{__name__="m", inst="2", job="b"}', 4]]],
    ["bottomk(3, m)", '1m', [['{__name__="m", inst="1", job="a"}', 2], ['{__name__="m", inst="1", job="b"}', 2], ['{__name__="m", inst="2", job="b"}', 4]]],
    ["topk by (job) (3, m)", '2m', [['{__name__="m", inst="1", job="a"}', 3], ['{__name__="m", inst="1", job="b"}', 9], ['{__name__="m", inst="1", job="c"}', 0.5], ['{__name__="m", inst="2", job="a"}', 7], ['{__name__="m", inst="2", job="b"}', 4]]],
    ["bottomk without (inst) (3, m)", '2m', [['{__name__="m", inst="1", job="a"}', 3], ['{__name__="m", inst="1", job="b"}', 9], ['{__name__="m", inst="1", job="c"}', 0.5], ['{__name__="m", inst="2", job="a"}', 7], ['{__name__="m", inst="2", job="b"}', 4]]],
    ["topk(10, m)", '1m', [['{__name__="m", inst="1", job="a"}', 2], ['{__name__="m", inst="1", job="b"}', 2], ['{__name__="m", inst="1", job="c"}', 8], ['{__name__="m", inst="2", job="a"}', 5], ['{__name__="m", inst="2", job="b"}', 4]]],
    ["bottomk(10, m)", '1m', [['{__name__="m", inst="1", job="a"}', 2], ['{__name__="m", inst="1", job="b"}', 2], ['{__name__="m", inst="1", job="c"}', 8], ['{__name__="m", inst="2", job="a"}', 5], ['{__name__="m", inst="2", job="b"}', 4]]],
    ["topk by (job) (10, m)", '2m', [['{__name__="m", inst="1", job="a"}', 3], ['{__name__="m", inst="1", job="b"}', 9], ['{__name__="m", inst="1", job="c"}', 0.5], ['{__name__="m", inst="2", job="a"}', 7], ['{__name__="m", inst="2", job="b"}', 4]]],
    ["bottomk without (inst) (10, m)", '2m', [['{__name__="m", inst="1", job="a"}', 3], ['{__name__="m", inst="1", job="b"}', 9], ['{__name__="m", inst="1", job="c"}', 0.5], ['{__name__="m", inst="2", job="a"}', 7], ['{__name__="m", inst="2", job="b"}', 4]]],
    ["topk(0, m)", '1m', []],
    ["bottomk(0, m)", '1m', []],
    ["topk by (job) (0, m)", '2m', []],
    ["bottomk without (inst) (0, m)", '2m', []],
    ["topk(-1, m)", '1m', []],
    ["bottomk(-1, m)", '1m', []],
    ["topk by (job) (-1, m)", '2m', []],
    ["bottomk without (inst) (-1, m)", '2m', []],
    ["topk(1.9, m)", '1m', [['{__name__="m", inst="1", job="c"}', 8]]],
    ["topk by (job) (1.9, m)", '2m', [['{__name__="m", inst="1", job="b"}', 9], ['{__name__="m", inst="1", job="c"}', 0.5], ['{__name__="m", inst="2", job="a"}', 7]]],
    ["bottomk without (inst) (1.9, m)", '2m', [['{__name__="m", inst="1", job="a"}', 3], ['{__name__="m", inst="1", job="c"}', 0.5], ['{__name__="m", inst="2", job="b"}', 4]]],
    ["topk(2, nans)", '0s', [['{__name__="nans", g="x", i="2"}', 3], ['{__name__="nans", g="y", i="1"}', 5]]],
    ["bottomk(2, nans)", '0s', [['{__name__="nans", g="x", i="2"}', 3], ['{__name__="nans", g="x", i="3"}', 1]]],
    ["topk(1, nans)", '0s', [['{__name__="nans", g="y", i="1"}', 5]]],
    ["bottomk(1, nans)", '0s', [['{__name__="nans", g="x", i="3"}', 1]]],
    ["topk(NaN, m)", '0s', { error: "Scalar value NaN overflows int64" }],
    ["topk(1e19, m)", '0s', { error: "Scalar value 1e+19 overflows int64" }],
    ["quantile(0, m)", '1m', [['{}', 2]]],
    ["quantile by (job) (0, m)", '1m', [['{job="a"}', 2], ['{job="b"}', 2], ['{job="c"}', 8]]],
    ["quantile(0, nans)", '0s', [['{}', NaN]]],
    ["quantile(0.1, m)", '1m', [['{}', 2]]],
    ["quantile by (job) (0.1, m)", '1m', [['{job="a"}', 2.3], ['{job="b"}', 2.2], ['{job="c"}', 8]]],
    ["quantile(0.1, nans)", '0s', [['{}', NaN]]],
    ["quantile(0.5, m)", '1m', [['{}', 4]]],
    ["quantile by (job) (0.5, m)", '1m', [['{job="a"}', 3.5], ['{job="b"}', 3], ['{job="c"}', 8]]],
    ["quantile(0.5, nans)", '0s', [['{}', 1]]],
    ["quantile(0.75, m)", '1m', [['{}', 5]]],
    ["quantile by (job) (0.75, m)", '1m', [['{job="a"}', 4.25], ['{job="b"}', 3.5], ['{job="c"}', 8]]],
    ["quantile(0.75, nans)", '0s', [['{}', 3]]],
    ["quantile(1, m)", '1m', [['{}', 8]]],
    ["quantile by (job) (1, m)", '1m', [['{job="a"}', 5], ['{job="b"}', 4], ['{job="c"}', 8]]],
    ["quantile(1, nans)", '0s', [['{}', 5]]],
    ["quantile(-0.5, m)", '1m', [['{}', -Infinity]]],
    ["quantile by (job) (-0.5, m)", '1m', [['{job="a"}', -Infinity], ['{job="b"}', -Infinity], ['{job="c"}', -Infinity]]],
    ["quantile(-0.5, nans)", '0s', [['{}', -Infinity]]],
    ["quantile(1.5, m)", '1m', [['{}', Infinity]]],
    ["quantile by (job) (1.5, m)", '1m', [['{job="a"}', Infinity], ['{job="b"}', Infinity], ['{job="c"}', Infinity]]],
    ["quantile(1.5, nans)", '0s', [['{}', Infinity]]],
    ["quantile(NaN, m)", '1m', [['{}', NaN]]],
    ["quantile by (job) (NaN, m)", '1m', [['{job="a"}', NaN], ['{job="b"}', NaN], ['{job="c"}', NaN]]],
    ["quantile(NaN, nans)", '0s', [['{}', NaN]]],
    ["count_values(\"v\", m)", '1m', [['{v="2"}', 2], ['{v="4"}', 1], ['{v="5"}', 1], ['{v="8"}', 1]]],
    ["count_values by (job) (\"v\", m)", '1m', [['{job="a", v="2"}', 1], ['{job="a", v="5"}', 1], ['{job="b", v="2"}', 1], ['{job="b", v="4"}', 1], ['{job="c", v="8"}', 1]]],
    ["count_values without (inst) (\"v\", m)", '1m', [['{job="a", v="2"}', 1], ['{job="a", v="5"}', 1], ['{job="b", v="2"}', 1], ['{job="b", v="4"}', 1], ['{job="c", v="8"}', 1]]],
    ["count_values(\"job\", m)", '1m', [['{job="2"}', 2], ['{job="4"}', 1], ['{job="5"}', 1], ['{job="8"}', 1]]],
    ["count_values(\"v\", fmt)", '0s', [['{v="+Inf"}', 1], ['{v="-0"}', 1], ['{v="0.0000001"}', 1], ['{v="0.1"}', 1], ['{v="1000000000000000000000"}', 1], ['{v="1000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"}', 1], ['{v="123456789.25"}', 1], ['{v="NaN"}', 1]]],
    ["count_values(\"1x\", m)", '1m', { error: "invalid label name \"1x\"" }],
    ["sum(m) by (job)", '1m', [['{job="a"}', 7], ['{job="b"}', 6], ['{job="c"}', 8]]],
    ["stddev(big)", '0s', [['{}', Infinity]]],
    ["avg(infs)", '0s', [['{}', NaN]]],
    ["count(nonexistent)", '0s', []],
    ["sum(nonexistent)", '0s', []],
    ["max without () (m)", '0s', [['{inst="1", job="a"}', 1], ['{inst="1", job="b"}', 10], ['{inst="1", job="c"}', -1], ['{inst="2", job="a"}', 3], ['{inst="2", job="b"}', 4]]],
  ]);
});

const MATCHING: Fixture = [
  ["l{j=\"1\",k=\"a1\"}", "1 2 3 4"],
  ["l{j=\"2\",k=\"b22\"}", "3 3 3 3"],
  ["l{j=\"3\",k=\"c\"}", "5 5 5 5"],
  ["r{j=\"1\",k=\"a1\"}", "2 2 2 2"],
  ["r{j=\"2\",k=\"b22\"}", "1 1 1 1"],
  ["r{j=\"3\",k=\"zz\"}", "9 9 9 9"],
  ["r1{j=\"1\",x=\"p\"}", "10 10 10 10"],
  ["r1{j=\"2\",x=\"q\"}", "20 20 20 20"],
  ["r2{j=\"1\",k=\"u\"}", "1"],
  ["r2{j=\"1\",k=\"v\"}", "2"],
  ["r3", "4"],
  ["n{i=\"1\"}", "-1.5"],
  ["n{i=\"2\"}", "2.5"],
  ["n{i=\"3\"}", "0.15"],
  ["n{i=\"4\"}", "-0.5"],
  ["n{i=\"5\"}", "123.456"],
  ["n{i=\"6\"}", "NaN"],
  ["n{i=\"7\"}", "-Inf"],
  ["n{i=\"8\"}", "0.45"],
  ["h{g=\"a\",le=\"0.1\"}", "1"],
  ["h{g=\"a\",le=\"0.5\"}", "4"],
  ["h{g=\"a\",le=\"1\"}", "9"],
  ["h{g=\"a\",le=\"+Inf\"}", "10"],
  ["h{g=\"noinf\",le=\"1\"}", "1"],
  ["h{g=\"noinf\",le=\"2\"}", "2"],
  ["h{g=\"neg\",le=\"-1\"}", "2"],
  ["h{g=\"neg\",le=\"0\"}", "4"],
  ["h{g=\"neg\",le=\"+Inf\"}", "8"],
  ["h{g=\"nonmono\",le=\"1\"}", "5"],
  ["h{g=\"nonmono\",le=\"2\"}", "3"],
  ["h{g=\"nonmono\",le=\"3\"}", "8"],
  ["h{g=\"nonmono\",le=\"+Inf\"}", "8"],
  ["h{g=\"dup\",le=\"1\"}", "2"],
  ["h{g=\"dup\",le=\"1.0\"}", "3"],
  ["h{g=\"dup\",le=\"2\"}", "10"],
  ["h{g=\"dup\",le=\"Inf\"}", "10"],
  ["h{g=\"empty\",le=\"1\"}", "0"],
  ["h{g=\"empty\",le=\"+Inf\"}", "0"],
  ["h{g=\"one\",le=\"+Inf\"}", "5"],
  ["h{g=\"hex\",le=\"0x1p-1\"}", "1"],
  ["h{g=\"hex\",le=\"2\"}", "3"],
  ["h{g=\"hex\",le=\"junk\"}", "3"],
  ["h{g=\"hex\",le=\"+inf\"}", "4"],
  ["hc{i=\"1\",le=\"0.25\"}", "0+1x10"],
  ["hc{i=\"1\",le=\"1\"}", "0+3x10"],
  ["hc{i=\"1\",le=\"+Inf\"}", "0+4x10"],
  ["hc{i=\"2\",le=\"0.25\"}", "0+2x10"],
  ["hc{i=\"2\",le=\"1\"}", "0+2x10"],
  ["hc{i=\"2\",le=\"+Inf\"}", "0+5x10"],
];

describe('binary operators, vector matching, set operators and instant-vector functions', () => {
  table(MATCHING, [
    ["l + r", '0s', [['{j="1", k="a1"}', 3], ['{j="2", k="b22"}', 4]]],
    ["l - on(j) r", '0s', [['{j="1"}', -1], ['{j="2"}', 2], ['{j="3"}', -4]]],
    ["l * ignoring(k) r", '0s', [['{j="1"}', 2], ['{j="2"}', 3], ['{j="3"}', 45]]],
    ["l > r", '0s', [['{__name__="l", j="2", k="b22"}', 3]]],
    ["l > bool r", '0s', [['{j="1", k="a1"}', 0], ['{j="2", k="b22"}', 1]]],
    ["l == on(j) r", '0s', []],
    ["l != ignoring(k) r", '0s', [['{__name__="l", j="1"}', 1], ['{__name__="l", j="2"}', 3], ['{__name__="l", j="3"}', 5]]],
    ["l atan2 r", '0s', [['{__name__="l", j="1", k="a1"}', 0.4636476090008061], ['{__name__="l", j="2", k="b22"}', 1.2490457723982544]]],
    ["l + on(j) group_left r1", '0s', [['{j="1", k="a1"}', 11], ['{j="2", k="b22"}', 23]]],
    ["l + on(j) group_left(x) r1", '0s', [['{j="1", k="a1", x="p"}', 11], ['{j="2", k="b22", x="q"}', 23]]],
    ["r1 - on(j) group_right(x) l", '0s', [['{j="1", k="a1", x="p"}', 9], ['{j="2", k="b22", x="q"}', 17]]],
    ["r1 < on(j) group_right l", '0s', []],
    ["l / ignoring(k) group_left(x) r1", '0s', []],
    ["l > bool on(j) group_left(x) r1", '0s', [['{j="1", k="a1", x="p"}', 0], ['{j="2", k="b22", x="q"}', 0]]],
    ["l + on(j) l", '0s', [['{j="1"}', 2], ['{j="2"}', 6], ['{j="3"}', 10]]],
    ["l + on(j) group_left(k) r1", '0s', [['{j="1"}', 11], ['{j="2"}', 23]]],
    ["l + l", '0s', [['{j="1", k="a1"}', 2], ['{j="2", k="b22"}', 6], ['{j="3", k="c"}', 10]]],
    ["l + on() group_left r3", '0s', [['{j="1", k="a1"}', 5], ['{j="2", k="b22"}', 7], ['{j="3", k="c"}', 9]]],
    ["r3 * on() group_right l", '0s', [['{j="1", k="a1"}', 4], ['{j="2", k="b22"}', 12], ['{j="3", k="c"}', 20]]],
    ["l and r", '0s', [['{__name__="l", j="1", k="a1"}', 1], ['{__name__="l", j="2", k="b22"}', 3]]],
    ["l and on(j) r1", '0s', [['{__name__="l", j="1", k="a1"}', 1], ['{__name__="l", j="2", k="b22"}', 3]]],
    ["l or r1", '0s', [['{__name__="l", j="1", k="a1"}', 1], ['{__name__="l", j="2", k="b22"}', 3], ['{__name__="l", j="3", k="c"}', 5], ['{__name__="r1", j="1", x="p"}', 10], ['{__name__="r1", j="2", x="q"}', 20]]],
    ["r1 or l", '0s', [['{__name__="l", j="1", k="a1"}', 1], ['{__name__="l", j="2", k="b22"}', 3], ['{__name__="l", j="3", k="c"}', 5], ['{__name__="r1", j="1", x="p"}', 10], ['{__name__="r1", j="2", x="q"}', 20]]],
    ["l unless r", '0s', [['{__name__="l", j="3", k="c"}', 5]]],
    ["l unless on(j) r1", '0s', [['{__name__="l", j="3", k="c"}', 5]]],
    ["l or nonexistent", '0s', [['{__name__="l", j="1", k="a1"}', 1], ['{__name__="l", j="2", k="b22"}', 3], ['{__name__="l", j="3", k="c"}', 5]]],
    ["nonexistent or l", '0s', [['{__name__="l", j="1", k="a1"}', 1], ['{__name__="l", j="2", k="b22"}', 3], ['{__name__="l", j="3", k="c"}', 5]]],
    ["l or on(k) r1", '0s', [['{__name__="l", j="1", k="a1"}', 1], ['{__name__="l", j="2", k="b22"}', 3], ['{__name__="l", j="3", k="c"}', 5], ['{__name__="r1", j="1", x="p"}', 10], ['{__name__="r1", j="2", x="q"}', 20]]],
    ["l > 2", '0s', [['{__name__="l", j="2", k="b22"}', 3], ['{__name__="l", j="3", k="c"}', 5]]],
    ["2 < l", '0s', [['{__name__="l", j="2", k="b22"}', 3], ['{__name__="l", j="3", k="c"}', 5]]],
    ["l >= bool 2", '0s', [['{j="1", k="a1"}', 0], ['{j="2", k="b22"}', 1], ['{j="3", k="c"}', 1]]],
    ["2 >= bool l", '0s', [['{j="1", k="a1"}', 1], ['{j="2", k="b22"}', 0], ['{j="3", k="c"}', 0]]],
    ["l * 2", '0s', [['{j="1", k="a1"}', 2], ['{j="2", k="b22"}', 6], ['{j="3", k="c"}', 10]]],
    ["10 / l", '0s', [['{j="1", k="a1"}', 10], ['{j="2", k="b22"}', 3.3333333333333335], ['{j="3", k="c"}', 2]]],
    ["l % 1.5", '0s', [['{j="1", k="a1"}', 1], ['{j="2", k="b22"}', 0], ['{j="3", k="c"}', 0.5]]],
    ["2 ^ l", '0s', [['{j="1", k="a1"}', 2], ['{j="2", k="b22"}', 8], ['{j="3", k="c"}', 32]]],
    ["l == 3", '0s', [['{__name__="l", j="2", k="b22"}', 3]]],
    ["l atan2 2", '0s', [['{__name__="l", j="1", k="a1"}', 0.4636476090008061], ['{__name__="l", j="2", k="b22"}', 0.982793723247329], ['{__name__="l", j="3", k="c"}', 1.1902899496825317]]],
    ["-l + 1", '0s', [['{j="1", k="a1"}', 0], ['{j="2", k="b22"}', -2], ['{j="3", k="c"}', -4]]],
    ["l + r + 0", '0s', [['{j="1", k="a1"}', 3], ['{j="2", k="b22"}', 4]]],
    ["{__name__=~\"l|r\"} + 1", '0s', { error: "vector cannot contain metrics with the same labelset" }],
    ["{__name__=~\"l|r\"} > 1", '0s', [['{__name__="l", j="2", k="b22"}', 3], ['{__name__="l", j="3", k="c"}', 5], ['{__name__="r", j="1", k="a1"}', 2], ['{__name__="r", j="3", k="zz"}', 9]]],
    ["{__name__=~\"l|r\"} > bool 1", '0s', { error: "vector cannot contain metrics with the same labelset" }],
    ["abs({__name__=~\"l|r\"})", '0s', { error: "vector cannot contain metrics with the same labelset" }],
    ["abs(n)", '0s', [['{i="1"}', 1.5], ['{i="2"}', 2.5], ['{i="3"}', 0.15], ['{i="4"}', 0.5], ['{i="5"}', 123.456], ['{i="6"}', NaN], ['{i="7"}', Infinity], ['{i="8"}', 0.45]]],
    ["ceil(n)", '0s', [['{i="1"}', -1], ['{i="2"}', 3], ['{i="3"}', 1], ['{i="4"}', -0], ['{i="5"}', 124], ['{i="6"}', NaN], ['{i="7"}', -Infinity], ['{i="8"}', 1]]],
    ["floor(n)", '0s', [['{i="1"}', -2], ['{i="2"}', 2], ['{i="3"}', 0], ['{i="4"}', -1], ['{i="5"}', 123], ['{i="6"}', NaN], ['{i="7"}', -Infinity], ['{i="8"}', 0]]],
    ["round(n)", '0s', [['{i="1"}', -1], ['{i="2"}', 3], ['{i="3"}', 0], ['{i="4"}', 0], ['{i="5"}', 123], ['{i="6"}', NaN], ['{i="7"}', -Infinity], ['{i="8"}', 0]]],
    ["round(n, 0.1)", '0s', [['{i="1"}', -1.5], ['{i="2"}', 2.5], ['{i="3"}', 0.2], ['{i="4"}', -0.5], ['{i="5"}', 123.5], ['{i="6"}', NaN], ['{i="7"}', -Infinity], ['{i="8"}', 0.5]]],
    ["round(n, 5)", '0s', [['{i="1"}', 0], ['{i="2"}', 5], ['{i="3"}', 0], ['{i="4"}', 0], ['{i="5"}', 125], ['{i="6"}', NaN], ['{i="7"}', -Infinity], ['{i="8"}', 0]]],
    ["round(n, 0.3)", '0s', [['{i="1"}', -1.5], ['{i="2"}', 2.4], ['{i="3"}', 0.3], ['{i="4"}', -0.6], ['{i="5"}', 123.6], ['{i="6"}', NaN], ['{i="7"}', -Infinity], ['{i="8"}', 0.6]]],
    ["round(n, -2)", '0s', [['{i="1"}', -2], ['{i="2"}', 2], ['{i="3"}', -0], ['{i="4"}', -0], ['{i="5"}', 124], ['{i="6"}', NaN], ['{i="7"}', -Infinity], ['{i="8"}', -0]]],
    ["clamp(n, -1, 2)", '0s', [['{i="1"}', -1], ['{i="2"}', 2], ['{i="3"}', 0.15], ['{i="4"}', -0.5], ['{i="5"}', 2], ['{i="6"}', NaN], ['{i="7"}', -1], ['{i="8"}', 0.45]]],
    ["clamp(n, 3, 1)", '0s', []],
    ["clamp_min(n, 0)", '0s', [['{i="1"}', 0], ['{i="2"}', 2.5], ['{i="3"}', 0.15], ['{i="4"}', 0], ['{i="5"}', 123.456], ['{i="6"}', NaN], ['{i="7"}', 0], ['{i="8"}', 0.45]]],
    ["clamp_max(n, 0)", '0s', [['{i="1"}', -1.5], ['{i="2"}', 0], ['{i="3"}', 0], ['{i="4"}', -0.5], ['{i="5"}', 0], ['{i="6"}', NaN], ['{i="7"}', -Infinity], ['{i="8"}', 0]]],
    ["clamp(n, NaN, 1)", '0s', [['{i="1"}', NaN], ['{i="2"}', NaN], ['{i="3"}', NaN], ['{i="4"}', NaN], ['{i="5"}', NaN], ['{i="6"}', NaN], ['{i="7"}', NaN], ['{i="8"}', NaN]]],
    ["absent(nonexistent)", '0s', [['{}', 1]]],
    ["absent(nonexistent{a=\"b\",c=\"d\"})", '0s', [['{a="b", c="d"}', 1]]],
    ["absent(nonexistent{a=\"b\",a=\"c\"})", '0s', [['{}', 1]]],
    ["absent(nonexistent{a=\"b\",a=~\"c\"})", '0s', [['{}', 1]]],
    ["absent(nonexistent{a=~\"b\"})", '0s', [['{}', 1]]],
    ["absent(l)", '0s', []],
    ["absent((nonexistent{a=\"x\"}))", '0s', [['{a="x"}', 1]]],
    ["absent(sum(nonexistent{a=\"x\"}))", '0s', [['{}', 1]]],
    ["absent(nonexistent{a=\"\"})", '0s', [['{}', 1]]],
    ["label_replace(l, \"dst\", \"$1-${2}x$2x\", \"k\", \"(.)(.*)\")", '0s', [['{__name__="l", dst="a-1x", j="1", k="a1"}', 1], ['{__name__="l", dst="b-22x", j="2", k="b22"}', 3], ['{__name__="l", dst="c-x", j="3", k="c"}', 5]]],
    ["label_replace(l, \"k\", \"\", \"k\", \"a.*\")", '0s', [['{__name__="l", j="1"}', 1], ['{__name__="l", j="2", k="b22"}', 3], ['{__name__="l", j="3", k="c"}', 5]]],
    ["label_replace(l, \"dst\", \"$name\", \"k\", \"(?P<name>a)(.*)\")", '0s', [['{__name__="l", dst="a", j="1", k="a1"}', 1], ['{__name__="l", j="2", k="b22"}', 3], ['{__name__="l", j="3", k="c"}', 5]]],
    ["label_replace(l, \"dst\", \"$$1 $ ${1\", \"k\", \"(.*)\")", '0s', [['{__name__="l", dst="$1 $ ${1", j="1", k="a1"}', 1], ['{__name__="l", dst="$1 $ ${1", j="2", k="b22"}', 3], ['{__name__="l", dst="$1 $ ${1", j="3", k="c"}', 5]]],
    ["label_replace(l, \"dst\", \"x\", \"k\", \"nomatch\")", '0s', [['{__name__="l", j="1", k="a1"}', 1], ['{__name__="l", j="2", k="b22"}', 3], ['{__name__="l", j="3", k="c"}', 5]]],
    ["label_replace(l, \"dst\", \"$10$01$3\", \"k\", \"(.)(.)\")", '0s', [['{__name__="l", j="1", k="a1"}', 1], ['{__name__="l", j="2", k="b22"}', 3], ['{__name__="l", j="3", k="c"}', 5]]],
    ["label_replace(l, \"1bad\", \"x\", \"k\", \".*\")", '0s', { error: "invalid destination label name in label_replace(): 1bad" }],
    ["label_replace(l, \"dst\", \"x\", \"k\", \"(\")", '0s', { error: "invalid regular expression in label_replace(): (" }],
    ["label_replace(l, \"j\", \"z\", \"k\", \".*\")", '0s', [['{__name__="l", j="z", k="a1"}', 1], ['{__name__="l", j="z", k="b22"}', 3], ['{__name__="l", j="z", k="c"}', 5]]],
    ["label_replace(l, \"__name__\", \"renamed\", \"k\", \".*\")", '0s', [['{__name__="renamed", j="1", k="a1"}', 1], ['{__name__="renamed", j="2", k="b22"}', 3], ['{__name__="renamed", j="3", k="c"}', 5]]],
    ["label_join(l, \"dst\", \"-\", \"j\", \"k\", \"zz\")", '0s', [['{__name__="l", dst="1-a1-", j="1", k="a1"}', 1], ['{__name__="l", dst="2-b22-", j="2", k="b22"}', 3], ['{__name__="l", dst="3-c-", j="3", k="c"}', 5]]],
    ["label_join(l, \"j\", \",\")", '0s', [['{__name__="l", k="a1"}', 1], ['{__name__="l", k="b22"}', 3], ['{__name__="l", k="c"}', 5]]],
    ["label_join(l, \"dst\", \"\", \"zz\")", '0s', [['{__name__="l", j="1", k="a1"}', 1], ['{__name__="l", j="2", k="b22"}', 3], ['{__name__="l", j="3", k="c"}', 5]]],
    ["label_join(l, \"dst\", \"/\", \"k\", \"k\")", '0s', [['{__name__="l", dst="a1/a1", j="1", k="a1"}', 1], ['{__name__="l", dst="b22/b22", j="2", k="b22"}', 3], ['{__name__="l", dst="c/c", j="3", k="c"}', 5]]],
    ["label_join(l, \"dst\", \"-\", \"0x\")", '0s', { error: "invalid source label name in label_join(): 0x" }],
    ["histogram_quantile(0.5, h)", '0s', [['{g="a"}', 0.6], ['{g="dup"}', 1], ['{g="empty"}', NaN], ['{g="hex"}', 1.25], ['{g="neg"}', 0], ['{g="noinf"}', NaN], ['{g="nonmono"}', 0.8], ['{g="one"}', NaN]]],
    ["histogram_quantile(0.9, h)", '0s', [['{g="a"}', 1], ['{g="dup"}', 1.8], ['{g="empty"}', NaN], ['{g="hex"}', 2], ['{g="neg"}', 0], ['{g="noinf"}', NaN], ['{g="nonmono"}', 2.7333333333333334], ['{g="one"}', NaN]]],
    ["histogram_quantile(0, h)", '0s', [['{g="a"}', 0], ['{g="dup"}', 0], ['{g="empty"}', NaN], ['{g="hex"}', 0], ['{g="neg"}', -1], ['{g="noinf"}', NaN], ['{g="nonmono"}', 0], ['{g="one"}', NaN]]],
    ["histogram_quantile(1, h)", '0s', [['{g="a"}', 1], ['{g="dup"}', 2], ['{g="empty"}', NaN], ['{g="hex"}', 2], ['{g="neg"}', 0], ['{g="noinf"}', NaN], ['{g="nonmono"}', 3], ['{g="one"}', NaN]]],
    ["histogram_quantile(0.99, h)", '0s', [['{g="a"}', 1], ['{g="dup"}', 1.98], ['{g="empty"}', NaN], ['{g="hex"}', 2], ['{g="neg"}', 0], ['{g="noinf"}', NaN], ['{g="nonmono"}', 2.973333333333333], ['{g="one"}', NaN]]],
    ["histogram_quantile(-0.1, h)", '0s', [['{g="a"}', -Infinity], ['{g="dup"}', -Infinity], ['{g="empty"}', -Infinity], ['{g="hex"}', -Infinity], ['{g="neg"}', -Infinity], ['{g="noinf"}', -Infinity], ['{g="nonmono"}', -Infinity], ['{g="one"}', -Infinity]]],
    ["histogram_quantile(1.1, h)", '0s', [['{g="a"}', Infinity], ['{g="dup"}', Infinity], ['{g="empty"}', Infinity], ['{g="hex"}', Infinity], ['{g="neg"}', Infinity], ['{g="noinf"}', Infinity], ['{g="nonmono"}', Infinity], ['{g="one"}', Infinity]]],
    ["histogram_quantile(NaN, h)", '0s', [['{g="a"}', NaN], ['{g="dup"}', NaN], ['{g="empty"}', NaN], ['{g="hex"}', NaN], ['{g="neg"}', NaN], ['{g="noinf"}', NaN], ['{g="nonmono"}', NaN], ['{g="one"}', NaN]]],
    ["histogram_quantile(0.5, h{g=\"noinf\"})", '0s', [['{g="noinf"}', NaN]]],
    ["histogram_quantile(0.5, h{g=\"neg\"})", '0s', [['{g="neg"}', 0]]],
    ["histogram_quantile(0.01, h{g=\"neg\"})", '0s', [['{g="neg"}', -1]]],
    ["histogram_quantile(0.5, h{g=\"nonmono\"})", '0s', [['{g="nonmono"}', 0.8]]],
    ["histogram_quantile(0.3, h{g=\"dup\"})", '0s', [['{g="dup"}', 0.6]]],
    ["histogram_quantile(0.5, h{g=\"empty\"})", '0s', [['{g="empty"}', NaN]]],
    ["histogram_quantile(0.5, h{g=\"one\"})", '0s', [['{g="one"}', NaN]]],
    ["histogram_quantile(0.75, h{g=\"hex\"})", '0s', [['{g="hex"}', 2]]],
    ["histogram_quantile(0.5, rate(hc[5m]))", '10m', [['{i="1"}', 0.6249999999999999], ['{i="2"}', 1]]],
    ["histogram_quantile(0.5, sum by (le) (rate(hc[5m])))", '10m', [['{}', 0.8125000000000001]]],
    ["count_over_time(l[1m])", '0s', [['{j="1", k="a1"}', 1], ['{j="2", k="b22"}', 1], ['{j="3", k="c"}', 1]]],
    ["last_over_time(l[5m])", '1m', [['{__name__="l", j="1", k="a1"}', 2], ['{__name__="l", j="2", k="b22"}', 3], ['{__name__="l", j="3", k="c"}', 5]]],
    ["rate({__name__=~\"l|r\"}[5m])", '3m', { error: "vector cannot contain metrics with the same labelset" }],
  ]);
});

const GAPS: Fixture = [
  ["l{j=\"1\",k=\"a1\"}", "1 2 3 4"],
  ["r{j=\"1\",k=\"a1\"}", "2 2 2 2"],
  ["r1{j=\"1\",x=\"p\"}", "10 10 10 10"],
  ["g{a=\"1\"}", "0 5 10 _ 20 stale 3"],
  ["q{a=\"1\"}", "1 _x8 2"],
];

describe('duplicate matches, gaps and stale markers inside ranges', () => {
  table(GAPS, [
    ["{__name__=~\"l|r\"} + on(j) group_left r1", '0s', { error: "multiple matches for labels: grouping labels must ensure unique matches" }],
    ["{__name__=~\"l|r\"} + on(j) r1", '0s', { error: "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)" }],
    ["{__name__=~\"l|r\"} > on(j) group_left r1", '0s', []],
    ["count_over_time(g[10m])", '5m', [['{a="1"}', 4]]],
    ["sum_over_time(g[10m])", '6m', [['{a="1"}', 38]]],
    ["g", '3m', [['{__name__="g", a="1"}', 10]]],
    ["g", '5m', []],
    ["g", '6m', [['{__name__="g", a="1"}', 3]]],
    ["g offset 2m", '7m', []],
    ["q", '5m', [['{__name__="q", a="1"}', 1]]],
    ["q", '5m1s', []],
    ["q", '9m', [['{__name__="q", a="1"}', 2]]],
    ["count_over_time(q[8m])", '9m', [['{a="1"}', 1]]],
    ["count_over_time(q[9m])", '9m', [['{a="1"}', 2]]],
    ["last_over_time(g[2m])", '6m', [['{__name__="g", a="1"}', 3]]],
    ["last_over_time(g[1m])", '3m', [['{__name__="g", a="1"}', 10]]],
  ]);
});

describe('values the tables cannot show', () => {
  it('STALE_NAN carries the staleness bits and no other NaN does', () => {
    assert.ok(isStaleNaN(STALE_NAN));
    assert.ok(!isStaleNaN(NaN));
    assert.ok(!isStaleNaN(0));
    const bits = new DataView(new ArrayBuffer(8));
    bits.setFloat64(0, STALE_NAN);
    assert.equal(bits.getBigUint64(0), 0x7ff0000000000002n);
  });

  it('a range selector returns the samples in [t - range, t] without stale markers, names kept', () => {
    const store = load([['g{a="1"}', '0 5 10 _ 20 stale 3']]);
    const v = evaluate(parseExpr('g[4m]'), 6 * 60_000, store);
    assert.deepEqual(v, { type: 'matrix', series: [{ labels: parseMetric('g{a="1"}'), timestamps: [120_000, 240_000, 360_000], values: [10, 20, 3] }] });
  });

  it('honours lookbackDeltaMs', () => {
    const store = load([['q', '1']]);
    const expr = parseExpr('q');
    assert.deepEqual(evaluate(expr, 60_000, store, { lookbackDeltaMs: 60_000 }), { type: 'vector', samples: [{ labels: parseMetric('q'), value: 1 }] });
    assert.deepEqual(evaluate(expr, 60_001, store, { lookbackDeltaMs: 60_000 }), { type: 'vector', samples: [] });
  });

  it('filters a store that returns extra samples and sorts series it returns unordered', () => {
    const q: Queryable = {
      select: () => [
        { labels: parseMetric('x{i="2"}'), timestamps: [0, 60_000, 120_000, 180_000], values: [1, 2, 3, 4] },
        { labels: parseMetric('x{i="1"}'), timestamps: [0, 60_000, 120_000, 180_000], values: [5, 6, 7, 8] },
      ],
    };
    assert.deepEqual(instant(q, 'x', '2m'), [['{__name__="x", i="1"}', 7], ['{__name__="x", i="2"}', 3]]);
    assert.deepEqual(instant(q, 'count_over_time(x[1m])', '2m'), [['{i="1"}', 2], ['{i="2"}', 2]]);
    // topk keeps the first of equal values in label order, as Prometheus's sorted series give it.
    assert.deepEqual(instant(q, 'topk(1, x * 0)', '2m'), [['{i="1"}', 0]]);
  });

  it('reports many-to-many matches with Prometheus wording, as a PromQLEvalError', () => {
    const store = load([['l{j="1"}', '1'], ['r2{j="1",k="u"}', '1'], ['r2{j="1",k="v"}', '2']]);
    assert.throws(
      () => evaluate(parseExpr('l + on(j) group_left r2'), 0, store),
      (err: unknown) =>
        err instanceof PromQLEvalError &&
        /^found duplicate series for the match group \{j="1"\} on the right hand-side of the operation: \[\{__name__="r2", j="1", k="(u|v)"\}, \{__name__="r2", j="1", k="(u|v)"\}\];many-to-many matching not allowed: matching labels must be unique on one side$/.test(err.message),
    );
  });
});
