// SIGHUP to a running `sluice run`: the rule file is read again, the new rule is evaluated, the
// unchanged rule keeps its alert (same activeAt), a change the processor cannot take in place
// rebuilds it (its API still served), and a broken config leaves the running one in place.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCli } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { pollUntil } from '../helpers/alert-servers.js';
import { alertingServiceYaml } from '../helpers/alerting-config.js';

interface ApiAlert {
  labels: Record<string, string>;
  activeAt: string;
}

const rule = (name: string) => `      - alert: ${name}\n        expr: vector(1)\n`;

test('SIGHUP reloads rule files; unchanged rules keep their state', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-reload-'));
  const statusPort = await freePort();
  const rules = join(dir, 'always.rules.yaml');
  writeFileSync(rules, `groups:\n  - name: always\n    interval: 200ms\n    rules:\n${rule('First')}`);
  const config = join(dir, 'config.yaml');
  const yaml = (extra = '') => alertingServiceYaml(`    rule_files: ['*.rules.yaml']\n${extra}`, `127.0.0.1:${statusPort}`);
  writeFileSync(config, yaml());
  const cli = startCli(['run', '--config', config]);
  const alerts = async (): Promise<ApiAlert[]> => ((await (await fetch(`http://127.0.0.1:${statusPort}/api/v1/alerts`)).json()) as { data: { alerts: ApiAlert[] } }).data.alerts;
  try {
    let before: ApiAlert[] = [];
    await pollUntil(async () => (before = await alerts()).length === 1, 30_000, () => `First firing; output:\n${cli.output()}`);

    writeFileSync(rules, `groups:\n  - name: always\n    interval: 200ms\n    rules:\n${rule('First')}${rule('Second')}`);
    cli.child.kill('SIGHUP');
    let after: ApiAlert[] = [];
    await pollUntil(async () => (after = await alerts()).length === 2, 20_000, () => `Second firing; output:\n${cli.output()}`);
    const first = after.find((a) => a.labels.alertname === 'First')!;
    assert.equal(first.activeAt, before[0]!.activeAt, 'the unchanged rule kept its alert');

    writeFileSync(config, yaml('    notifiers:\n      webhook:\n        endpoint: http://127.0.0.1:9/hook'));
    cli.child.kill('SIGHUP');
    await pollUntil(() => /"rebuilt":\["processors\.alerting"\]/.test(cli.output()), 20_000, () => `a change reload() cannot take rebuilds the processor; output:\n${cli.output()}`);
    await pollUntil(async () => (await alerts()).length === 2, 20_000, () => `the rebuilt processor serves the alerting API; output:\n${cli.output()}`);

    writeFileSync(config, 'receivers: [nonsense');
    cli.child.kill('SIGHUP');
    await pollUntil(() => /still running the previous one/.test(cli.output()), 20_000, () => cli.output());
    assert.equal((await alerts()).length, 2, 'the running configuration is untouched');
  } finally {
    cli.child.kill('SIGTERM');
    assert.equal(await cli.exited, 0, cli.output());
  }
});
