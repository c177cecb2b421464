// Where the installed package's own files are. Found by walking up from this module because it
// sits at a different depth when run from src/ (tsx) and from dist/src/ (compiled).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'proto'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('sluice: cannot find the package root (package.json next to proto/)');
    dir = parent;
  }
}

export const PACKAGE_ROOT = findPackageRoot();
export const PROTO_DIR = join(PACKAGE_ROOT, 'proto');
/** The config `sluice run` uses when given none (what `npm start` runs). */
export const DEFAULT_CONFIG = join(PACKAGE_ROOT, 'pipelines', 'default.yaml');

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}
