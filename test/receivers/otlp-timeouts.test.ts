// Server-side timeouts of the otlp receiver over real sockets: slowloris and stalled clients, idle
// keep-alive connections, answers that take too long, and gRPC connection idle and age limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { connect as http2Connect, type ClientHttp2Session } from 'node:http2';
import { setTimeout as sleep } from 'node:timers/promises';
import { otlpCodecs } from '../../src/codec/otlp-proto.js';
import { exportMethodPath } from '../../src/codec/otlp-grpc.js';
import type { TracesData } from '../../src/pdata/types.js';
import { otlpReceiverSchema } from '../../src/receivers/otlp/config.js';
import { timeoutOptions } from '../../src/receivers/otlp/http-server.js';
import type { ConfigIssue } from '../../src/config/schema.js';
import type { Envelope } from '../../src/pipeline/envelope.js';
import { waitUntil } from '../helpers/wait.js';
import { startReceiver } from './harness.js';

/** Far beyond every timeout configured here, so only a server that never acts fails. */
const BOUND_MS = 10_000;
/** Under Node's own 5s keep-alive timeout, which would otherwise pass the idle test for us. */
const IDLE_BOUND_MS = 4_000;

const body = otlpCodecs.traces.encode({
  resourceSpans: [{ scopeSpans: [{ spans: [{ name: 't', traceId: new Uint8Array(16).fill(7), spanId: new Uint8Array(8).fill(1) }] }] }],
} as unknown as TracesData);

const postHead = (length: number) => `POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: ${length}\r\n\r\n`;

interface RawConnection {
  socket: Socket;
  received(): string;
  closed(): boolean;
}

/** A plain TCP connection that records what the server sends and whether the connection ended. */
function rawConnection(port: number): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    let received = '';
    let closed = false;
    const socket = connect(port, '127.0.0.1', () => resolve({ socket, received: () => received, closed: () => closed }));
    socket.on('data', (d: Buffer) => (received += d.toString()));
    socket.on('close', () => (closed = true));
    socket.once('error', reject);
  });
}

const http = (settings: Record<string, unknown>) => ({ http: { endpoint: '127.0.0.1:0', ...settings } });

test('HTTP timeouts: confighttp defaults, Go fallbacks to read_timeout, Node sweeps often enough to notice', () => {
  const options = (settings: Record<string, unknown>) => {
    const ctx = { issues: [] as ConfigIssue[] };
    const config = otlpReceiverSchema.parse({ protocols: { http: settings } }, ctx, ['receivers', 'otlp']);
    assert.deepEqual(ctx.issues, []);
    return timeoutOptions(config!.protocols.http!);
  };
  assert.deepEqual(options({}), { headersTimeout: 60_000, requestTimeout: 60_000, keepAliveTimeout: 60_000, connectionsCheckingInterval: 6_000 });
  assert.deepEqual(options({ read_timeout: '10s', read_header_timeout: 0, idle_timeout: 0 }), {
    headersTimeout: 10_000,
    requestTimeout: 10_000,
    keepAliveTimeout: 10_000,
    connectionsCheckingInterval: 1_000,
  });
  assert.deepEqual(options({ read_timeout: 0, read_header_timeout: '2m' }), { headersTimeout: 120_000, requestTimeout: 0, keepAliveTimeout: 60_000, connectionsCheckingInterval: 12_000 });
  assert.equal(options({ read_timeout: '1s', read_header_timeout: '5s' }).headersTimeout, 1_000, 'read_timeout bounds the headers too');
  assert.deepEqual(options({ read_timeout: 0, read_header_timeout: 0, idle_timeout: 0 }), { headersTimeout: 0, requestTimeout: 0, keepAliveTimeout: 0, connectionsCheckingInterval: 30_000 });

  const ctx = { issues: [] as ConfigIssue[] };
  otlpReceiverSchema.parse({ protocols: { http: { read_header_timout: '1s', idle_timeout: 'soon' } } }, ctx, ['receivers', 'otlp']);
  const text = ctx.issues.map((i) => `${i.path}: ${i.message}`).join('\n');
  assert.match(text, /protocols\.http\.read_header_timout: unknown key "read_header_timout"/);
  assert.match(text, /protocols\.http\.idle_timeout: expected a duration/);
});

test('a slowloris client, one header byte at a time, gets 408 and is cut after read_header_timeout', async () => {
  const h = await startReceiver(http({ read_header_timeout: '300ms' }));
  const conn = await rawConnection(h.httpPort);
  try {
    const head = Buffer.from(`POST /v1/traces HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(100)}`);
    let sent = 0;
    // At 100ms a byte the headers would take 15s; the server must hang up long before.
    while (sent < head.length && !conn.closed()) {
      conn.socket.write(head.subarray(sent, ++sent));
      await sleep(100);
    }
    assert.ok(conn.closed(), `the connection was still open after all ${sent} header bytes`);
    assert.ok(sent < head.length);
    assert.match(conn.received(), /^HTTP\/1\.1 408 Request Timeout\r\n/);
    assert.equal(h.envelopes.length, 0);
  } finally {
    conn.socket.destroy();
    await h.close();
  }
});

test('a client that stalls mid-body gets 408 and is cut after read_timeout', async () => {
  const h = await startReceiver(http({ read_timeout: '300ms' }));
  const conn = await rawConnection(h.httpPort);
  try {
    conn.socket.write(postHead(body.length));
    conn.socket.write(body.subarray(0, 5));
    await waitUntil(conn.closed, BOUND_MS, () => `the server to cut the stalled request; received ${JSON.stringify(conn.received())}`);
    assert.match(conn.received(), /^HTTP\/1\.1 408 Request Timeout\r\n/);
    assert.equal(h.envelopes.length, 0);
  } finally {
    conn.socket.destroy();
    await h.close();
  }
});

test('an idle keep-alive connection is closed after idle_timeout', async () => {
  const h = await startReceiver(http({ idle_timeout: '300ms' }));
  const conn = await rawConnection(h.httpPort);
  try {
    conn.socket.write(postHead(body.length));
    conn.socket.write(body);
    await waitUntil(() => /\r\n\r\n/.test(conn.received()), BOUND_MS, () => 'the answer');
    assert.match(conn.received(), /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(conn.received(), /\r\nConnection: keep-alive\r\n/i, 'the connection stays open for a next request');
    await waitUntil(conn.closed, IDLE_BOUND_MS, () => 'the server to close the idle connection');
    assert.equal(h.envelopes.length, 1);
  } finally {
    conn.socket.destroy();
    await h.close();
  }
});

test('an answer the pipeline holds past write_timeout fails with its connection; the receiver keeps serving', async () => {
  const held: Envelope[] = [];
  const h = await startReceiver(http({ write_timeout: '300ms' }));
  h.answer = (e) => held.push(e);
  const conn = await rawConnection(h.httpPort);
  try {
    conn.socket.write(postHead(body.length));
    conn.socket.write(body);
    await waitUntil(() => held.length === 1, BOUND_MS, () => 'the request to reach the pipeline');
    await waitUntil(conn.closed, BOUND_MS, () => 'the server to cut the unanswered request');
    assert.equal(conn.received(), '');
    held[0]!.ack();

    h.answer = (e) => e.ack();
    const next = await rawConnection(h.httpPort);
    next.socket.write(postHead(body.length));
    next.socket.write(body);
    await waitUntil(() => /\r\n\r\n/.test(next.received()), BOUND_MS, () => 'the answer to the next request');
    assert.match(next.received(), /^HTTP\/1\.1 200 OK\r\n/);
    next.socket.destroy();
  } finally {
    conn.socket.destroy();
    await h.close();
  }
});

interface H2Connection {
  session: ClientHttp2Session;
  goaway(): boolean;
  closed(): boolean;
}

/** A raw HTTP/2 connection to the gRPC port, recording how the server ends it. */
function h2Connection(port: number): H2Connection {
  let goaway = false;
  let closed = false;
  const session = http2Connect(`http://127.0.0.1:${port}`);
  session.on('goaway', () => (goaway = true));
  session.on('close', () => (closed = true));
  session.on('error', () => {});
  return { session, goaway: () => goaway, closed: () => closed };
}

/** One traces Export call on the connection; `status()` is its grpc-status once answered. */
function exportCall(session: ClientHttp2Session): { status(): string | undefined } {
  let status: string | undefined;
  const stream = session.request({ ':method': 'POST', ':path': exportMethodPath('traces'), 'content-type': 'application/grpc', te: 'trailers' });
  stream.on('trailers', (trailers) => (status = String(trailers['grpc-status'])));
  stream.on('error', () => {});
  stream.resume();
  const frame = Buffer.alloc(5 + body.length);
  frame.writeUInt32BE(body.length, 1);
  frame.set(body, 5);
  stream.end(frame);
  return { status: () => status };
}

const grpc = (serverParameters: Record<string, unknown>) => ({ grpc: { endpoint: '127.0.0.1:0', keepalive: { server_parameters: serverParameters } } });

test('a gRPC connection left idle after its call is sent GOAWAY and closed after max_connection_idle', async () => {
  const h = await startReceiver(grpc({ max_connection_idle: '300ms' }));
  const conn = h2Connection(h.grpcPort);
  try {
    const call = exportCall(conn.session);
    await waitUntil(() => call.status() !== undefined, BOUND_MS, () => 'the Export answer');
    assert.equal(call.status(), '0');
    await waitUntil(conn.closed, BOUND_MS, () => 'the server to close the idle connection');
    assert.ok(conn.goaway(), 'the server said GOAWAY first');
    assert.equal(h.envelopes.length, 1);
  } finally {
    conn.session.destroy();
    await h.close();
  }
});

test('a gRPC connection is sent GOAWAY after max_connection_age and cut after max_connection_age_grace, call in flight or not', async () => {
  const held: Envelope[] = [];
  const h = await startReceiver(grpc({ max_connection_age: '300ms', max_connection_age_grace: '300ms' }));
  h.answer = (e) => held.push(e);
  const conn = h2Connection(h.grpcPort);
  try {
    const call = exportCall(conn.session);
    await waitUntil(() => held.length === 1, BOUND_MS, () => 'the call to reach the pipeline');
    await waitUntil(conn.closed, BOUND_MS, () => 'the server to close the aged connection');
    assert.ok(conn.goaway(), 'the server said GOAWAY first');
    assert.equal(call.status(), undefined, 'the call still held by the pipeline was cut with its connection');
    held[0]!.ack();
  } finally {
    conn.session.destroy();
    await h.close();
  }
});
