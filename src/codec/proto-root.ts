// Loads the .proto files under proto/ once. The directory is found by walking up from this module,
// because it sits at a different depth when run from src/ (tsx) and from dist/src/ (compiled).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

function findProtoDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, 'opentelemetry'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('sluice: cannot find the proto/ directory next to the installed package');
    dir = parent;
  }
}

export const PROTO_DIR = findProtoDir();

/** Loads the given proto files (paths relative to proto/) into one resolved Root. */
export function loadProtos(files: string[]): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (target.startsWith('/') ? target : join(PROTO_DIR, target));
  root.loadSync(files, { keepCase: false });
  root.resolveAll();
  return root;
}
