// `file_storage`: the crash-safe queues of exporters that name it in `sending_queue.storage`, one
// segment log per queue under `directory`. Handles are counted per queue name, so an exporter
// replaced by a reload hands its queue to its successor without closing it.
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { SchedulerLike } from 'rxjs';
import type { Logger } from 'pino';
import type { CreateSettings, ExtensionFactory } from '../../pipeline/component.js';
import { QueueStore, type StoreCounters } from '../../pipeline/persistent-queue.js';
import type { PersistentQueue, StorageExtension } from '../../pipeline/queue-store.js';
import type { Telemetry } from '../../telemetry/telemetry.js';
import { fileStorageSchema, type FileStorageConfig } from './config.js';

/**
 * A file name for a queue name such as `exporter/otlp/backend/traces`: letters, digits and `-` stay,
 * every other byte becomes `_` and two hex digits, so distinct names never share a directory and
 * none can climb out of it. Very long names are cut and made unique by a hash.
 */
export function queueDirectoryName(name: string): string {
  let out = '';
  for (const byte of Buffer.from(name, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9-]/.test(c) ? c : `_${byte.toString(16).padStart(2, '0')}`;
  }
  if (out.length <= 200) return out;
  return `${out.slice(0, 150)}-${createHash('sha256').update(name).digest('hex').slice(0, 32)}`;
}

function counters(telemetry: Telemetry, storage: string, queue: string): StoreCounters {
  const labels = { storage, queue };
  const names = ['storage', 'queue'];
  const corrupt = telemetry.counter('sluice_storage_corrupt_records', 'Frames of a persistent queue skipped at open as torn or corrupt.', names).labels(labels);
  const corruptBytes = telemetry.counter('sluice_storage_corrupt_bytes', 'Bytes of a persistent queue skipped at open as torn or corrupt.', names).labels(labels);
  const replayed = telemetry.counter('sluice_storage_replayed_records', 'Records of a persistent queue not acked before the last stop, replayed at open.', names).labels(labels);
  const writeErrors = telemetry.counter('sluice_storage_write_errors', 'Group commits of a persistent queue that failed (disk full, I/O error).', names).labels(labels);
  return {
    corruptRecords: (n) => corrupt.inc(n),
    corruptBytes: (n) => corruptBytes.inc(n),
    replayedRecords: (n) => replayed.inc(n),
    writeErrors: (n) => writeErrors.inc(n),
  };
}

class FileStorage implements StorageExtension {
  private readonly stores = new Map<string, Promise<QueueStore>>();
  private stopped = false;
  private readonly logger: Logger;
  private readonly scheduler: SchedulerLike;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: FileStorageConfig,
  ) {
    this.logger = settings.logger;
    this.scheduler = settings.scheduler;
  }

  async start(): Promise<void> {
    await this.ensureDirectory(this.config.directory, 'directory');
    if (this.config.compaction.directory !== undefined) await this.ensureDirectory(this.config.compaction.directory, 'compaction.directory');
  }

  private async ensureDirectory(path: string, key: string): Promise<void> {
    if (this.config.create_directory) await fsp.mkdir(path, { recursive: true, mode: parseInt(this.config.directory_permissions, 8) });
    let isDirectory: boolean;
    try {
      isDirectory = (await fsp.stat(path)).isDirectory();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      throw new Error(`${this.settings.id}: ${key} ${path} does not exist (create it, or set create_directory: true)`);
    }
    if (!isDirectory) throw new Error(`${this.settings.id}: ${key} ${path} is not a directory`);
  }

  async openQueue(name: string): Promise<PersistentQueue> {
    for (;;) {
      if (this.stopped) throw new Error(`${this.settings.id} is shut down`);
      let entry = this.stores.get(name);
      if (!entry) {
        entry = this.openStore(name);
        this.stores.set(name, entry);
      }
      let store: QueueStore;
      try {
        store = await entry;
      } catch (err) {
        if (this.stores.get(name) === entry) this.stores.delete(name);
        throw err;
      }
      if (store.isOpen) return store.handle();
      // Its last handle closed it: wait for its files to be closed before opening them again.
      await store.close();
      if (this.stores.get(name) === entry) this.stores.delete(name);
    }
  }

  private openStore(name: string): Promise<QueueStore> {
    return QueueStore.open({
      directory: join(this.config.directory, queueDirectoryName(name)),
      fsync: this.config.fsync,
      logger: this.logger.child({ queue: name }),
      counters: counters(this.settings.telemetry, this.settings.id, name),
      lockTimeoutMs: this.config.timeout,
      compactOnOpen: this.config.compaction.on_start,
      scheduler: this.scheduler,
    });
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    const opened = await Promise.allSettled(this.stores.values());
    this.stores.clear();
    await Promise.all(opened.map((o) => (o.status === 'fulfilled' ? o.value.close() : undefined)));
  }
}

export const fileStorageExtensionFactory: ExtensionFactory<FileStorageConfig> = {
  kind: 'extension',
  type: 'file_storage',
  description: 'crash-safe exporter queues (sending_queue.storage) as segment logs in a directory',
  schema: fileStorageSchema,
  create: (settings, config) => new FileStorage(settings, config),
};
