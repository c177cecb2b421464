// The part of the `unix-dgram` package (no bundled typings) that the statsd exporter uses.
declare module 'unix-dgram' {
  import type { EventEmitter } from 'node:events';
  export interface UnixDgramSocket extends EventEmitter {
    bind(path: string): void;
    connect(path: string): void;
    /** On a connected socket: send(buf, callback). `congestion` (code 1) means wait for 'writable'. */
    send(buf: Buffer, callback: (err?: Error & { code?: number | string }) => void): void;
    send(buf: Buffer, offset: number, length: number, path: string, callback: (err?: Error & { code?: number | string }) => void): void;
    close(): void;
  }
  export function createSocket(type: 'unix_dgram', listener?: (msg: Buffer) => void): UnixDgramSocket;
}
