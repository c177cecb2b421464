// Unix datagram sockets for `protocol: unixgram`. Node's dgram has none, so this goes through the
// optional `unix-dgram` addon (compiled by node-gyp at install time). When it did not build, only
// this protocol is unavailable, with an error that says why.
import { createRequire } from 'node:module';
import type { UnixDgramSocket } from 'unix-dgram';
import { RetryableError } from '../../pipeline/errors.js';

type UnixDgram = typeof import('unix-dgram');

let loaded: UnixDgram | Error | undefined;

function unixDgram(): UnixDgram {
  if (loaded === undefined) {
    try {
      loaded = createRequire(import.meta.url)('unix-dgram') as UnixDgram;
    } catch (err) {
      loaded = err as Error;
    }
  }
  if (loaded instanceof Error) {
    throw new Error(
      `protocol "unixgram" needs the optional package unix-dgram, which is not usable here (${loaded.message.split('\n')[0]}); ` +
        'it is compiled at install time, so run npm install where python3, make and g++ are present, or use udp or tcp',
    );
  }
  return loaded;
}

/** Throws when the addon is missing, so a config asking for unixgram fails at start, not at the first send. */
export function assertUnixDatagramAvailable(): void {
  unixDgram();
}

/** A client socket connected to one path; send() waits out congestion instead of dropping. */
export class UnixDatagramClient {
  private socket: UnixDgramSocket | undefined;

  constructor(private readonly path: string) {}

  async send(packet: Buffer, abort: AbortSignal): Promise<void> {
    const socket = this.connected();
    for (;;) {
      const err = await new Promise<(Error & { code?: number | string }) | undefined>((resolve) => socket.send(packet, resolve));
      if (!err) return;
      // A full receive buffer: the addon signals 'writable' once there is room again.
      if (err.code === 1) {
        await writableOrAbort(socket, abort);
        continue;
      }
      this.close();
      throw new RetryableError(`statsd unixgram send to ${this.path} failed: ${err.message}`);
    }
  }

  private connected(): UnixDgramSocket {
    if (this.socket) return this.socket;
    const socket = unixDgram().createSocket('unix_dgram');
    let failure: Error | undefined;
    socket.once('error', (err: Error) => (failure = err));
    socket.connect(this.path);
    if (failure) {
      socket.close();
      throw new RetryableError(`statsd unixgram connect to ${this.path} failed: ${failure.message}`);
    }
    socket.on('error', () => this.close());
    this.socket = socket;
    return socket;
  }

  close(): void {
    this.socket?.close();
    this.socket = undefined;
  }
}

function writableOrAbort(socket: UnixDgramSocket, abort: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      socket.off('writable', onWritable);
      reject(abort.reason instanceof Error ? abort.reason : new RetryableError('statsd unixgram send aborted'));
    };
    const onWritable = () => {
      abort.removeEventListener('abort', onAbort);
      resolve();
    };
    if (abort.aborted) return onAbort();
    socket.once('writable', onWritable);
    abort.addEventListener('abort', onAbort, { once: true });
  });
}
