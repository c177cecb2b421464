// Merges OTLP requests by appending their resource entries. Resources are not coalesced: two
// entries with equal resources stay two entries, which every backend accepts and costs no hashing.
import { fromResourceEntries, resourceEntries } from './split.js';
import type { Signal, SignalData } from './types.js';

/** One request holding every part's resource entries in order; a single part is returned as is. */
export function mergeRequests<S extends Signal>(signal: S, parts: readonly SignalData[S][]): SignalData[S] {
  if (parts.length === 1) return parts[0]!;
  const entries: object[] = [];
  for (const part of parts) for (const entry of resourceEntries(signal, part)) entries.push(entry);
  return fromResourceEntries(signal, entries);
}
