// Runs a promtool rule unit-test file through sluice's own rule manager and PromQL engine, with
// promtool's timing: every rule group is evaluated at each evaluation_interval step from 0 to the
// latest eval_time, input samples are loaded up to each step just before it is evaluated, an
// alert test at eval_time t is checked against the step ts with ts <= t < ts + interval (firing
// alerts only), and expression tests are instant queries run after the last step.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { formatFloat, goQuote } from '../gofmt.js';
import { compareLabels, formatLabels, type Labels } from '../labels.js';
import { evaluate } from '../promql/engine.js';
import { formatDuration } from '../promql/format.js';
import { parseExpr } from '../promql/parser.js';
import { STALE_NAN, type VectorSample } from '../promql/values.js';
import { loadRuleFiles, type RuleGroupSpec } from '../rules/rule-file.js';
import { RuleManager, type RuleGroup } from '../rules/manager.js';
import { SeriesStore } from '../storage/series-store.js';
import { formatTestFileIssue, parseTestFile, type AlertTestCase, type PromqlTestCase, type RuleTestFile, type TestGroup } from './test-file.js';

/** Prometheus's default --query.lookback-delta, which promtool's engine uses. */
const LOOKBACK_DELTA_MS = 5 * 60_000;
const MAX_SERIES = 1_000_000;

export type RuleTestFailure =
  | { kind: 'file'; message: string }
  | { kind: 'eval'; message: string; rule: string; evalTimeMs: number; error: string }
  | { kind: 'alert'; message: string; alertname: string; evalTimeMs: number; expected: string; got: string }
  | { kind: 'expr'; message: string; expr: string; evalTimeMs: number; expected?: string; got?: string; error?: string };

export interface RuleTestResult {
  file: string;
  /** Not failures: promtool only warns, e.g. about a rule_files pattern that matches nothing. */
  warnings: string[];
  failures: RuleTestFailure[];
}

/** Reads and runs one test file; never throws for problems in the file or the rules. */
export function runRuleTestFile(file: string): RuleTestResult {
  const result: RuleTestResult = { file, warnings: [], failures: [] };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    result.failures.push({ kind: 'file', message: `cannot read ${file}: ${(err as Error).message}` });
    return result;
  }
  const parsed = parseTestFile(text, file);
  if (!parsed.test) {
    result.failures.push(...parsed.issues.map((i) => ({ kind: 'file' as const, message: formatTestFileIssue(i) })));
    return result;
  }
  runParsed(parsed.test, dirname(resolve(file)), result);
  return result;
}

/** Runs an already parsed test file whose relative rule_files resolve against `baseDir`. */
export function runParsed(test: RuleTestFile, baseDir: string, result: RuleTestResult): void {
  const patterns: string[] = [];
  for (const pattern of test.ruleFiles) {
    const path = isAbsolute(pattern) ? pattern : resolve(baseDir, pattern);
    if (!/[*?[]/.test(path) && !existsSync(path)) result.warnings.push(`no file match pattern ${pattern}`);
    else patterns.push(path);
  }
  const loaded = loadRuleFiles(patterns, baseDir);
  if (loaded.issues.length > 0) {
    for (const issue of loaded.issues) result.failures.push({ kind: 'file', message: formatTestFileIssue(issue) });
    return;
  }
  for (const group of test.tests) result.failures.push(...runTestGroup(group, loaded.groups, test));
}

function runTestGroup(tg: TestGroup, specs: RuleGroupSpec[], file: RuleTestFile): RuleTestFailure[] {
  const store = new SeriesStore({ maxSeries: MAX_SERIES, retentionMs: Number.MAX_SAFE_INTEGER });
  const manager = new RuleManager(specs, {
    store,
    externalLabels: tg.externalLabels,
    externalURL: tg.externalURL,
    lookbackDeltaMs: LOOKBACK_DELTA_MS,
    defaultIntervalMs: tg.intervalMs,
  });
  const groups = orderedGroups(manager.groups, file.groupEvalOrder);
  const samples = inputSamples(tg);
  const evalInterval = file.evaluationIntervalMs;
  const maxt = Math.max(0, ...tg.alertRuleTests.map((a) => a.evalTimeMs), ...tg.promqlExprTests.map((p) => p.evalTimeMs));
  const alertTimes = [...new Set(tg.alertRuleTests.map((a) => a.evalTimeMs))].sort((a, b) => a - b);

  const failures: RuleTestFailure[] = [];
  let loaded = 0;
  let nextAlertTime = 0;
  for (let ts = 0; ts <= maxt; ts += evalInterval) {
    for (; loaded < samples.length && samples[loaded]!.ts <= ts; loaded++) {
      const s = samples[loaded]!;
      store.append(s.labels, s.ts, s.value);
    }
    const evalErrors: RuleTestFailure[] = [];
    for (const group of groups) {
      manager.evalGroup(group, ts);
      for (const rule of group.rules) {
        if (rule.status.health !== 'err' || rule.status.lastEvaluation !== ts) continue;
        const error = rule.status.lastError ?? 'unknown error';
        evalErrors.push({ kind: 'eval', rule: rule.name, evalTimeMs: ts, error, message: `    rule: ${rule.name}, time: ${formatDuration(ts)}, err: ${error}` });
      }
    }
    // As promtool does, a rule that cannot be evaluated ends the group: later steps would only
    // repeat the error.
    if (evalErrors.length > 0) return [...failures, ...evalErrors];
    for (; nextAlertTime < alertTimes.length && alertTimes[nextAlertTime]! < ts + evalInterval; nextAlertTime++) {
      const t = alertTimes[nextAlertTime]!;
      for (const testCase of tg.alertRuleTests.filter((a) => a.evalTimeMs === t)) {
        const failure = checkAlerts(testCase, manager, tg.name);
        if (failure) failures.push(failure);
      }
    }
  }
  for (const testCase of tg.promqlExprTests) {
    const failure = checkExpr(testCase, store);
    if (failure) failures.push(failure);
  }
  return failures;
}

/**
 * Groups named in group_eval_order first-come in that order; the others rank with the first
 * named one (as in promtool) and otherwise keep their order in the rule files.
 */
function orderedGroups(groups: readonly RuleGroup[], order: readonly string[]): RuleGroup[] {
  const rank = (g: RuleGroup): number => Math.max(order.indexOf(g.name), 0);
  return groups.map((g, i) => ({ g, i })).sort((a, b) => rank(a.g) - rank(b.g) || a.i - b.i).map(({ g }) => g);
}

function inputSamples(tg: TestGroup): { ts: number; labels: Labels; value: number }[] {
  const out: { ts: number; labels: Labels; value: number }[] = [];
  for (const series of tg.inputSeries) {
    series.points.forEach((p, i) => {
      if (p.kind === 'missing') return;
      out.push({ ts: i * tg.intervalMs, labels: series.labels, value: p.kind === 'stale' ? STALE_NAN : p.value });
    });
  }
  // Stable, so a series listed twice keeps the first of two samples at one time, as promtool does.
  return out.sort((a, b) => a.ts - b.ts);
}

interface AlertView {
  labels: Labels;
  annotations: Labels;
}

function checkAlerts(testCase: AlertTestCase, manager: RuleManager, groupName: string | undefined): RuleTestFailure | undefined {
  const got: AlertView[] = manager
    .activeAlerts()
    .filter((a) => a.alertname === testCase.alertname && a.state === 'firing')
    .map((a) => ({ labels: a.labels, annotations: sortedPairs(a.annotations) }));
  // Expected label values are kept even when empty, so `x: ""` fails as it does in promtool.
  const expected: AlertView[] = testCase.expAlerts.map((e) => ({
    labels: sortedPairs({ ...e.labels, alertname: testCase.alertname }),
    annotations: sortedPairs(e.annotations),
  }));
  const order = (a: AlertView, b: AlertView): number => compareLabels(a.labels, b.labels) || compareLabels(a.annotations, b.annotations);
  got.sort(order);
  expected.sort(order);
  const same = got.length === expected.length && got.every((g, i) => compareLabels(g.labels, expected[i]!.labels) === 0 && compareLabels(g.annotations, expected[i]!.annotations) === 0);
  if (same) return undefined;
  const exp = indentLines(formatAlerts(expected), '            ');
  const gotText = indentLines(formatAlerts(got), '            ');
  const name = groupName ? `    name: ${groupName},\n` : '';
  return {
    kind: 'alert',
    alertname: testCase.alertname,
    evalTimeMs: testCase.evalTimeMs,
    expected: formatAlerts(expected),
    got: formatAlerts(got),
    message: `${name}    alertname: ${testCase.alertname}, time: ${formatDuration(testCase.evalTimeMs)}, \n        exp:${exp}, \n        got:${gotText}`,
  };
}

function checkExpr(testCase: PromqlTestCase, store: SeriesStore): RuleTestFailure | undefined {
  const head = `    expr: ${goQuote(testCase.expr)}, time: ${formatDuration(testCase.evalTimeMs)}`;
  let got: VectorSample[];
  try {
    const value = evaluate(parseExpr(testCase.expr), testCase.evalTimeMs, store, { lookbackDeltaMs: LOOKBACK_DELTA_MS });
    if (value.type === 'vector') got = [...value.samples];
    else if (value.type === 'scalar') got = [{ labels: [], value: value.value }];
    else throw new Error('rule result is not a vector or scalar');
  } catch (err) {
    const error = (err as Error).message;
    return { kind: 'expr', expr: testCase.expr, evalTimeMs: testCase.evalTimeMs, error, message: `${head}, err: ${error}` };
  }
  const expected = testCase.expSamples.map((s) => ({ labels: s.labels, value: s.value }));
  const order = (a: { labels: Labels }, b: { labels: Labels }): number => compareLabels(a.labels, b.labels);
  got.sort(order);
  expected.sort(order);
  // Exact float equality, as promtool's reflect.DeepEqual: NaN never matches, -0 matches 0.
  const same = got.length === expected.length && got.every((g, i) => compareLabels(g.labels, expected[i]!.labels) === 0 && g.value === expected[i]!.value);
  if (same) return undefined;
  const exp = formatSamples(expected);
  const gotText = formatSamples(got);
  return { kind: 'expr', expr: testCase.expr, evalTimeMs: testCase.evalTimeMs, expected: exp, got: gotText, message: `${head},\n        exp: ${exp}\n        got: ${gotText}` };
}

function sortedPairs(record: Readonly<Record<string, string>>): Labels {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function formatSamples(samples: readonly { labels: Labels; value: number }[]): string {
  if (samples.length === 0) return 'nil';
  return samples.map((s) => `${formatLabels(s.labels)} ${formatFloat(s.value, 'E', -1)}`).join(', ');
}

function formatAlerts(alerts: readonly AlertView[]): string {
  if (alerts.length === 0) return '[]';
  const items = alerts.map((a, i) => `${i}:${indentLines(`\nLabels:${formatLabels(a.labels)}\nAnnotations:${formatLabels(a.annotations)}`, '  ')}`);
  return `[\n${items.join(',\n')}\n]`;
}

/** Prefixes every line but the first with `indent`. */
function indentLines(text: string, indent: string): string {
  return text.split('\n').join(`\n${indent}`);
}

/** The lines promtool prints for one file: to stdout and, for failures, to stderr. */
export function formatRuleTestResult(result: RuleTestResult): { stream: 'out' | 'err'; text: string }[] {
  const lines: { stream: 'out' | 'err'; text: string }[] = [{ stream: 'out', text: `Unit Testing: ${result.file}` }];
  for (const w of result.warnings) lines.push({ stream: 'err', text: `  WARNING: ${w}` });
  if (result.failures.length === 0) lines.push({ stream: 'out', text: '  SUCCESS' });
  else {
    lines.push({ stream: 'err', text: '  FAILED:' });
    for (const f of result.failures) lines.push({ stream: 'err', text: f.message }, { stream: 'out', text: '' });
  }
  lines.push({ stream: 'out', text: '' });
  return lines;
}
