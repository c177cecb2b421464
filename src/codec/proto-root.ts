// Loads .proto files from the package's proto/ directory into resolved protobufjs Roots.
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { PROTO_DIR } from '../paths.js';

/** Loads the given proto files (paths relative to proto/) into one resolved Root. */
export function loadProtos(files: string[]): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (target.startsWith('/') ? target : join(PROTO_DIR, target));
  root.loadSync(files, { keepCase: false });
  root.resolveAll();
  return root;
}
