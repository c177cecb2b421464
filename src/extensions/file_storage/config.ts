// `file_storage`'s settings: the Collector contrib extension's keys, so its users' configs load.
// The Collector keeps a bbolt database per client; sluice keeps a segment log per queue (see
// pipeline/persistent-queue.ts), so each key means what it can mean for a log of segments.
import { s, type Infer } from '../../config/schema.js';

const octal = (v: string) => (/^0?[0-7]{3,4}$/.test(v) ? undefined : `expected octal permissions such as "0750", got "${v}"`);

export const fileStorageSchema = s.object({
  /** One sub-directory per queue is kept here. */
  directory: s.string().default('/var/lib/otelcol/file_storage'),
  /** Make `directory` (and `compaction.directory`) when missing, with `directory_permissions` less the umask. */
  create_directory: s.bool().default(false),
  directory_permissions: s.string().default('0750').refine(octal),
  /** How long opening a queue waits for another process's lock on its directory (bbolt's file lock wait in the Collector). */
  timeout: s.duration().default(1000),
  /** fdatasync after every group commit: an acked append then survives power loss, not only a crash of sluice. */
  fsync: s.bool().default(false),
  /**
   * Compaction of a segment log is rewriting the unacked records of mostly acked segments into the
   * tail so the old segments can be deleted; segments whose records are all acked are deleted as
   * soon as that happens, whatever is set here.
   */
  compaction: s.object({
    /** Compact each queue when it is opened. */
    on_start: s.bool().default(false),
    /**
     * The Collector's online compaction after usage shrinks. A segment log reclaims space online
     * already (acked segments are deleted as they empty), so this and its thresholds and interval
     * are accepted and change nothing.
     */
    on_rebound: s.bool().default(false),
    /** Where bbolt writes its compacted copy; a segment log compacts in place, so unused but made by create_directory. */
    directory: s.string().optional(),
    /** bbolt's keys per compaction transaction; compaction here is one group commit per queue, so accepted and unused. */
    max_transaction_size: s.int({ min: 0 }).default(65536),
    rebound_needed_threshold_mib: s.int({ min: 0 }).default(100),
    rebound_trigger_threshold_mib: s.int({ min: 0 }).default(10),
    check_interval: s.duration().default(5000),
    /** Leftover temporary compaction files removed at start; a segment log leaves none, so accepted and unused. */
    cleanup_on_start: s.bool().default(false),
  }),
});

export type FileStorageConfig = Infer<typeof fileStorageSchema>;
