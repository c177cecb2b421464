// Runs the sluice CLI in this process with its output captured, or as a child process (through
// tsx, so tests need no build step).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { main, type CliIo } from '../../src/cli.js';

/** `main` with stdout and stderr collected, a newline after each line. */
export async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) };
  const code = await main(args, io);
  return { code, out, err };
}

export const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

export function spawnCli(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } });
}

/** A running CLI whose combined output is collected as it comes. */
export interface RunningCli {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

export function startCli(args: string[]): RunningCli {
  const child = spawnCli(args);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return { child, output: () => output, exited };
}
