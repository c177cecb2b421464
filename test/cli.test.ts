// The command line: validate every shipped pipeline, report broken configs with file:line:column
// and path, list components, print version and help.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EventEmitter } from 'node:events';
import { runCli } from './helpers/cli.js';
import { serve } from '../src/cli.js';
import type { ServiceConfig } from '../src/config/types.js';
import { createLogger } from '../src/telemetry/logger.js';
import { waitUntil } from './helpers/wait.js';
import { requireProgram } from './helpers/alert-servers.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// Shipped examples read secrets from the environment, as users are told to; give them one.
process.env.DD_API_KEY ??= 'example-api-key';
const PIPELINES = join(ROOT, 'pipelines');
const PROMTOOL = '/usr/bin/promtool';
const BROKEN = join(ROOT, 'test', 'fixtures', 'broken');

for (const file of readdirSync(PIPELINES).filter((f) => f.endsWith('.yaml'))) {
  test(`sluice validate accepts pipelines/${file}`, async () => {
    const r = await runCli(['validate', '--config', join(PIPELINES, file)]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /configuration is valid/);
    assert.doesNotMatch(r.err, /error/);
  });
}

// Each broken fixture starts with `# expect: <regex>` lines, every one of which must match the output.
for (const file of readdirSync(BROKEN).filter((f) => f.endsWith('.yaml'))) {
  test(`sluice validate rejects broken/${file} with the expected messages`, async () => {
    const path = join(BROKEN, file);
    const expectations = readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('# expect: '))
      .map((l) => new RegExp(l.slice('# expect: '.length)));
    assert.ok(expectations.length > 0, 'fixture states what it expects');
    const r = await runCli(['validate', '--config', path]);
    assert.equal(r.code, 1);
    for (const re of expectations) assert.match(r.err, re);
  });
}

test('later --config files merge over earlier ones and --set overrides both', async () => {
  const r = await runCli([
    'validate',
    '--config',
    join(PIPELINES, 'default.yaml'),
    '--config',
    join(ROOT, 'test', 'fixtures', 'override.yaml'),
    '--set',
    'processors.batch.timeout=not-a-duration',
  ]);
  assert.equal(r.code, 1);
  assert.match(r.err, /--set.*processors\.batch\.timeout.*duration/);
  assert.doesNotMatch(r.err, /send_batch_size/, 'the override file fixed what it set');
});

test('sluice components lists every type with its signals', async () => {
  const r = await runCli(['components']);
  assert.equal(r.code, 0);
  for (const re of [/otlp\s+traces, metrics, logs/, /batch\s+traces, metrics, logs/, /memory_limiter/, /otlphttp/, /debug/, /forward\s+traces->traces/, /health_check/]) {
    assert.match(r.out, re);
  }
});

test('--version and --help', async () => {
  const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;
  assert.equal((await runCli(['--version'])).out.trim(), `sluice ${version}`);
  const help = await runCli(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /sluice run/);
  assert.match(help.out, /sluice validate/);
  const bad = await runCli(['frobnicate']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /unknown command "frobnicate"/);
});

test('validate --print-rules prints the SLO rules of pipelines/alerting.yaml', async () => {
  const r = await runCli(['validate', '--print-rules', '--config', join(PIPELINES, 'alerting.yaml')]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /# processors\.alerting: rules generated from 1 slo\(s\)/);
  assert.match(r.out, /record: slo:sli_error:ratio_rate5m/);
  assert.match(r.out, /alert: CheckoutAvailabilityErrorBudgetBurn/);
});

test('the rules validate --print-rules prints pass real promtool check rules', { skip: requireProgram(PROMTOOL, ['--version']) }, async () => {
  const r = await runCli(['validate', '--print-rules', '--config', join(PIPELINES, 'alerting.yaml')]);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-print-rules-'));
  writeFileSync(join(dir, 'slo.rules.yaml'), r.out.slice(r.out.indexOf('groups:')));
  const check = spawnSync(PROMTOOL, ['check', 'rules', join(dir, 'slo.rules.yaml')], { encoding: 'utf8' });
  assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
  assert.match(check.stdout, /SUCCESS: 13 rules found/);
});

test('run: a SIGTERM right behind a SIGHUP wins: the stopping service is not rebuilt', async () => {
  const signals = new EventEmitter();
  const calls: string[] = [];
  const service = {
    start: async () => {},
    reload: async () => {
      calls.push('reload');
      return { successful: true, kept: [], rebuilt: [], started: [], stopped: [], reloaded: [], needsRestart: [], errors: [] };
    },
    rejectConfig: () => void calls.push('reject'),
    shutdown: async () => void calls.push('shutdown'),
  };
  const running = serve(service, async () => ({ config: {} as ServiceConfig, errors: [] }), createLogger('silent'), signals);
  await waitUntil(() => signals.listenerCount('SIGHUP') === 1, 5000, () => 'handlers installed');
  await new Promise((r) => setImmediate(r));
  signals.emit('SIGHUP');
  signals.emit('SIGTERM');
  assert.equal(await running, 0);
  assert.deepEqual(calls, ['shutdown']);
});

test('run: a SIGHUP while the service starts reloads once start resolved, never before; handlers go with the service', async () => {
  const signals = new EventEmitter();
  const calls: string[] = [];
  let finishStart!: () => void;
  const service = {
    start: () => new Promise<void>((resolve) => (finishStart = resolve)),
    reload: async () => {
      calls.push('reload');
      return { successful: true, kept: [], rebuilt: [], started: [], stopped: [], reloaded: [], needsRestart: [], errors: [] };
    },
    rejectConfig: () => void calls.push('reject'),
    shutdown: async () => void calls.push('shutdown'),
  };
  const running = serve(service, () => ({ config: {} as ServiceConfig, errors: [] }), createLogger('silent'), signals);
  signals.emit('SIGHUP');
  assert.deepEqual(calls, [], 'nothing to reload while starting');
  finishStart();
  await waitUntil(() => calls.length > 0, 5000, () => 'the held reload');
  signals.emit('SIGHUP');
  await waitUntil(() => calls.length > 1, 5000, () => 'the second reload');
  signals.emit('SIGTERM');
  assert.equal(await running, 0);
  assert.deepEqual(calls, ['reload', 'reload', 'shutdown']);
  assert.deepEqual(['SIGINT', 'SIGTERM', 'SIGHUP'].map((s) => signals.listenerCount(s)), [0, 0, 0]);
});
