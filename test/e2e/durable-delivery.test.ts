// Durable delivery in real child processes: with `sending_queue.storage: file_storage`, data a
// client was answered 200 for survives SIGKILL while the backend is down and is delivered after a
// restart, also when the crash left a torn record at the end of the log; a memory queue, for
// contrast, loses it. Every span has its own id, so delivery is counted exactly, duplicates too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { otlpCodecs } from '../../src/codec/otlp-proto.js';
import { idToHex } from '../../src/pdata/ids.js';
import type { TracesData } from '../../src/pdata/types.js';
import { startRecordingServer, type RecordingServer } from '../helpers/recording-server.js';
import { post, startGateway } from '../helpers/gateway.js';
import { freePort } from '../helpers/ports.js';
import { waitUntil } from '../helpers/wait.js';

let seq = 0;
function spans(n: number): { data: TracesData; ids: string[] } {
  const list = Array.from({ length: n }, () => {
    const spanId = new Uint8Array(8);
    new DataView(spanId.buffer).setUint32(4, ++seq);
    return { traceId: new Uint8Array(16).fill(3), spanId, name: 'checkout', kind: 2, startTimeUnixNano: 1_000_000_000, endTimeUnixNano: 2_000_000_000, attributes: [] };
  });
  const data = { resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans: list }] }] } as unknown as TracesData;
  return { data, ids: list.map((s) => idToHex(s.spanId)) };
}

/** A backend that answers 503 while `down`, and counts every span id it accepted. */
async function backend(): Promise<{ server: RecordingServer<string[]>; delivered: Map<string, number>; setDown(down: boolean): void }> {
  let down = true;
  const delivered = new Map<string, number>();
  const server = await startRecordingServer<string[]>(
    (req, body) => {
      const raw = req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
      return otlpCodecs.traces.decode(raw).resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => idToHex(s.spanId))));
    },
    (ids) => {
      if (down) return { status: 503, headers: { 'retry-after': '0' } };
      for (const id of ids) delivered.set(id, (delivered.get(id) ?? 0) + 1);
      return { status: 200 };
    },
  );
  return { server, delivered, setDown: (d) => (down = d) };
}

const config = (backendUrl: string, directory: string | undefined) => (port: number) => `
receivers:
  otlp:
    protocols:
      http: { endpoint: "127.0.0.1:${port}" }
processors:
  batch: { timeout: 50ms, send_batch_size: 200 }
exporters:
  otlphttp:
    endpoint: ${backendUrl}
    sending_queue: { queue_size: 10000${directory ? ', storage: file_storage' : ''} }
    retry_on_failure: { initial_interval: 20ms, max_interval: 100ms, max_elapsed_time: 0 }
${directory ? `extensions:\n  file_storage:\n    directory: ${directory}\n    create_directory: true\n` : ''}
service:
  ${directory ? 'extensions: [file_storage]' : ''}
  telemetry: { metrics: { level: none } }
  pipelines:
    traces: { receivers: [otlp], processors: [batch], exporters: [otlphttp] }
`;

/** Sends `requests` requests of `size` spans one after another; returns the ids of those answered 200. */
async function load(port: number, requests: number, size: number): Promise<string[]> {
  const acked: string[] = [];
  for (let i = 0; i < requests; i++) {
    const { data, ids } = spans(size);
    const res = await post(port, '/v1/traces', otlpCodecs.traces.encode(data));
    if (res.status === 200) acked.push(...ids);
  }
  return acked;
}

/** The newest segment file of the (only) queue under `directory`. */
function newestSegment(directory: string): string {
  const [queue] = readdirSync(directory).filter((d) => statSync(join(directory, d)).isDirectory());
  const dir = join(directory, queue!);
  const segments = readdirSync(dir).filter((f) => f.endsWith('.seg')).sort();
  return join(dir, segments[segments.length - 1]!);
}

for (const torn of [false, true]) {
  test(`file_storage: every span acknowledged before SIGKILL (backend down) is delivered after restart${torn ? ', past a torn record the crash left at the end of the log' : ''}`, async (t) => {
    const directory = mkdtempSync(join(tmpdir(), 'sluice-durable-'));
    const be = await backend();
    t.after(async () => {
      await be.server.close();
      rmSync(directory, { recursive: true, force: true });
    });
    const port = await freePort();
    const first = await startGateway(config(be.server.url, directory), port);
    let acked: string[];
    try {
      acked = await load(port, 40, 25);
      assert.equal(acked.length, 1000, 'the queue has room: every request is answered 200');
      // The exporter is retrying against the down backend: nothing was delivered.
      await waitUntil(() => be.server.requests.length > 0, 10_000, () => 'the exporter tries the backend');
      assert.equal(be.delivered.size, 0);
    } finally {
      first.cli.child.kill('SIGKILL');
      await first.cli.exited;
    }
    // A write cut short by the crash: the frame magic and a length promising more bytes than follow.
    if (torn) appendFileSync(newestSegment(directory), Buffer.from([0x31, 0x53, 0x4c, 0x51, 0xff, 0xff, 0x00, 0x00, 0x01, 0x02]));

    be.setDown(false);
    const second = await startGateway(config(be.server.url, directory), port);
    try {
      await waitUntil(() => acked.every((id) => be.delivered.has(id)), 30_000, () => `delivered ${acked.filter((id) => be.delivered.has(id)).length} of ${acked.length}\n${second.cli.output()}`);
      const duplicates = [...be.delivered.values()].reduce((n, c) => n + c - 1, 0);
      t.diagnostic(`acknowledged ${acked.length}, delivered ${be.delivered.size} unique, ${duplicates} duplicates`);
      assert.equal(be.delivered.size, acked.length, 'nothing delivered that was not sent');
      if (torn) assert.match(second.cli.output(), /corrupt|torn/i, 'the skipped tail is logged');
    } finally {
      second.cli.child.kill('SIGTERM');
      await second.cli.exited;
    }
  });
}

test('memory queue, for contrast: what was acknowledged and not yet exported is lost at SIGKILL', async (t) => {
  const be = await backend();
  t.after(() => be.server.close());
  const port = await freePort();
  const first = await startGateway(config(be.server.url, undefined), port);
  let acked: string[];
  try {
    acked = await load(port, 10, 25);
    assert.equal(acked.length, 250);
  } finally {
    first.cli.child.kill('SIGKILL');
    await first.cli.exited;
  }
  be.setDown(false);
  const second = await startGateway(config(be.server.url, undefined), port);
  try {
    // The restarted gateway answers and exports new data, so the old data had its chance to arrive.
    const fresh = await load(port, 1, 5);
    await waitUntil(() => fresh.every((id) => be.delivered.has(id)), 10_000, () => 'new data delivered');
    assert.equal(acked.filter((id) => be.delivered.has(id)).length, 0);
  } finally {
    second.cli.child.kill('SIGTERM');
    await second.cli.exited;
  }
});

test('file_storage on a full disk: clients get 503 with the reason, the gateway stays up, and what it acknowledged is delivered', async (t) => {
  const mountPoint = mkdtempSync(join(tmpdir(), 'sluice-full-'));
  const mounted = process.getuid?.() === 0 && spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', mountPoint]).status === 0;
  if (!mounted) {
    rmSync(mountPoint, { recursive: true, force: true });
    // The store's own test injects ENOSPC where no tmpfs can be mounted (test/pipeline/persistent-queue.test.ts).
    t.skip('cannot mount a small tmpfs here (needs root and mount rights)');
    return;
  }
  const be = await backend();
  t.after(async () => {
    await be.server.close();
    spawnSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });
  const filler = join(mountPoint, 'filler');
  writeFileSync(filler, Buffer.alloc(300 * 1024));
  const port = await freePort();
  const gw = await startGateway(config(be.server.url, join(mountPoint, 'queues')), port);
  try {
    const acked: string[] = [];
    let refusal: { status: number; body: string } | undefined;
    for (let i = 0; i < 400 && !refusal; i++) {
      const { data, ids } = spans(50);
      const res = await post(port, '/v1/traces', otlpCodecs.traces.encode(data));
      if (res.status === 200) acked.push(...ids);
      else refusal = res;
    }
    assert.ok(refusal, 'the disk filled up');
    assert.equal(refusal.status, 503);
    assert.match(refusal.body, /disk is full|ENOSPC/);
    // Space comes back and the backend too: the gateway never went down, and loses nothing it acknowledged.
    rmSync(filler);
    be.setDown(false);
    await waitUntil(() => acked.every((id) => be.delivered.has(id)), 30_000, () => `delivered ${acked.filter((id) => be.delivered.has(id)).length} of ${acked.length}`);
    const after = await post(port, '/v1/traces', otlpCodecs.traces.encode(spans(5).data));
    assert.equal(after.status, 200, 'appends work again once space is freed');
  } finally {
    gw.cli.child.kill('SIGTERM');
    await gw.cli.exited;
  }
});
