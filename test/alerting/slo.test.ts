// SLO → multiwindow, multi-burn-rate rules. The generated file for the `api` SLO below is also
// test/alerting/rule-tests/slo-burn.rules.yaml, which promtool checks and unit-tests (slo-burn.test.yaml).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { generateSloRuleGroups, sloRuleGroupsToYaml, sloSchema, errorBudgetText, objectiveRatioText, type SloConfig } from '../../src/alerting/rules/slo.js';
import { formatDuration } from '../../src/alerting/promql/format.js';
import { parseExpr } from '../../src/alerting/promql/parser.js';
import { checkTemplate } from '../../src/alerting/rules/template.js';
import type { ValidationContext } from '../../src/config/schema.js';

function parse(raw: unknown): { slos?: SloConfig[]; messages: string[] } {
  const ctx: ValidationContext = { issues: [] };
  const slos = sloSchema.parse(raw, ctx, ['slos']);
  return { slos, messages: ctx.issues.map((i) => `${i.path}: ${i.message}`) };
}

const API = { name: 'api', objective: 99.9, sli: { error: 'http_requests_total{code=~"5.."}', total: 'http_requests_total' }, labels: { team: 'web' } };

test('an error/total SLO gives the workbook rules', () => {
  const [group] = generateSloRuleGroups(parse([API]).slos!);
  assert.equal(group!.name, 'slo:api');
  const ratio = (w: string) => ({ record: `slo:sli_error:ratio_rate${w}`, expr: `sum(rate(http_requests_total{code=~"5.."}[${w}])) / sum(rate(http_requests_total[${w}]))`, labels: { slo: 'api' } });
  const r = (w: string) => `slo:sli_error:ratio_rate${w}{slo="api"}`;
  assert.deepEqual(group!.rules, [
    ...['5m', '30m', '1h', '2h', '6h', '1d', '3d'].map(ratio),
    // A month of one recorded series, rather than a month of every series the SLI selects.
    { record: 'slo:sli_error:ratio_rate30d', expr: `avg_over_time(${r('5m')}[30d])`, labels: { slo: 'api' } },
    { record: 'slo:objective:ratio', expr: 'vector(0.999)', labels: { slo: 'api' } },
    { record: 'slo:error_budget:ratio', expr: 'vector(0.001)', labels: { slo: 'api' } },
    { record: 'slo:error_budget_remaining:ratio', expr: `1 - (${r('30d')} / 0.001)`, labels: { slo: 'api' } },
    {
      alert: 'ApiErrorBudgetBurn',
      expr: `(${r('1h')} > (14.4 * 0.001) and ${r('5m')} > (14.4 * 0.001)) or (${r('6h')} > (6 * 0.001) and ${r('30m')} > (6 * 0.001))`,
      labels: { team: 'web', severity: 'critical', slo: 'api' },
      annotations: {
        summary: 'SLO api is burning its error budget too fast',
        description: 'SLO api (objective 99.9% over 30d) is spending its 0.001 error budget at least 14.4x over 1h and 5m, or 6x over 6h and 30m; the error ratio over the long window is {{ $value | humanizePercentage }}.',
      },
    },
    {
      alert: 'ApiErrorBudgetBurn',
      expr: `(${r('1d')} > (3 * 0.001) and ${r('2h')} > (3 * 0.001)) or (${r('3d')} > (1 * 0.001) and ${r('6h')} > (1 * 0.001))`,
      labels: { team: 'web', severity: 'warning', slo: 'api' },
      annotations: {
        summary: 'SLO api is burning its error budget too fast',
        description: 'SLO api (objective 99.9% over 30d) is spending its 0.001 error budget at least 3x over 1d and 2h, or 1x over 3d and 6h; the error ratio over the long window is {{ $value | humanizePercentage }}.',
      },
    },
  ]);
});

test('a good/total SLO records 1 - good/total; window, alert labels and annotations apply', () => {
  const { slos } = parse([
    {
      name: 'checkout-latency',
      objective: 99.95,
      window: '28d',
      sli: { good: 'checkout_ok_total{fast="yes"}', total: 'checkout_total' },
      alert_labels: { page: { severity: 'page' }, ticket: { channel: 'tickets' } },
      annotations: { runbook_url: 'https://runbooks/checkout' },
    },
  ]);
  const [group] = generateSloRuleGroups(slos!);
  const rules = group!.rules;
  assert.deepEqual(rules[0], { record: 'slo:sli_error:ratio_rate5m', expr: '1 - (sum(rate(checkout_ok_total{fast="yes"}[5m])) / sum(rate(checkout_total[5m])))', labels: { slo: 'checkout-latency' } });
  assert.equal(rules[7]!.expr, 'avg_over_time(slo:sli_error:ratio_rate5m{slo="checkout-latency"}[28d])');
  assert.deepEqual(rules.slice(8, 11).map((x) => x.expr), ['vector(0.9995)', 'vector(0.0005)', '1 - (slo:sli_error:ratio_rate28d{slo="checkout-latency"} / 0.0005)']);
  const [page, ticket] = rules.slice(11) as { alert: string; labels: Record<string, string>; annotations: Record<string, string> }[];
  assert.equal(page!.alert, 'CheckoutLatencyErrorBudgetBurn');
  assert.deepEqual(page!.labels, { severity: 'page', slo: 'checkout-latency' });
  assert.deepEqual(ticket!.labels, { severity: 'warning', channel: 'tickets', slo: 'checkout-latency' });
  assert.equal(ticket!.annotations.runbook_url, 'https://runbooks/checkout');
  assert.match(ticket!.annotations.description!, /objective 99\.95% over 28d/);
});

test('every generated expression parses and every annotation is a valid template', () => {
  const { slos } = parse([API, { name: 'b', objective: 95, window: '7d', sli: { good: 'ok_total', total: 'all_total' } }]);
  for (const group of generateSloRuleGroups(slos!)) {
    for (const rule of group.rules) {
      assert.doesNotThrow(() => parseExpr(rule.expr), rule.expr);
      if ('annotations' in rule) for (const text of Object.values(rule.annotations)) assert.equal(checkTemplate(text), undefined, text);
    }
  }
});

test('the promtool fixture is this generator output', () => {
  const yaml = sloRuleGroupsToYaml(generateSloRuleGroups(parse([API]).slos!));
  assert.equal(readFileSync(new URL('./rule-tests/slo-burn.rules.yaml', import.meta.url), 'utf8'), yaml);
});

test('budgets are exact decimals; windows are written in days and smaller units', () => {
  assert.equal(errorBudgetText(99.9), '0.001');
  assert.equal(errorBudgetText(99.99), '0.0001');
  assert.equal(errorBudgetText(95), '0.05');
  assert.equal(errorBudgetText(99.95), '0.0005');
  assert.equal(objectiveRatioText(99.9), '0.999');
  assert.equal(objectiveRatioText(90), '0.9');
  assert.equal(formatDuration(30 * 86_400_000, { upToDays: true }), '30d');
  assert.equal(formatDuration(90 * 60_000, { upToDays: true }), '1h30m');
});

test('config mistakes are reported with their path', () => {
  assert.deepEqual(parse([{ ...API, sli: { good: 'a', error: 'b', total: 'c' } }]).messages, ['slos[0].sli: an sli needs exactly one of "good" and "error", with "total"']);
  assert.deepEqual(parse([{ ...API, sli: { error: 'b' } }]).messages, ['slos[0].sli.total: missing required key "total" (a string)']);
  assert.deepEqual(parse([{ ...API, objective: 100 }]).messages, ['slos[0].objective: objective must be a percentage between 0 and 100 (exclusive), got 100']);
  assert.match(parse([{ ...API, extra: 1 }]).messages[0]!, /^slos\[0\]\.extra: unknown key "extra"/);
  assert.match(parse([{ ...API, sli: { error: 'sum(rate(x[5m]))', total: 't' } }]).messages[0]!, /^slos\[0\]\.sli\.error: expected a series selector/);
  assert.match(parse([{ ...API, sli: { error: 'x{', total: 't' } }]).messages[0]!, /^slos\[0\]\.sli\.error: could not parse selector/);
  assert.deepEqual(parse([API, API]).messages, ['slos[1].name: SLO name "api" is used twice']);
  assert.match(parse([{ ...API, name: 'has space' }]).messages[0]!, /invalid SLO name/);
  assert.deepEqual(parse([{ ...API, window: '12h' }]).messages, ['slos[0].window: window must be at least 1d']);
});
