// Every rule unit-test file in rule-tests/ must pass both the real promtool (the expectations
// are what Prometheus computes) and sluice's runner (sluice's evaluator agrees with it). A
// deliberately wrong expectation must fail in both, and sluice must say what differed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runRuleTestFile, type RuleTestResult } from '../../src/alerting/unittest/runner.js';
import { runCli } from '../helpers/cli.js';

const DIR = fileURLToPath(new URL('./rule-tests/', import.meta.url));
const PROMTOOL = '/usr/bin/promtool';
const FILES = readdirSync(DIR)
  .filter((f) => f.endsWith('.test.yaml'))
  .sort();

const havePromtool = existsSync(PROMTOOL);
if (!havePromtool && process.env.CI === 'true') throw new Error(`${PROMTOOL} is missing; CI must install Debian's prometheus package`);
const promtoolSkip = havePromtool ? false : `${PROMTOOL} not found: install Debian's "prometheus" package (apt-get install prometheus) to check the suite against promtool`;

function promtool(file: string): { code: number | null; output: string } {
  const r = spawnSync(PROMTOOL, ['test', 'rules', file], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

function failuresOf(result: RuleTestResult): string {
  return result.failures.map((f) => f.message).join('\n\n');
}

test('the suite has at least 30 test files', () => {
  assert.ok(FILES.length >= 30, `only ${FILES.length} *.test.yaml files`);
});

for (const file of FILES) {
  const path = join(DIR, file);
  test(`promtool passes ${file}`, { skip: promtoolSkip }, () => {
    const r = promtool(path);
    assert.equal(r.code, 0, r.output);
  });
  test(`sluice passes ${file}`, () => {
    const result = runRuleTestFile(path);
    assert.deepEqual(result.warnings, []);
    assert.equal(result.failures.length, 0, failuresOf(result));
  });
}

/** A copy of a passing test (with its rule files) in a temp dir, edited by `edit`. */
function brokenCopy(name: string, rules: string[], edit: (text: string) => string): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-test-rules-'));
  for (const r of rules) copyFileSync(join(DIR, r), join(dir, r));
  const text = readFileSync(join(DIR, name), 'utf8');
  const edited = edit(text);
  assert.notEqual(edited, text, 'the edit changed the test');
  const file = join(dir, name);
  writeFileSync(file, edited);
  return { dir, file };
}

test('a wrong expression value fails in promtool and in sluice, naming expr, time, expected and got', () => {
  const { dir, file } = brokenCopy('rate.test.yaml', ['rate.rules.yaml'], (t) => t.replace(/(job:http_requests:rate5m\{job="db"\}'\n\s+value: )0\.5/, '$10.75'));
  try {
    if (havePromtool) assert.equal(promtool(file).code, 1);
    const result = runRuleTestFile(file);
    assert.equal(result.failures.length, 1, failuresOf(result));
    const [failure] = result.failures;
    assert.equal(failure?.kind, 'expr');
    assert.equal(
      failure!.message,
      [
        '    expr: "job:http_requests:rate5m", time: 10m,',
        '        exp: {__name__="job:http_requests:rate5m", job="api"} 3E+00, {__name__="job:http_requests:rate5m", job="db"} 7.5E-01',
        '        got: {__name__="job:http_requests:rate5m", job="api"} 3E+00, {__name__="job:http_requests:rate5m", job="db"} 5E-01',
      ].join('\n'),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a wrong alert expectation fails in promtool and in sluice, naming alert, time, expected and got', () => {
  const { dir, file } = brokenCopy('for.test.yaml', ['for.rules.yaml'], (t) => t.replace("summary: 'latency 3s'", "summary: 'latency 4s'"));
  try {
    if (havePromtool) assert.equal(promtool(file).code, 1);
    const result = runRuleTestFile(file);
    assert.equal(result.failures.length, 1, failuresOf(result));
    const [failure] = result.failures;
    assert.equal(failure?.kind, 'alert');
    assert.equal(
      failure!.message,
      [
        '    alertname: HighLatency, time: 9m, ',
        '        exp:[',
        '            0:',
        '              Labels:{alertname="HighLatency", service="checkout", severity="page"}',
        '              Annotations:{summary="latency 4s"}',
        '            ], ',
        '        got:[',
        '            0:',
        '              Labels:{alertname="HighLatency", service="checkout", severity="page"}',
        '              Annotations:{summary="latency 3s"}',
        '            ]',
      ].join('\n'),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a pending alert is not listed: expecting it at the step before it fires fails in both', () => {
  const { dir, file } = brokenCopy('for.test.yaml', ['for.rules.yaml'], (t) =>
    t.replace('      - eval_time: 3m\n        alertname: HighLatency\n', '      - eval_time: 3m\n        alertname: HighLatency\n        exp_alerts:\n          - exp_labels: {service: checkout, severity: page}\n'),
  );
  try {
    if (havePromtool) assert.equal(promtool(file).code, 1);
    const result = runRuleTestFile(file);
    assert.equal(result.failures.length, 1, failuresOf(result));
    assert.match(result.failures[0]!.message, /alertname: HighLatency, time: 3m, \n {8}exp:\[\n/);
    assert.match(result.failures[0]!.message, /got:\[\]$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an expression that does not evaluate to a vector or scalar is an error in both', () => {
  const { dir, file } = brokenCopy('math.test.yaml', ['math.rules.yaml'], (t) => t.replace('- expr: abs(reading)', '- expr: \'"a string"\''));
  try {
    if (havePromtool) assert.equal(promtool(file).code, 1);
    const result = runRuleTestFile(file);
    assert.equal(result.failures.length, 1, failuresOf(result));
    assert.equal(result.failures[0]!.message, '    expr: "\\"a string\\"", time: 0s, err: rule result is not a vector or scalar');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad values notation is reported with the file, line and column inside the string', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-test-rules-'));
  try {
    const file = join(dir, 'bad.test.yaml');
    writeFileSync(file, ["rule_files: []", 'tests:', '  - interval: 1m', '    input_series:', "      - series: 'up'", "        values: '1 2 3x'", ''].join('\n'));
    if (havePromtool) assert.equal(promtool(file).code, 1);
    const result = runRuleTestFile(file);
    assert.equal(result.failures.length, 1);
    assert.match(result.failures[0]!.message, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:6:24: tests\\[0\\]\\.input_series\\[0\\]\\.values: invalid values "1 2 3x": column 7: "3x" needs a repetition count after "x"$`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('unknown keys are errors, as promtool reads test files strictly', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-test-rules-'));
  try {
    const file = join(dir, 'strict.test.yaml');
    writeFileSync(file, ['rule_files: []', 'tests:', '  - interval: 1m', '    bogus: 1', ''].join('\n'));
    if (havePromtool) assert.equal(promtool(file).code, 1);
    const result = runRuleTestFile(file);
    assert.equal(result.failures.length, 1);
    assert.match(result.failures[0]!.message, /strict\.test\.yaml:4:5: tests\[0\]\.bogus: unknown key "bogus"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a rule_files path that matches nothing is a warning, not a failure, as in promtool', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-test-rules-'));
  try {
    const file = join(dir, 'missing.test.yaml');
    writeFileSync(file, ['rule_files: [nothere.yaml]', 'tests:', '  - interval: 1m', '    promql_expr_test:', '      - expr: vector(1)', '        eval_time: 0s', "        exp_samples: [{labels: '{}', value: 1}]", ''].join('\n'));
    if (havePromtool) assert.equal(promtool(file).code, 0);
    const result = runRuleTestFile(file);
    assert.deepEqual(result.warnings, ['no file match pattern nothere.yaml']);
    assert.deepEqual(result.failures, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sluice test-rules prints promtool-style output and exits 0 when every file passes', async () => {
  const files = [join(DIR, 'for.test.yaml'), join(DIR, 'set-ops.test.yaml')];
  const r = await runCli(['test-rules', ...files]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, `Unit Testing: ${files[0]}\n  SUCCESS\n\nUnit Testing: ${files[1]}\n  SUCCESS\n\n`);
  assert.equal(r.err, '');
});

test('sluice test-rules exits 1 and prints FAILED with the details when a file fails', async () => {
  const { dir, file } = brokenCopy('for.test.yaml', ['for.rules.yaml'], (t) => t.replace("summary: 'latency 3s'", "summary: 'latency 4s'"));
  try {
    const passing = join(DIR, 'set-ops.test.yaml');
    const r = await runCli(['test-rules', file, passing]);
    assert.equal(r.code, 1);
    assert.equal(r.out, `Unit Testing: ${file}\n\n\nUnit Testing: ${passing}\n  SUCCESS\n\n`);
    assert.match(r.err, /^ {2}FAILED:\n {4}alertname: HighLatency, time: 9m, \n/);
    assert.match(r.err, /Annotations:\{summary="latency 4s"\}/);
    assert.match(r.err, /Annotations:\{summary="latency 3s"\}/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sluice test-rules without files is a usage error', async () => {
  const r = await runCli(['test-rules']);
  assert.equal(r.code, 2);
  assert.match(r.err, /at least one test FILE/);
});

test('sluice --help lists test-rules', async () => {
  const r = await runCli(['--help']);
  assert.match(r.out, /sluice test-rules FILE\.\.\./);
});
