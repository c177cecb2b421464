// file_storage: the Collector's keys and defaults, directory creation and the error for a missing
// one, safe per-queue directory names, and handles shared per queue name (a reload's successor
// gets the queue without the records its predecessor still holds).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asyncScheduler } from 'rxjs';
import { fileStorageExtensionFactory, queueDirectoryName } from '../../src/extensions/file_storage/factory.js';
import type { FileStorageConfig } from '../../src/extensions/file_storage/config.js';
import { isStorageExtension, type StorageExtension } from '../../src/pipeline/queue-store.js';
import type { ConfigIssue } from '../../src/config/schema.js';
import type { ServiceHost } from '../../src/pipeline/component.js';
import { RetryableError } from '../../src/pipeline/errors.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';

function parse(raw: unknown): { config: FileStorageConfig | undefined; issues: ConfigIssue[] } {
  const ctx = { issues: [] as ConfigIssue[] };
  return { config: fileStorageExtensionFactory.schema.parse(raw, ctx), issues: ctx.issues };
}

function create(raw: Record<string, unknown>, telemetry = new Telemetry()): StorageExtension {
  const { config, issues } = parse(raw);
  assert.deepEqual(issues, []);
  const ext = fileStorageExtensionFactory.create(
    { id: 'file_storage', kind: 'extension', logger: createLogger('silent'), telemetry, scheduler: asyncScheduler, reportStatus: () => {}, extension: () => undefined },
    config!,
    {} as ServiceHost,
  );
  assert.ok(isStorageExtension(ext));
  return ext;
}

test('defaults are the Collector’s', () => {
  const { config, issues } = parse({});
  assert.deepEqual(issues, []);
  assert.deepEqual(config, {
    directory: '/var/lib/otelcol/file_storage',
    create_directory: false,
    directory_permissions: '0750',
    timeout: 1000,
    fsync: false,
    compaction: {
      on_start: false,
      on_rebound: false,
      max_transaction_size: 65536,
      rebound_needed_threshold_mib: 100,
      rebound_trigger_threshold_mib: 10,
      check_interval: 5000,
      cleanup_on_start: false,
    },
  });
});

test('every key of the Collector’s file_storage loads; an unknown key is an error naming it', () => {
  const { config, issues } = parse({
    directory: '/data/queues',
    create_directory: true,
    directory_permissions: '0700',
    timeout: '2s',
    fsync: true,
    compaction: { on_start: true, on_rebound: true, directory: '/tmp/compact', max_transaction_size: 1000, rebound_needed_threshold_mib: 5, rebound_trigger_threshold_mib: 1, check_interval: '10s', cleanup_on_start: true },
  });
  assert.deepEqual(issues, []);
  assert.equal(config!.timeout, 2000);
  assert.equal(config!.compaction.check_interval, 10_000);

  const bad = parse({ directroy: '/x' });
  assert.equal(bad.config, undefined);
  assert.equal(bad.issues.length, 1);
  assert.match(bad.issues[0]!.message, /unknown key "directroy"/);

  assert.match(parse({ directory_permissions: 'rwx' }).issues[0]!.message, /octal/);
});

test('a missing directory fails start naming it, unless create_directory makes it with the permissions given', async () => {
  const root = mkdtempSync(join(tmpdir(), 'sluice-fs-'));
  const dir = join(root, 'a', 'queues');
  await assert.rejects(create({ directory: dir }).start(), (err: Error) => err.message.includes(dir) && /create_directory/.test(err.message));

  const ext = create({ directory: dir, create_directory: true, directory_permissions: '0700', compaction: { directory: join(root, 'compact') } });
  await ext.start();
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.ok(existsSync(join(root, 'compact')));
  await ext.shutdown(0);

  const defaults = create({ directory: join(root, 'b'), create_directory: true });
  await defaults.start();
  assert.equal(statSync(join(root, 'b')).mode & 0o777, 0o750 & ~process.umask());
  await defaults.shutdown(0);
  rmSync(root, { recursive: true, force: true });
});

test('queue names become one safe directory each', () => {
  assert.equal(queueDirectoryName('exporter/otlp/backend/traces'), 'exporter_2fotlp_2fbackend_2ftraces');
  assert.notEqual(queueDirectoryName('a/b'), queueDirectoryName('a_2fb'));
  assert.equal(queueDirectoryName('..'), '_2e_2e');
  const long = queueDirectoryName('x'.repeat(300));
  assert.ok(long.length <= 200);
  assert.notEqual(long, queueDirectoryName(`${'x'.repeat(299)}y`));
});

test('a second handle on an open queue shares its store; what the first has taken is not given to the second', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-fs-'));
  const ext = create({ directory: dir });
  await ext.start();
  const name = 'exporter/otlp/backend/traces';
  const old = await ext.openQueue(name);
  for (let i = 0; i < 3; i++) await old.append(Buffer.from([i]), 1);
  const sending = old.take()!;
  assert.equal(sending.payload[0], 0);

  const successor = await ext.openQueue(name);
  assert.deepEqual(readdirSync(dir), [queueDirectoryName(name)]);
  assert.equal(successor.records, 3, 'the count includes what the old handle holds');
  assert.equal(successor.take()!.payload[0], 1);
  await successor.append(Buffer.from([3]), 1);

  // The old exporter stops draining: what it still held goes to its successor.
  await old.close();
  assert.equal(successor.take()!.payload[0], 0);
  assert.deepEqual([successor.take()!.payload[0], successor.take()!.payload[0], successor.take()], [2, 3, undefined]);
  await successor.close();

  // The last handle closed the store; a later open replays it from disk.
  const reopened = await ext.openQueue(name);
  assert.equal(reopened.records, 4);
  await ext.shutdown(0);
  await assert.rejects(reopened.append(Buffer.from([9]), 1), RetryableError);
  await assert.rejects(ext.openQueue(name), /shut down/);
  rmSync(dir, { recursive: true, force: true });
});

test('queues of different names are kept apart, and the replay is counted per queue', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-fs-'));
  const telemetry = new Telemetry();
  let ext = create({ directory: dir }, telemetry);
  await ext.start();
  const traces = await ext.openQueue('exporter/otlp/traces');
  const logs = await ext.openQueue('exporter/otlp/logs');
  await traces.append(Buffer.from('t'), 1);
  await logs.append(Buffer.from('l'), 2);
  await logs.append(Buffer.from('l'), 2);
  await ext.shutdown(0);

  ext = create({ directory: dir }, telemetry);
  await ext.start();
  assert.equal((await ext.openQueue('exporter/otlp/traces')).items, 1);
  assert.equal((await ext.openQueue('exporter/otlp/logs')).items, 4);
  assert.match(await telemetry.render(), /sluice_storage_replayed_records\{storage="file_storage",queue="exporter\/otlp\/logs"\} 2/);
  await ext.shutdown(0);
  rmSync(dir, { recursive: true, force: true });
});
