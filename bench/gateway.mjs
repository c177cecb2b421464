// The gateway through a real sluice process: OTLP (gRPC or HTTP/protobuf) in → pipeline → OTLP/gRPC
// out to a sink. The driver holds the load generator and the sink (so send and receive times share
// a clock); sluice runs as a child, one per scenario, configured as the scenario says.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { ITEMS_PER_REQUEST, sdkRequests } from './sdk-requests.mjs';

export { ITEMS_PER_REQUEST };
const WARMUP_SECONDS = 2;
// The first span of every traces request gets an id starting with these bytes and ending in the
// request's number, so the sink can pair each request's receipt with its own send time.
const TRACKED = Buffer.from([0xb3, 0x4c, 0x5e, 0x1c]);
const SIGNALS = ['traces', 'metrics', 'logs'];

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

function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const statusMiB = (pid, field) => {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
};
/** High-water resident memory. */
const peakRssMiB = (pid) => statusMiB(pid, 'VmHWM');
const rssMiB = (pid) => statusMiB(pid, 'VmRSS');

export function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : NaN;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Counts the items of an encoded Export request, skipping all else (the sink shares the driver's
 * event loop with the client, so it must not stall it decoding whole batches, or the client's acks
 * would be measured late). `path` is the length-delimited fields down to an item, a set of field
 * numbers per level; `onItem` may read inside each item (it gets the reader and the item's end).
 */
function countItems(bytes, path, onItem) {
  const r = protobuf.Reader.create(bytes);
  let items = 0;
  const walk = (end, depth) => {
    while (r.pos < end) {
      const tag = r.uint32();
      if (path[depth].includes(tag >>> 3) && (tag & 7) === 2) {
        const inner = r.uint32() + r.pos;
        if (depth === path.length - 1) {
          items++;
          onItem?.(r, inner);
          r.pos = inner;
        } else walk(inner, depth + 1);
      } else r.skipType(tag & 7);
    }
  };
  walk(r.len, 0);
  return items;
}

// resource_spans / scope_spans / spans; resource_logs / scope_logs / log_records; resource_metrics /
// scope_metrics / metrics / (gauge | sum | histogram | exponential_histogram | summary) / data_points.
const ITEM_PATHS = { traces: [[1], [2], [2]], logs: [[1], [2], [2]], metrics: [[1], [2], [2], [5, 7, 9, 10, 11], [1]] };

function spawnChild(args, dir) {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'], cwd: dir });
  const kill = () => child.exitCode === null && child.kill('SIGKILL');
  process.on('exit', kill);
  const state = { died: null };
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve((state.died = signal ?? `code ${code}`))));
  return {
    child,
    state,
    async stop() {
      process.off('exit', kill);
      if (state.died === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

/**
 * The bench's fixed parts: SDK-serialized requests, the sink (started once, counters reset per
 * run), clients for gRPC and HTTP, and the floors measured on this machine in the same run.
 */
export async function gatewayBench(root) {
  const { otlpCodecs } = await import(join(root, 'dist/src/codec/otlp-proto.js'));
  const { exportServiceDefinition, exportMethodPath, rawBytes } = await import(join(root, 'dist/src/codec/otlp-grpc.js'));
  const requests = await sdkRequests();

  // Each traces request is a copy of the SDK's encoding with its number patched into the first
  // span's id, which costs a memcpy instead of an encode in the driver.
  const template = requests.traces.bytes;
  const idAt = template.indexOf(requests.traces.firstSpanId);
  if (idAt < 0 || template.indexOf(requests.traces.firstSpanId, idAt + 1) !== -1) throw new Error('first span id not unique in the encoded request');
  TRACKED.copy(template, idAt);
  const bodyOf = (signal, id) => {
    if (signal !== 'traces') return requests[signal].bytes;
    const body = Buffer.allocUnsafe(template.length);
    template.copy(body);
    body.writeUInt32BE(id, idAt + TRACKED.length);
    return body;
  };

  // Sink: counts items and records when each tracked request arrives.
  const run = { signal: 'traces', sent: new Map(), latencies: [], received: 0 };
  const sinkPort = await freePort();
  const sink = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
  for (const signal of SIGNALS) {
    sink.addService(exportServiceDefinition(signal), {
      Export: (call, callback) => {
        const at = process.hrtime.bigint();
        // Only the signal under test counts (spanmetrics sends metrics alongside traces).
        if (signal === run.signal) run.received += countItems(call.request, ITEM_PATHS[signal], signal === 'traces' ? (r, end) => trackSpan(r, end, at) : undefined);
        callback(null, Buffer.alloc(0));
      },
    });
  }
  const trackSpan = (r, end, at) => {
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag >>> 3 === 2 && (tag & 7) === 2) {
        const s = r.bytes();
        if (s[0] !== TRACKED[0] || s[1] !== TRACKED[1] || s[2] !== TRACKED[2] || s[3] !== TRACKED[3]) return;
        const t = run.sent.get(s.readUInt32BE(4));
        if (t !== undefined) {
          run.latencies.push(Number(at - t) / 1e6);
          run.sent.delete(s.readUInt32BE(4));
        }
        return;
      }
      r.skipType(tag & 7);
    }
  };
  await new Promise((resolve, reject) => sink.bindAsync(`127.0.0.1:${sinkPort}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())));

  /** A client of one endpoint; `send(body)` resolves with an error or undefined once answered. */
  const connect = (transport, port, signal) => {
    if (transport === 'grpc') {
      const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': 64 * 1024 * 1024 });
      const method = exportMethodPath(signal);
      return { send: (body) => new Promise((resolve) => client.makeUnaryRequest(method, rawBytes, rawBytes, body, (err) => resolve(err))), close: () => client.close() };
    }
    const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
    const send = (body) =>
      new Promise((resolve) => {
        const req = http.request({ host: '127.0.0.1', port, path: `/v1/${signal}`, method: 'POST', agent, headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length } }, (res) => {
          res.resume();
          res.once('end', () => resolve(res.statusCode === 200 ? undefined : new Error(`HTTP ${res.statusCode}`)));
        });
        req.once('error', resolve);
        req.end(body);
      });
    return { send, close: () => agent.destroy() };
  };

  let nextId = 0;
  /**
   * Sends for `seconds`, either closed-loop with `inFlight` requests outstanding, or open-loop at
   * `itemsPerSecond` (a request every 1000/rate·100 ms whatever the answers take, so a slow answer
   * cannot hide behind a late send). Then waits (bounded) for the sink to have everything.
   */
  async function load(send, signal, { seconds, inFlight, itemsPerSecond, alive = () => true }) {
    run.signal = signal;
    run.sent.clear();
    run.latencies = [];
    run.received = 0;
    const roundTrips = [];
    let accepted = 0;
    let refused = 0;
    const sendOne = async () => {
      const id = nextId++;
      const t = process.hrtime.bigint();
      if (signal === 'traces') run.sent.set(id, t);
      if (await send(bodyOf(signal, id))) {
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
      const intervalNs = BigInt(Math.round((1e9 * ITEMS_PER_REQUEST) / itemsPerSecond));
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
    const expected = accepted * ITEMS_PER_REQUEST;
    const drainBy = Date.now() + 10_000;
    while (run.received < expected && Date.now() < drainBy && alive()) await sleep(20);
    const wall = Number(process.hrtime.bigint() - started) / 1e9;
    roundTrips.sort((a, b) => a - b);
    const latencies = [...run.latencies].sort((a, b) => a - b);
    return { sent: expected, received: run.received, refused, wall, roundTrips, latencies };
  }

  /** Runs the load through a child process listening on `port` (warm-up first); figures of the run with its CPU and RSS. */
  async function throughChild(proc, transport, port, signal, loadSpec) {
    const { send, close } = connect(transport, port, signal);
    const alive = () => proc.state.died === null;
    try {
      const readyBy = Date.now() + 20_000;
      for (;;) {
        const err = await send(Buffer.alloc(0));
        if (!err) break;
        if (Date.now() > readyBy || !alive()) throw new Error(`the process under test did not start: ${err.message}`);
        await sleep(100);
      }
      const idleRss = rssMiB(proc.child.pid);
      // Connections, JIT and the heap settle first: the figures are of the steady state.
      await load(send, signal, { ...loadSpec, seconds: WARMUP_SECONDS, alive });
      const cpu0 = cpuSeconds(proc.child.pid);
      const r = await load(send, signal, { ...loadSpec, alive });
      if (!alive()) throw new Error(`the process under test exited during the run (${proc.state.died})`);
      if (r.received === 0) throw new Error('the sink received nothing');
      return { ...r, cpu: cpuSeconds(proc.child.pid) - cpu0, rss: peakRssMiB(proc.child.pid), idleRss };
    } finally {
      close();
      await proc.stop();
    }
  }

  /**
   * Starts sluice, runs the load, stops sluice. `queue` is a QUEUES key; `pipeline` is `batch`
   * (batch → otlp) or `stateful` (tail_sampling → batch → otlp, and spanmetrics into a metrics
   * pipeline to the same sink) for traces.
   */
  async function throughSluice(loadSpec, { queue = 'memory', signal = 'traces', transport = 'grpc', pipeline = 'batch', batchTimeout = '200ms', profile = false } = {}) {
    const q = QUEUES[queue];
    const port = await freePort();
    const metricsPort = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
    const config = join(dir, 'bench.yaml');
    const extension = q.storage ? `extensions:\n  file_storage: { directory: "${join(dir, 'queue')}", create_directory: true, ${q.storage} }\n` : '';
    const stateful = pipeline === 'stateful';
    writeFileSync(
      config,
      `${extension}receivers:
  otlp:
    protocols:
      ${transport === 'grpc' ? `grpc: { endpoint: "127.0.0.1:${port}", max_recv_msg_size_mib: 16 }` : `http: { endpoint: "127.0.0.1:${port}" }`}
processors:
  batch: { send_batch_size: 8192, timeout: ${batchTimeout} }
${stateful ? '  tail_sampling: { decision_wait: 1s, num_traces: 50000, policies: [{ name: all, type: always_sample }] }\n' : ''}exporters:
  otlp:
    endpoint: "127.0.0.1:${sinkPort}"
    tls: { insecure: true }
    compression: none
    sending_queue: { queue_size: 1000, num_consumers: 4${q.sendingQueue ? `, ${q.sendingQueue}` : ''} }
${stateful ? 'connectors:\n  spanmetrics: {}\n' : ''}service:
${q.storage ? '  extensions: [file_storage]\n' : ''}  telemetry:
    logs: { level: warn }
    metrics: { address: "127.0.0.1:${metricsPort}" }
  pipelines:
    ${signal}: { receivers: [otlp], processors: [${stateful ? 'tail_sampling, batch' : 'batch'}], exporters: [otlp${stateful ? ', spanmetrics' : ''}] }
${stateful ? '    metrics/spanmetrics: { receivers: [spanmetrics], processors: [batch], exporters: [otlp] }\n' : ''}`,
    );
    const flags = [...(profile ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []), ...(process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? [])];
    const proc = spawnChild([...flags, join(root, 'dist/src/cli.js'), 'run', '--config', config], dir);
    try {
      return { ...(await throughChild(proc, transport, port, signal, loadSpec)), profileDir: profile ? dir : undefined };
    } finally {
      if (!profile) rmSync(dir, { recursive: true, force: true });
    }
  }

  /** The floor of any gateway on grpc-js: a grpc-js server handing each request's bytes to a grpc-js client, nothing decoded. */
  async function throughForwarder(loadSpec) {
    const port = await freePort();
    const proc = spawnChild([fileURLToPath(new URL('grpc-forwarder.mjs', import.meta.url)), String(port), String(sinkPort)], tmpdir());
    return throughChild(proc, 'grpc', port, 'traces', loadSpec);
  }

  /** The same load sent straight to the sink: the floor of a client's round trip on this machine. */
  async function direct(loadSpec) {
    const { send, close } = connect('grpc', sinkPort, 'traces');
    try {
      await load(send, 'traces', { ...loadSpec, seconds: WARMUP_SECONDS });
      return await load(send, 'traces', loadSpec);
    } finally {
      close();
    }
  }

  /** What protobufjs alone does with the same traces request, on this machine, now. */
  function codecBaseline(seconds) {
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    let items = 0;
    while (Number(process.hrtime.bigint() - t0) / 1e9 < seconds) {
      otlpCodecs.traces.encode(otlpCodecs.traces.decode(template));
      items += ITEMS_PER_REQUEST;
    }
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    return { itemsPerSecond: items / wall, cpuMicrosPerItem: (cpu.user + cpu.system) / items };
  }

  return { throughSluice, throughForwarder, direct, codecBaseline, close: () => sink.forceShutdown() };
}
