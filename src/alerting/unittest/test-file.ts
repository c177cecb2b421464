// promtool's rule unit-test files (`rule_files`, `evaluation_interval`, `group_eval_order`,
// `tests`), read strictly as promtool does (an unknown key is an error) and with every problem
// positioned at its file, line and column.
import { LineCounter, isMap, isNode, isScalar, parseDocument, visit, type Document } from 'yaml';
import { Schema, formatPath, report, s, type Path, type ValidationContext } from '../../config/schema.js';
import type { Labels } from '../labels.js';
import { formatDuration } from '../promql/format.js';
import { PromQLParseError, parseMetric } from '../promql/parser.js';
import { promDurationSchema } from '../rules/rule-file.js';
import { parseSeriesValues, SeriesNotationError, type SeriesPoint } from './series-notation.js';

const DEFAULT_EVALUATION_INTERVAL_MS = 60_000;

export interface InputSeries {
  series: string;
  labels: Labels;
  values: string;
  points: SeriesPoint[];
}

export interface ExpectedAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface AlertTestCase {
  evalTimeMs: number;
  alertname: string;
  expAlerts: ExpectedAlert[];
}

export interface ExpectedSample {
  /** As written, for messages. */
  text: string;
  labels: Labels;
  value: number;
}

export interface PromqlTestCase {
  expr: string;
  evalTimeMs: number;
  expSamples: ExpectedSample[];
}

export interface TestGroup {
  name?: string;
  intervalMs: number;
  inputSeries: InputSeries[];
  alertRuleTests: AlertTestCase[];
  promqlExprTests: PromqlTestCase[];
  externalLabels: Record<string, string>;
  externalURL: string;
}

export interface RuleTestFile {
  /** As written, possibly globs; relative ones resolve against the test file's directory. */
  ruleFiles: string[];
  evaluationIntervalMs: number;
  groupEvalOrder: string[];
  tests: TestGroup[];
}

export interface TestFileIssue {
  file: string;
  line?: number;
  column?: number;
  message: string;
}

export function formatTestFileIssue(issue: TestFileIssue): string {
  const at = issue.line !== undefined ? `${issue.file}:${issue.line}:${issue.column ?? 1}` : issue.file;
  return `${at}: ${issue.message}`;
}

/**
 * Reads a test file's YAML. Scalars are taken as written (`code: 200` and `x: 1.0` are the
 * strings "200" and "1.0", as Go's YAML decoder gives a string field), so expected labels
 * compare with what the rules produce.
 */
export function parseTestFile(text: string, file: string): { test?: RuleTestFile; issues: TestFileIssue[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, keepSourceTokens: true });
  const at = (offset: number): TestFileIssue => {
    const { line, col } = lines.linePos(offset);
    return { file, line, column: col, message: '' };
  };
  if (doc.errors.length > 0) return { issues: doc.errors.map((e) => ({ ...at(e.pos[0]), message: `YAML syntax error: ${e.message}` })) };
  const nodeAt = (path: Path): unknown => doc.getIn(path, true);
  const locate = (path: Path) => {
    for (let n = path.length; n >= 0; n--) {
      const node = nodeAt(path.slice(0, n));
      if (isNode(node) && node.range) {
        const p = at(node.range[0]);
        return { file, line: p.line!, column: p.column! };
      }
    }
    return undefined;
  };
  const locateKey = (path: Path) => {
    const parent = nodeAt(path.slice(0, -1));
    if (!isMap(parent)) return undefined;
    const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(path[path.length - 1]));
    if (!pair || !isNode(pair.key) || !pair.key.range) return undefined;
    const p = at(pair.key.range[0]);
    return { file, line: p.line!, column: p.column! };
  };
  const ctx: ValidationContext = { issues: [], locate, locateKey };
  const root = rawScalars(doc) ?? {};
  const test = fileSchema(doc, lines, file).parse(root, ctx, []);
  const issues = ctx.issues
    .filter((i) => i.severity === 'error')
    .map((i) => ({ file, line: i.position?.line, column: i.position?.column, message: i.path ? `${i.path}: ${i.message}` : i.message }));
  return issues.length > 0 ? { issues } : { test, issues };
}

/** The document as plain data with every unquoted scalar as its source text (null stays null). */
function rawScalars(doc: Document): unknown {
  const copy = doc.clone();
  visit(copy, {
    Scalar(_key, node) {
      if (node.type === 'PLAIN' && node.value !== null && node.source !== undefined) node.value = node.source;
    },
  });
  return copy.toJS();
}

function fileSchema(doc: Document, lines: LineCounter, file: string) {
  /** Where character `pos` of the string at `path` sits in the file, for errors inside a value. */
  const within = (path: Path, pos: number): { line: number; column: number } | undefined => {
    const node = doc.getIn(path, true);
    if (!isScalar(node) || !node.range) return undefined;
    const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE' ? 1 : 0;
    const { line, col } = lines.linePos(node.range[0] + quoted + pos);
    return { line, column: col };
  };
  const reportWithin = (ctx: ValidationContext, path: Path, pos: number, message: string): void => {
    const position = within(path, pos);
    ctx.issues.push({ severity: 'error', path: formatPath(path), message, position: position && { file, ...position } });
  };

  const metric = new Schema<{ text: string; labels: Labels }>('a series such as up{job="api"}', (v, ctx, path) => {
    if (typeof v !== 'string') {
      report(ctx, path, `expected a series such as up{job="api"}, got ${typeof v}`);
      return undefined;
    }
    try {
      return { text: v, labels: parseMetric(v) };
    } catch (err) {
      if (err instanceof PromQLParseError) reportWithin(ctx, path, err.position, `invalid series "${v}": ${err.reason}`);
      else report(ctx, path, `invalid series "${v}": ${(err as Error).message}`);
      return undefined;
    }
  });

  const parseLabels = (text: string, ctx: ValidationContext, path: Path): Labels | undefined => metric.parse(text, ctx, path)?.labels;

  const values = new Schema<{ text: string; points: SeriesPoint[] }>('values in expanding notation such as "0+10x5 _ stale"', (v, ctx, path) => {
    const text = typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
    if (text === undefined) {
      report(ctx, path, 'expected values in expanding notation such as "0+10x5 _ stale"');
      return undefined;
    }
    try {
      return { text, points: parseSeriesValues(text) };
    } catch (err) {
      if (!(err instanceof SeriesNotationError)) throw err;
      reportWithin(ctx, path, err.position, `invalid values "${text}": ${err.message}`);
      return undefined;
    }
  });

  const sampleValue = new Schema<number>('a number (.nan and .inf as YAML writes them)', (v, ctx, path) => {
    const node = doc.getIn(path, true);
    const quoted = isScalar(node) && node.type !== 'PLAIN';
    const n = typeof v === 'string' && !quoted ? yamlFloat(v) : undefined;
    if (n === undefined) {
      report(ctx, path, `expected a number, got ${quoted ? 'the quoted string ' : ''}${JSON.stringify(v)} (YAML writes NaN as .nan and infinity as .inf)`);
      return undefined;
    }
    return n;
  });

  const expectedAlert = s.object({
    exp_labels: s.map(s.string().default('')).default({}),
    exp_annotations: s.map(s.string().default('')).default({}),
  });

  const alertTest = s.object({
    eval_time: promDurationSchema.default(0),
    alertname: s.string().default(''),
    exp_alerts: s.list(expectedAlert).default([]),
  });

  const expectedSample = s.object({
    labels: s.string().default(''),
    value: sampleValue.default(0),
  });

  const promqlTest = s.object({
    expr: s.string().default(''),
    eval_time: promDurationSchema.default(0),
    exp_samples: s.list(expectedSample).default([]),
  });

  const testGroup = s.object({
    interval: promDurationSchema.optional(),
    input_series: s.list(s.object({ series: metric.required(), values: values.default({ text: '', points: [] }) })).default([]),
    alert_rule_test: s.list(alertTest).default([]),
    promql_expr_test: s.list(promqlTest).default([]),
    external_labels: s.map(s.string().default('')).default({}),
    external_url: s.string().default(''),
    name: s.string().optional(),
  });

  const top = s.object({
    rule_files: s.list(s.string()).default([]),
    evaluation_interval: promDurationSchema.optional(),
    group_eval_order: s.list(s.string()).default([]),
    tests: s.list(testGroup).default([]),
  });

  return new Schema<RuleTestFile>(top.expected, (v, ctx, path) => {
    const raw = top.parse(v, ctx, path);
    if (!raw) return undefined;
    const seen = new Set<string>();
    for (const [i, name] of raw.group_eval_order.entries()) {
      if (seen.has(name)) report(ctx, [...path, 'group_eval_order', i], `group name repeated in evaluation order: ${name}`);
      seen.add(name);
    }
    const tests: TestGroup[] = raw.tests.map((t, ti) => ({
      name: t.name,
      // Prometheus documents the test interval as defaulting to evaluation_interval; 2.42's
      // promtool loses that default (every sample lands at time 0), so suites set it explicitly.
      intervalMs: t.interval || raw.evaluation_interval || DEFAULT_EVALUATION_INTERVAL_MS,
      inputSeries: t.input_series.map((is) => ({ series: is.series.text, labels: is.series.labels, values: is.values.text, points: is.values.points })),
      alertRuleTests: t.alert_rule_test.map((a, ai) => {
        if (a.alertname === '') {
          report(ctx, [...path, 'tests', ti, 'alert_rule_test', ai], `an item under alert_rule_test misses required attribute alertname at eval_time ${formatDuration(a.eval_time)}${t.name ? ` (in TestGroup ${t.name})` : ''}`);
        }
        return { evalTimeMs: a.eval_time, alertname: a.alertname, expAlerts: a.exp_alerts.map((e) => ({ labels: e.exp_labels, annotations: e.exp_annotations })) };
      }),
      promqlExprTests: t.promql_expr_test.map((p, pi) => ({
        expr: p.expr,
        evalTimeMs: p.eval_time,
        expSamples: p.exp_samples.map((e, ei) => {
          // promtool takes '' and '{}' as the empty label set, which a scalar result has.
          const labels = /^\s*(\{\s*\})?\s*$/.test(e.labels) ? [] : parseLabels(e.labels, ctx, [...path, 'tests', ti, 'promql_expr_test', pi, 'exp_samples', ei, 'labels']);
          return { text: e.labels, labels: labels ?? [], value: e.value };
        }),
      })),
      externalLabels: t.external_labels,
      externalURL: t.external_url,
    }));
    return { ruleFiles: raw.rule_files, evaluationIntervalMs: raw.evaluation_interval || DEFAULT_EVALUATION_INTERVAL_MS, groupEvalOrder: raw.group_eval_order, tests };
  });
}

/** A float as Go's YAML decoder reads one from a plain scalar: YAML 1.1 and 1.2 forms alike. */
export function yamlFloat(text: string): number | undefined {
  const t = text.trim();
  if (/^[-+]?\.(inf|Inf|INF)$/.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^\.(nan|NaN|NAN)$/.test(t)) return NaN;
  if (t === '' || t === '~' || t === 'null' || t === 'Null' || t === 'NULL') return 0;
  const m = /^([-+]?)(0x[0-9a-fA-F_]+|0o[0-7_]+|0b[01_]+|0[0-7_]+)$/.exec(t);
  if (m) {
    const body = m[2]!.replace(/_/g, '');
    const base = body[1] === 'x' ? 16 : body[1] === 'b' ? 2 : 8;
    const digits = body[1] === 'x' || body[1] === 'o' || body[1] === 'b' ? body.slice(2) : body.slice(1);
    const n = parseInt(digits, base);
    return m[1] === '-' ? -n : n;
  }
  if (!/^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$/.test(t)) return undefined;
  const n = Number(t.replace(/_/g, ''));
  // Out of float64 range, Go's decoder does not resolve the scalar as a number at all.
  return Number.isFinite(n) ? n : undefined;
}
