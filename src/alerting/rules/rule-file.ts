// Prometheus rule files (`groups:` of recording and alerting rules), read with the schema
// language the rest of the config uses, so a bad rule is reported with its file, line and
// column at validation time, never at the first evaluation.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { LineCounter, parseDocument, isNode } from 'yaml';
import { Schema, report, s, type ConfigIssue, type Path, type ValidationContext } from '../../config/schema.js';
import type { Expr } from '../promql/ast.js';
import { parseExpr, parsePromDuration } from '../promql/parser.js';
import { checkTemplate } from './template.js';

export interface RuleBase {
  expr: Expr;
  /** The expression as written, for the rules API and generator URLs. */
  exprText: string;
  labels: Record<string, string>;
}

export interface AlertingRuleSpec extends RuleBase {
  kind: 'alerting';
  alert: string;
  forMs: number;
  keepFiringForMs: number;
  annotations: Record<string, string>;
}

export interface RecordingRuleSpec extends RuleBase {
  kind: 'recording';
  record: string;
}

export type RuleSpec = AlertingRuleSpec | RecordingRuleSpec;

export interface RuleGroupSpec {
  name: string;
  /** The rule file, or the processor id for inline groups: with the name, a group's identity. */
  file: string;
  /** Absent: the processor's evaluation_interval. */
  intervalMs?: number;
  /** Most alerts or series a rule may produce in one evaluation; 0 is no limit. */
  limit: number;
  rules: RuleSpec[];
}

export interface RuleIssue {
  file: string;
  line?: number;
  column?: number;
  message: string;
}

const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A duration as Prometheus writes them (`5m`, `1h30m`, `2d`), in milliseconds. */
export const promDurationSchema = new Schema<number>('a duration such as "5m", "1h30m" or "1d"', (v, ctx, path) => {
  if (typeof v === 'string' || typeof v === 'number') {
    const text = String(v);
    if (text === '0') return 0;
    try {
      return parsePromDuration(text);
    } catch (err) {
      report(ctx, path, `invalid duration "${text}": ${(err as Error).message}`);
      return undefined;
    }
  }
  report(ctx, path, `expected a duration such as "5m", got ${typeof v}`);
  return undefined;
});

const exprSchema = new Schema<{ expr: Expr; text: string }>('a PromQL expression', (v, ctx, path) => {
  if (typeof v !== 'string' && typeof v !== 'number') {
    report(ctx, path, `expected a PromQL expression, got ${Array.isArray(v) ? 'a list' : typeof v}`);
    return undefined;
  }
  const text = String(v);
  try {
    const expr = parseExpr(text);
    if (expr.type !== 'vector' && expr.type !== 'scalar') {
      report(ctx, path, `invalid expression type "${expr.type === 'matrix' ? 'range vector' : expr.type}": a rule needs an instant vector or a scalar`);
      return undefined;
    }
    return { expr, text };
  } catch (err) {
    report(ctx, path, `could not parse expression: ${(err as Error).message}`);
    return undefined;
  }
});

/** Label or annotation values, each checked as a template when `templated`. */
function labelMap(what: 'labels' | 'annotations', templated: boolean): Schema<Record<string, string>> {
  const plain = s.map(s.string());
  return new Schema<Record<string, string>>(plain.expected, (v, ctx, path) => {
    const map = plain.parse(v, ctx, path);
    if (!map) return undefined;
    let ok = true;
    for (const [name, value] of Object.entries(map)) {
      if (what === 'labels' && !LABEL_NAME_RE.test(name)) {
        report(ctx, [...path, name], `invalid label name "${name}"`);
        ok = false;
      }
      const problem = templated ? checkTemplate(value) : undefined;
      if (problem) {
        report(ctx, [...path, name], `invalid template: ${problem}`);
        ok = false;
      }
    }
    return ok ? map : undefined;
  });
}

const ruleFields = s.object({
  alert: s.string().optional(),
  record: s.string().optional(),
  expr: exprSchema.required(),
  for: promDurationSchema.optional(),
  keep_firing_for: promDurationSchema.optional(),
  labels: labelMap('labels', true).optional(),
  annotations: labelMap('annotations', true).optional(),
});

const ruleSchema = new Schema<RuleSpec>('a rule (alert or record, with expr)', (v, ctx, path) => {
  const raw = ruleFields.parse(v, ctx, path);
  if (!raw) return undefined;
  const base = { expr: raw.expr.expr, exprText: raw.expr.text, labels: raw.labels ?? {} };
  if ((raw.alert === undefined) === (raw.record === undefined)) {
    report(ctx, path, 'a rule needs exactly one of "alert" and "record"');
    return undefined;
  }
  if (raw.record !== undefined) {
    const problems: [string, string][] = [];
    if (!METRIC_NAME_RE.test(raw.record)) problems.push(['record', `invalid recording rule name "${raw.record}": must be a valid metric name`]);
    for (const key of ['for', 'keep_firing_for', 'annotations'] as const) {
      if (raw[key] !== undefined) problems.push([key, `invalid field "${key}" in recording rule "${raw.record}"`]);
    }
    for (const [key, message] of problems) report(ctx, [...path, key], message);
    return problems.length ? undefined : { kind: 'recording', record: raw.record, ...base };
  }
  const alert = raw.alert!;
  if (alert.trim() === '') {
    report(ctx, [...path, 'alert'], 'an alert name must not be empty');
    return undefined;
  }
  return { kind: 'alerting', alert, forMs: raw.for ?? 0, keepFiringForMs: raw.keep_firing_for ?? 0, annotations: raw.annotations ?? {}, ...base };
});

const groupFields = s.object({
  name: s.string().required(),
  interval: promDurationSchema.refine((ms) => (ms > 0 ? undefined : 'a group interval must be greater than 0')).optional(),
  limit: s.int({ min: 0 }).default(0),
  rules: s.list(ruleSchema).default([]),
});

/** `groups:` as in a rule file; `file` names where they came from (a path, or the processor id). */
export function ruleGroupsSchema(file: string): Schema<RuleGroupSpec[]> {
  const list = s.list(groupFields);
  return new Schema<RuleGroupSpec[]>(list.expected, (v, ctx, path) => {
    const groups = list.parse(v, ctx, path);
    if (!groups) return undefined;
    const seen = new Set<string>();
    let ok = true;
    groups.forEach((g, i) => {
      if (seen.has(g.name)) {
        report(ctx, [...path, i, 'name'], `group name "${g.name}" is repeated in the same file`);
        ok = false;
      }
      seen.add(g.name);
    });
    return ok ? groups.map((g) => ({ name: g.name, file, intervalMs: g.interval, limit: g.limit, rules: g.rules })) : undefined;
  });
}

/** Reads one rule file's YAML text; every problem comes back with its line and column. */
export function parseRuleFile(text: string, file: string): { groups: RuleGroupSpec[]; issues: RuleIssue[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return { file, line, column: col };
  };
  if (doc.errors.length > 0) return { groups: [], issues: doc.errors.map((e) => ({ ...at(e.pos[0]), message: `YAML syntax error: ${e.message}` })) };
  const locate = (path: Path) => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) return at(node.range[0]);
    }
    return undefined;
  };
  const ctx: ValidationContext = { issues: [], locate };
  const root = doc.toJS() ?? {};
  const groups = s.object({ groups: ruleGroupsSchema(file).default([]) }).parse(root, ctx, [])?.groups ?? [];
  return { groups, issues: ctx.issues.filter((i) => i.severity === 'error').map((i) => toRuleIssue(i, file)) };
}

function toRuleIssue(issue: ConfigIssue, file: string): RuleIssue {
  return { file, line: issue.position?.line, column: issue.position?.column, message: issue.path ? `${issue.path}: ${issue.message}` : issue.message };
}

/** Rule files named by paths or globs (`*`, `?`, `[...]` within a path segment, as Prometheus's rule_files take them). */
export function loadRuleFiles(patterns: readonly string[], baseDir: string): { groups: RuleGroupSpec[]; issues: RuleIssue[] } {
  const groups: RuleGroupSpec[] = [];
  const issues: RuleIssue[] = [];
  for (const pattern of patterns) {
    const absolute = isAbsolute(pattern) ? pattern : resolve(baseDir, pattern);
    const files = /[*?[]/.test(absolute) ? expandGlob(absolute) : [absolute];
    for (const file of files) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        issues.push({ file, message: `cannot read rule file: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (err as Error).message}` });
        continue;
      }
      const parsed = parseRuleFile(text, file);
      groups.push(...parsed.groups);
      issues.push(...parsed.issues);
    }
  }
  return { groups, issues };
}

function segmentRegex(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = segment.indexOf(']', i + 1);
      if (end < 0) throw new Error(`unclosed "[" in glob segment "${segment}"`);
      const body = segment.slice(i + 1, end);
      re += `[${body.startsWith('^') ? `^${body.slice(1)}` : body}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Matching files in sorted order; a pattern that matches nothing is not an error, as in Prometheus. */
function expandGlob(pattern: string): string[] {
  const parts = pattern.split(sep);
  let bases = [parts[0] === '' ? sep : parts[0]!];
  for (const part of parts.slice(1)) {
    if (part === '') continue;
    if (!/[*?[]/.test(part)) {
      bases = bases.map((b) => join(b, part));
      continue;
    }
    const re = segmentRegex(part);
    bases = bases.flatMap((b) => {
      try {
        return readdirSync(b)
          .filter((name) => re.test(name))
          .sort()
          .map((name) => join(b, name));
      } catch {
        return [];
      }
    });
  }
  return bases.filter((f) => {
    try {
      return statSync(f).isFile();
    } catch {
      return false;
    }
  });
}

/** The directory relative rule_files paths resolve against: that of the config file that names them. */
export function configDir(file: string | undefined): string {
  return file ? dirname(resolve(file)) : process.cwd();
}
