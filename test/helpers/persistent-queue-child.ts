// A process that appends numbered records to a persistent queue and prints each one's number once
// its append resolved (durable), until it is killed. The crash test SIGKILLs it mid-stream.
import { asyncScheduler } from 'rxjs';
import { QueueStore } from '../../src/pipeline/persistent-queue.js';
import { createLogger } from '../../src/telemetry/logger.js';

const [directory, fsync] = process.argv.slice(2);
const store = await QueueStore.open({ directory: directory!, fsync: fsync === 'true', logger: createLogger('silent'), scheduler: asyncScheduler, segmentBytes: 64 * 1024 });
const queue = store.handle();
let next = 0;
// Several appends in flight at once, so group commits are what is killed.
for (;;) {
  const batch = Array.from({ length: 8 }, () => {
    const n = next++;
    const payload = Buffer.alloc(1024 + (n % 7) * 300, n % 251);
    payload.writeUInt32LE(n, 0);
    return queue.append(payload, 1).then(() => process.stdout.write(`${n}\n`));
  });
  await Promise.all(batch);
}
