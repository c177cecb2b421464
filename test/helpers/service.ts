// Runs a sluice Service in-process from YAML text, the way `sluice run` would.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { formatIssue, validateConfig } from '../../src/config/validate.js';
import { allFactories } from '../../src/components.js';
import { Service } from '../../src/service/service.js';
import type { ServiceConfig } from '../../src/config/types.js';
import { createLogger } from '../../src/telemetry/logger.js';
import type { OtlpReceiver } from '../../src/receivers/otlp/factory.js';

const factories = await allFactories();

export function writeTempConfig(yaml: string, name = 'config.yaml'): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-test-'));
  const file = join(dir, name);
  writeFileSync(file, yaml);
  return file;
}

export async function startService(yaml: string): Promise<Service> {
  return startServiceFromFiles([writeTempConfig(yaml)]);
}

/** The validated config of YAML files, as `sluice run` loads it; throws with the printed errors. */
export function serviceConfigFromFiles(files: string[], sets: string[] = []): ServiceConfig {
  const loaded = loadConfig(files, sets);
  const errors = loaded.issues.filter((i) => i.severity === 'error');
  if (!loaded.raw || errors.length) throw new Error(errors.map(formatIssue).join('\n'));
  const result = validateConfig(loaded.raw, factories);
  if (!result.config) throw new Error(result.issues.map(formatIssue).join('\n'));
  return result.config;
}

/** Like `sluice run --config F... --set K=V...`. */
export async function startServiceFromFiles(files: string[], sets: string[] = []): Promise<Service> {
  const service = new Service(serviceConfigFromFiles(files, sets), { logger: createLogger('silent') });
  await service.start();
  return service;
}

export function receiverPorts(service: Service, id = 'otlp'): { grpc?: number; http?: number } {
  const r = service.receiver(id) as OtlpReceiver | undefined;
  if (!r) throw new Error(`no receiver ${id}`);
  return r.ports();
}
