#!/usr/bin/env node
// sluice run | validate | components | test-rules
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { realpathSync } from 'node:fs';
import type { Logger } from 'pino';
import { DEFAULT_CONFIG, packageVersion } from './paths.js';
import { allFactories, componentTypes, describeComponents, factoriesFor } from './components.js';
import { loadConfig } from './config/load.js';
import { watchFiles } from './config/watch.js';
import { formatIssue, validateConfig } from './config/validate.js';
import type { ConfigIssue } from './config/schema.js';
import type { ServiceConfig } from './config/types.js';
import { createLogger } from './telemetry/logger.js';
import { Service } from './service/service.js';
import type { AlertingConfig } from './processors/alerting/config.js';

const HELP = `sluice: an OpenTelemetry-Collector-style telemetry gateway

Usage:
  sluice run [--config FILE]... [--set key.path=value]... [--watch]
      Run the gateway. Several --config files merge, later over earlier. Without --config,
      runs the embedded default (OTLP gRPC :4317 and HTTP :4318 -> memory_limiter -> batch -> debug).
      SIGHUP reloads the configuration; --watch also reloads it when a config file changes.
  sluice validate --config FILE [--config FILE]... [--set key.path=value]... [--print-rules]
      Check a configuration; prints every problem with file:line:column and exits 1 if any is an error.
      --print-rules also prints, per alerting processor, the rules generated from its slos.
  sluice components
      List every component type and the signals it supports.
  sluice test-rules FILE...
      Run Prometheus rule unit tests (promtool's test file format) through sluice's own rule
      evaluator; exits 1 if any test fails.

Options:
  -c, --config FILE   configuration file (repeatable)
      --set K=V       override a value, e.g. --set exporters.otlp/tempo.endpoint=tempo:4317
      --watch         (run) reload when a --config file changes
  -h, --help          this help
  -v, --version       print the version
`;

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

const stdio: CliIo = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
};

/** Loads and validates. The config is there only when no issue is an error. */
async function check(files: string[], sets: string[]): Promise<{ config?: ServiceConfig; issues: ConfigIssue[] }> {
  const loaded = loadConfig(files, sets);
  const issues: ConfigIssue[] = [...loaded.issues];
  let config: ServiceConfig | undefined;
  if (loaded.raw && !loaded.issues.some((i) => i.severity === 'error')) {
    const result = validateConfig(loaded.raw, await factoriesFor(loaded.raw.value), componentTypes);
    issues.push(...result.issues);
    config = result.config;
  }
  return issues.some((i) => i.severity === 'error') ? { issues } : { config, issues };
}

/** Loads and validates; prints every issue. Returns the config only when there is no error. */
export async function loadAndValidate(files: string[], sets: string[], io: CliIo): Promise<ServiceConfig | undefined> {
  const { config, issues } = await check(files, sets);
  for (const issue of issues) io.err(formatIssue(issue));
  return config;
}

/** A configuration read again for a reload: the config, or its errors (file:line:column: ...). */
export interface Reread {
  config?: ServiceConfig;
  errors: string[];
}

export async function main(argv: string[], io: CliIo = stdio): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c', multiple: true },
        set: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
        'print-rules': { type: 'boolean' },
        watch: { type: 'boolean' },
      },
    });
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    io.out(`sluice ${packageVersion()}`);
    return 0;
  }
  const command = positionals[0] ?? (values.help ? undefined : 'run');
  if (values.help || command === undefined || command === 'help') {
    io.out(HELP);
    return 0;
  }
  const files = values.config ?? [];
  const sets = values.set ?? [];
  switch (command) {
    case 'components':
      io.out(describeComponents(await allFactories()));
      return 0;
    case 'validate': {
      if (files.length === 0) {
        io.err('sluice validate: at least one --config FILE is required');
        return 2;
      }
      const config = await loadAndValidate(files, sets, io);
      if (!config) return 1;
      io.out(`${files.join(', ')}: configuration is valid`);
      if (values['print-rules']) await printGeneratedRules(config, io);
      return 0;
    }
    case 'test-rules':
      return testRules(positionals.slice(1), io);
    case 'run':
      return run(files.length > 0 ? files : [DEFAULT_CONFIG], sets, io, values.watch === true);
    default:
      io.err(`unknown command "${command}"\n\n${HELP}`);
      return 2;
  }
}

/** The Prometheus rule groups each alerting processor generates from its `slos`, as a rule file. */
async function printGeneratedRules(config: ServiceConfig, io: CliIo): Promise<void> {
  const { generateSloRuleGroups, sloRuleGroupsToYaml } = await import('./alerting/rules/slo.js');
  for (const [id, component] of config.processors) {
    if (component.type !== 'alerting') continue;
    const { slos } = component.config as AlertingConfig;
    io.out(`# processors.${id}: ${slos.length === 0 ? 'no slos, no generated rules' : `rules generated from ${slos.length} slo(s)`}`);
    if (slos.length > 0) io.out(sloRuleGroupsToYaml(generateSloRuleGroups(slos)));
  }
}

async function testRules(files: string[], io: CliIo): Promise<number> {
  if (files.length === 0) {
    io.err('sluice test-rules: at least one test FILE is required');
    return 2;
  }
  const { formatRuleTestResult, runRuleTestFile } = await import('./alerting/unittest/runner.js');
  let failed = false;
  for (const file of files) {
    const result = runRuleTestFile(file);
    if (result.failures.length > 0) failed = true;
    for (const line of formatRuleTestResult(result)) io[line.stream](line.text);
  }
  return failed ? 1 : 0;
}

/** How long the config files must stay unchanged after a change before --watch reloads. */
const WATCH_QUIET_MS = 300;

async function run(files: string[], sets: string[], io: CliIo, watch: boolean): Promise<number> {
  const config = await loadAndValidate(files, sets, io);
  if (!config) return 1;
  const logger = createLogger(config.service.telemetry.logs.level);
  const reread = async (): Promise<Reread> => {
    const { config, issues } = await check(files, sets);
    for (const issue of issues) logger[issue.severity === 'error' ? 'error' : 'warn'](formatIssue(issue));
    return { config, errors: issues.filter((i) => i.severity === 'error').map(formatIssue) };
  };
  const code = await serve(new Service(config, { logger }), reread, logger, process, watch ? files : []);
  logger.flush();
  return code;
}

/** What `serve` needs of a service; tests drive it with a stand-in. */
export type Servable = Pick<Service, 'start' | 'reload' | 'rejectConfig' | 'shutdown'>;

/**
 * Starts the service and runs it until SIGINT or SIGTERM; resolves with the exit code. As
 * Prometheus does, SIGHUP re-reads the configuration (`reread`) and the service swaps to it (a
 * change of a `watched` file does the same); a config with errors is reported and the old one
 * keeps running. Reloads run one at a time: requests arriving meanwhile make one more.
 */
export async function serve(service: Servable, reread: () => Reread | Promise<Reread>, logger: Logger, signals: NodeJS.EventEmitter = process, watched: readonly string[] = []): Promise<number> {
  let started = false;
  let reloadRequested = false;
  let reloading = false;
  const reload = async (): Promise<void> => {
    if (reloading) {
      reloadRequested = true;
      return;
    }
    reloading = true;
    try {
      do {
        reloadRequested = false;
        const next = await reread();
        // A stop that came while the config was read wins: a stopping service is not rebuilt.
        if (stopSignals > 0) break;
        if (next.config) {
          await service.reload(next.config);
        } else {
          service.rejectConfig(next.errors);
          logger.error({ errors: next.errors }, 'the new configuration has errors; still running the previous one');
        }
      } while (reloadRequested && stopSignals === 0);
    } catch (err) {
      logger.error({ err }, 'reloading the configuration failed; still running the previous one');
    } finally {
      reloading = false;
    }
  };
  const requestReload = (cause: string): void => {
    if (started) {
      logger.info(`${cause}; reloading the configuration`);
      void reload();
      return;
    }
    // A reload diffs against the running components, which exist once start resolved; the request
    // waits for then (as Prometheus holds its reload until the first load) rather than being lost
    // or killing the process as an unhandled SIGHUP would.
    logger.info(`${cause} while starting; reloading the configuration once started`);
    reloadRequested = true;
  };
  const onReload = (): void => requestReload('received SIGHUP');
  let finish!: (code: number) => void;
  const stopped = new Promise<number>((resolve) => (finish = resolve));
  let stopSignals = 0;
  // Installed before start too, so that a stop requested while starting still shuts down gracefully.
  const onStop = (signal: NodeJS.Signals): void => {
    stopSignals++;
    if (stopSignals > 1) {
      logger.warn({ signal }, 'second signal: exiting without finishing shutdown');
      logger.flush();
      process.exit(1);
    }
    logger.info({ signal }, 'received signal; shutting down gracefully');
    service.shutdown().then(
      () => finish(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        finish(1);
      },
    );
  };
  signals.on('SIGINT', onStop).on('SIGTERM', onStop).on('SIGHUP', onReload);
  const watcher = watched.length > 0 ? watchFiles(watched, WATCH_QUIET_MS, () => requestReload('a configuration file changed')) : undefined;
  try {
    try {
      await service.start();
    } catch (err) {
      logger.error({ err }, 'failed to start');
      return 1;
    }
    started = true;
    if (reloadRequested && stopSignals === 0) void reload();
    return await stopped;
  } finally {
    watcher?.close();
    signals.off('SIGINT', onStop).off('SIGTERM', onStop).off('SIGHUP', onReload);
  }
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(entry)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
    // Servers are closed by now; anything still holding the loop is a bug we do not wait on.
    if (code !== 0 || process.argv[2] !== 'run') return;
    setTimeout(() => process.exit(code), 100).unref();
  });
}
