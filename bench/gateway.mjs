// The gateway through a real sluice process: OTLP/gRPC in → batch → OTLP/gRPC out to a sink.
// The driver holds the load generator and the sink (so send and receive times share a clock);
// sluice runs as a child, one per scenario, with the exporter's queue set up as the scenario says.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';

export const SPANS_PER_REQUEST = 100;
const WARMUP_SECONDS = 2;
// The first span of every request has an id starting with these bytes and ending in the request's
// number, so the sink can pair each request's receipt with its own send time.
const TRACKED = Buffer.from([0xb3, 0x4c, 0x5e, 0x1c]);

/** How the exporter's queue answers clients, as a user would configure it. */
export const QUEUES = {
  wait_for_result: { title: 'wait_for_result: true (answered after export)', sendingQueue: 'wait_for_result: true' },
  memory: { title: 'memory queue (answered at enqueue)', sendingQueue: '' },
  file_storage: { title: 'file_storage queue (answered when written)', sendingQueue: 'storage: file_storage', storage: 'fsync: false' },
  file_storage_fsync: { title: 'file_storage queue, fsync: true (answered when synced)', sendingQueue: 'storage: file_storage', storage: 'fsync: true' },
};

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** A realistic request: 100 server spans with ten attributes each under one resource of ten. */
function buildRequest() {
  const attr = (key, value) => ({ key, value: typeof value === 'number' ? { intValue: value } : { stringValue: value } });
  const resource = {
    attributes: [
      attr('service.name', 'checkout'),
      attr('service.namespace', 'shop'),
      attr('service.version', '1.42.0'),
      attr('service.instance.id', 'checkout-7d9f8-abcde'),
      attr('host.name', 'node-17.eu-west-1'),
      attr('cloud.provider', 'aws'),
      attr('cloud.region', 'eu-west-1'),
      attr('k8s.namespace.name', 'prod'),
      attr('k8s.pod.name', 'checkout-7d9f8-abcde'),
      attr('telemetry.sdk.language', 'nodejs'),
    ],
  };
  const spans = [];
  const now = BigInt(Date.now()) * 1_000_000n;
  for (let i = 0; i < SPANS_PER_REQUEST; i++) {
    const traceId = Buffer.alloc(16, 0x11);
    traceId.writeUInt32BE(Math.floor(i / 10), 12);
    const spanId = Buffer.alloc(8);
    if (i === 0) TRACKED.copy(spanId);
    else spanId.writeUInt32BE(i, 4);
    spans.push({
      traceId,
      spanId,
      name: 'GET /api/cart/{id}',
      kind: 2,
      startTimeUnixNano: (now + BigInt(i)).toString(),
      endTimeUnixNano: (now + BigInt(i) + 1_500_000n).toString(),
      attributes: [
        attr('http.request.method', 'GET'),
        attr('http.route', '/api/cart/{id}'),
        attr('http.response.status_code', 200),
        attr('url.scheme', 'https'),
        attr('server.address', 'shop.example.com'),
        attr('server.port', 443),
        attr('user_agent.original', 'Mozilla/5.0 (X11; Linux x86_64)'),
        attr('client.address', '10.1.2.3'),
        attr('network.protocol.version', '1.1'),
        attr('app.cart.items', i % 7),
      ],
      events: [],
      links: [],
      status: { code: 1 },
    });
  }
  return { resourceSpans: [{ resource, scopeSpans: [{ scope: { name: 'bench', version: '1.0.0' }, spans }] }] };
}

function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function peakRssMiB(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : NaN;
}

/**
 * Counts the spans of an encoded TracesData and hands each span id to `onSpanId`, skipping all
 * else: the sink shares the driver's event loop with the client, so it must not stall it decoding
 * whole batches, or the client's acks would be measured late.
 */
function scanSpans(bytes, onSpanId) {
  const r = protobuf.Reader.create(bytes);
  let spans = 0;
  // Walks into field `field` (length-delimited) of each message level: TracesData.resource_spans (1),
  // ResourceSpans.scope_spans (2), ScopeSpans.spans (2); in a Span, span_id is field 2.
  const within = (end, field, inner) => {
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag >>> 3 === field && (tag & 7) === 2) {
        const len = r.uint32();
        inner(r.pos + len);
      } else r.skipType(tag & 7);
    }
  };
  within(r.len, 1, (rsEnd) =>
    within(rsEnd, 2, (ssEnd) =>
      within(ssEnd, 2, (spanEnd) => {
        spans++;
        while (r.pos < spanEnd) {
          const tag = r.uint32();
          if (tag >>> 3 === 2 && (tag & 7) === 2) {
            onSpanId(r.bytes());
            break;
          }
          r.skipType(tag & 7);
        }
        r.pos = spanEnd;
      }),
    ),
  );
  return spans;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * The bench's fixed parts: the encoded request, the sink (started once, counters reset per run)
 * and a client for any gRPC endpoint. `close()` stops the sink.
 */
export async function gatewayBench(root) {
  const { otlpCodecs } = await import(join(root, 'dist/src/codec/otlp-proto.js'));
  const { exportServiceDefinition, exportMethodPath, rawBytes } = await import(join(root, 'dist/src/codec/otlp-grpc.js'));

  // Encoded once; each request is a copy with its number patched into the tracked span id, which
  // costs a memcpy instead of an encode in the driver.
  const template = Buffer.from(otlpCodecs.traces.encode(buildRequest()));
  const idOffset = template.indexOf(TRACKED) + TRACKED.length;
  if (idOffset < TRACKED.length || template.indexOf(TRACKED, idOffset) !== -1) throw new Error('tracked span id not unique in the encoded request');
  const requestBody = (id) => {
    const body = Buffer.allocUnsafe(template.length);
    template.copy(body);
    body.writeUInt32BE(id, idOffset);
    return body;
  };

  // Sink: counts spans and records when each request id arrives.
  const run = { sent: new Map(), latencies: [], received: 0 };
  const sinkPort = await freePort();
  const sink = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
  sink.addService(exportServiceDefinition('traces'), {
    Export: (call, callback) => {
      const at = process.hrtime.bigint();
      run.received += scanSpans(call.request, (s) => {
        if (s[0] !== TRACKED[0] || s[1] !== TRACKED[1] || s[2] !== TRACKED[2] || s[3] !== TRACKED[3]) return;
        const id = s[4] * 0x1000000 + (s[5] << 16) + (s[6] << 8) + s[7];
        const t = run.sent.get(id);
        if (t !== undefined) {
          run.latencies.push(Number(at - t) / 1e6);
          run.sent.delete(id);
        }
      });
      callback(null, Buffer.alloc(0));
    },
  });
  await new Promise((resolve, reject) => sink.bindAsync(`127.0.0.1:${sinkPort}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())));

  const connect = (port) => {
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': 64 * 1024 * 1024 });
    const exportOnce = (body) =>
      new Promise((resolve) => client.makeUnaryRequest(exportMethodPath('traces'), rawBytes, rawBytes, body, (err) => resolve(err)));
    return { client, exportOnce };
  };

  let nextId = 0;
  /**
   * Sends for `seconds`, either closed-loop with `inFlight` requests outstanding, or open-loop at
   * `spansPerSecond` (a request every 1000/rate·100 ms whatever the answers take, so a slow answer
   * cannot hide behind a late send). Then waits (bounded) for the sink to have everything.
   */
  async function load(exportOnce, { seconds, inFlight, spansPerSecond, alive = () => true }) {
    run.sent.clear();
    run.latencies = [];
    run.received = 0;
    const roundTrips = [];
    let accepted = 0;
    let refused = 0;
    const sendOne = async () => {
      const id = nextId++;
      const t = process.hrtime.bigint();
      run.sent.set(id, t);
      if (await exportOnce(requestBody(id))) {
        refused++;
        run.sent.delete(id);
      } else {
        accepted++;
        roundTrips.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
    };
    const started = process.hrtime.bigint();
    const stopAt = Date.now() + seconds * 1000;
    if (inFlight) {
      const worker = async () => {
        while (Date.now() < stopAt && alive()) await sendOne();
      };
      await Promise.all(Array.from({ length: inFlight }, worker));
    } else {
      const intervalNs = BigInt(Math.round((1e9 * SPANS_PER_REQUEST) / spansPerSecond));
      const pending = new Set();
      let due = started;
      while (Date.now() < stopAt && alive()) {
        const now = process.hrtime.bigint();
        while (due <= now) {
          const p = sendOne().finally(() => pending.delete(p));
          pending.add(p);
          due += intervalNs;
        }
        await sleep(Math.max(0, Number(due - process.hrtime.bigint()) / 1e6));
      }
      await Promise.all(pending);
    }
    const sendWall = Number(process.hrtime.bigint() - started) / 1e9;
    const expected = accepted * SPANS_PER_REQUEST;
    const drainBy = Date.now() + 10_000;
    while (run.received < expected && Date.now() < drainBy && alive()) await sleep(20);
    const wall = Number(process.hrtime.bigint() - started) / 1e9;
    roundTrips.sort((a, b) => a - b);
    const latencies = [...run.latencies].sort((a, b) => a - b);
    return { sent: expected, received: run.received, refused, wall, sendWall, roundTrips, latencies };
  }

  /** Starts sluice with the queue `mode`, runs the load, stops sluice; figures of the run. */
  async function throughSluice(mode, loadSpec, { batchTimeout = '200ms', profile = false } = {}) {
    const queue = QUEUES[mode];
    const sluicePort = await freePort();
    const metricsPort = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
    const config = join(dir, 'bench.yaml');
    const extension = queue.storage ? `extensions:\n  file_storage: { directory: "${join(dir, 'queue')}", create_directory: true, ${queue.storage} }\n` : '';
    writeFileSync(
      config,
      `${extension}receivers:
  otlp:
    protocols:
      grpc: { endpoint: "127.0.0.1:${sluicePort}", max_recv_msg_size_mib: 16 }
processors:
  batch: { send_batch_size: 8192, timeout: ${batchTimeout} }
exporters:
  otlp:
    endpoint: "127.0.0.1:${sinkPort}"
    tls: { insecure: true }
    compression: none
    sending_queue: { queue_size: 1000, num_consumers: 4${queue.sendingQueue ? `, ${queue.sendingQueue}` : ''} }
service:
${queue.storage ? '  extensions: [file_storage]\n' : ''}  telemetry:
    logs: { level: warn }
    metrics: { address: "127.0.0.1:${metricsPort}" }
  pipelines:
    traces: { receivers: [otlp], processors: [batch], exporters: [otlp] }
`,
    );
    const profileArgs = [...(profile ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []), ...(process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? [])];
    const child = spawn(process.execPath, [...profileArgs, join(root, 'dist/src/cli.js'), 'run', '--config', config], { stdio: ['ignore', 'inherit', 'inherit'] });
    const kill = () => child.exitCode === null && child.kill('SIGKILL');
    process.on('exit', kill);
    let died = null;
    const childExited = new Promise((resolve) => child.once('exit', (code, signal) => resolve((died = signal ?? `code ${code}`))));
    const { client, exportOnce } = connect(sluicePort);
    try {
      const readyBy = Date.now() + 20_000;
      for (;;) {
        const err = await exportOnce(Buffer.alloc(0));
        if (!err) break;
        if (Date.now() > readyBy || died !== null) throw new Error(`sluice did not start: ${err.message}`);
        await sleep(100);
      }
      // Connections, JIT and the heap settle first: the figures are of the steady state.
      await load(exportOnce, { ...loadSpec, seconds: WARMUP_SECONDS, alive: () => died === null });
      const cpu0 = cpuSeconds(child.pid);
      const r = await load(exportOnce, { ...loadSpec, alive: () => died === null });
      if (died !== null) throw new Error(`sluice exited during the run (${died})`);
      if (r.received === 0) throw new Error('the sink received nothing');
      const cpu = cpuSeconds(child.pid) - cpu0;
      return { ...r, cpu, rss: peakRssMiB(child.pid), profileDir: profile ? dir : undefined };
    } finally {
      client.close();
      process.off('exit', kill);
      if (died === null) {
        child.kill('SIGTERM');
        await childExited;
      }
      if (!profile) rmSync(dir, { recursive: true, force: true });
    }
  }

  /** The same load sent straight to the sink: the floor of a client's round trip on this machine. */
  async function direct(loadSpec) {
    const { client, exportOnce } = connect(sinkPort);
    try {
      await load(exportOnce, { ...loadSpec, seconds: WARMUP_SECONDS });
      return await load(exportOnce, loadSpec);
    } finally {
      client.close();
    }
  }

  /** What protobufjs alone does with the same payload, on this machine, now. */
  function codecBaseline(seconds) {
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    let spans = 0;
    while (Number(process.hrtime.bigint() - t0) / 1e9 < seconds) {
      otlpCodecs.traces.encode(otlpCodecs.traces.decode(template));
      spans += SPANS_PER_REQUEST;
    }
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    return { spansPerSecond: spans / wall, cpuMicrosPerSpan: (cpu.user + cpu.system) / spans };
  }

  return { throughSluice, direct, codecBaseline, close: () => sink.forceShutdown() };
}
