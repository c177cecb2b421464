// Memory readings for the bounded-state tests: a full collection before each reading, so the
// figures are live objects rather than garbage waiting for the collector. --expose-gc set at
// runtime exposes gc() only to a fresh context.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

export function measuredMemory(): NodeJS.MemoryUsage {
  gc();
  gc();
  return process.memoryUsage();
}

export const MiB = (bytes: number) => `${bytes < 0 ? '' : '+'}${(bytes / 2 ** 20).toFixed(1)}`;
