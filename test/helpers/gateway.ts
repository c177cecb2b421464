// A sluice child process on a free loopback port, for end-to-end tests that need a real process
// (signals, SIGKILL, restarts), and the OTLP/HTTP post they talk to it with.
import { request } from 'node:http';
import { otlpCodecs } from '../../src/codec/otlp-proto.js';
import { writeTempConfig } from './service.js';
import { freePort } from './ports.js';
import { startCli, type RunningCli } from './cli.js';

export function post(port: number, path: string, body: Uint8Array | string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const contentType = typeof body === 'string' ? 'application/json' : 'application/x-protobuf';
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': contentType, ...headers } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Waits (bounded) until a gateway answers OTLP/HTTP on `port`. */
export async function waitForGateway(cli: RunningCli, port: number): Promise<void> {
  const limit = Date.now() + 30_000;
  for (;;) {
    try {
      await post(port, '/v1/logs', otlpCodecs.logs.encode({ resourceLogs: [] }));
      return;
    } catch (err) {
      if (Date.now() > limit) {
        cli.child.kill('SIGKILL');
        throw new Error(`gateway did not come up: ${String(err)}\n${cli.output()}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Runs `sluice run` on the config made for a free port (or the given one), and waits until it answers there. */
export async function startGateway(config: (port: number) => string, port?: number): Promise<{ cli: RunningCli; port: number; configPath: string }> {
  const p = port ?? (await freePort());
  const configPath = writeTempConfig(config(p));
  const cli = startCli(['run', '--config', configPath]);
  await waitForGateway(cli, p);
  return { cli, port: p, configPath };
}
