// What a storage extension (file_storage) gives the exporter helper: a crash-safe FIFO of opaque
// records, so a queue can say "durable" before it answers a client and replay after a restart.
import type { Extension } from './component.js';

/** One stored record: the encoded batch, and the items it carries so the queue can be bounded by items. */
export interface StoredRecord {
  readonly id: number;
  readonly items: number;
  readonly payload: Uint8Array;
}

export interface PersistentQueue {
  /**
   * Stores a record. Resolves once it is durable: written to the file (and fsync'd when the
   * extension has `fsync: true`; one fsync covers every append that arrived meanwhile). Rejects
   * with a RetryableError when the disk is full or the store is closed; nothing is stored then.
   * The record can be taken once the promise resolved.
   */
  append(payload: Uint8Array, items: number): Promise<void>;
  /** The oldest record neither taken nor acked; after a restart, the records not acked before it first. */
  take(): StoredRecord | undefined;
  /** The record is done with (sent, or refused for good): it is not replayed again. */
  ack(id: number): void;
  /** Gives a taken record back (its sending stopped at shutdown): it is taken again, here or after a restart. */
  release(id: number): void;
  /** Records stored and not acked, taken ones included. */
  readonly records: number;
  readonly items: number;
  /** Payload bytes of the records not acked. */
  readonly bytes: number;
  /** Records not acked and not taken. */
  readonly available: number;
  /** Closes this handle. The store stays open while another handle on the same name is open. */
  close(): Promise<void>;
}

/** An extension that can hold the queues of exporters that name it in `sending_queue.storage`. */
export interface StorageExtension extends Extension {
  /**
   * Opens the queue stored under `name` (the exporter id and signal). While a handle on the same
   * name is open (a reload's old exporter still draining), the new handle shares that store: the
   * records the old one has taken are not replayed to the new one.
   */
  openQueue(name: string): Promise<PersistentQueue>;
}

export function isStorageExtension(extension: Extension): extension is StorageExtension {
  return typeof (extension as Partial<StorageExtension>).openQueue === 'function';
}
