// The issue's `npx madge --circular src` check, run through scripts/check-cycles.mjs so that a
// cycle fails the test suite as well as `npm run check:cycles`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

type FindCycles = (rootDir: string) => string[][];

// allowJs is off, so tsc has no types for the .mjs; a computed specifier keeps it from trying to
// resolve the module, and the shape is stated here instead.
async function loadFindCycles(): Promise<FindCycles> {
  const script = new URL('../../scripts/check-cycles.mjs', import.meta.url).href;
  return ((await import(script)) as { findCycles: FindCycles }).findCycles;
}

test('the check follows import type, export from and directory imports, and ignores packages', async () => {
  const findCycles = await loadFindCycles();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-cycles-'));
  try {
    mkdirSync(join(dir, 'c'));
    writeFileSync(join(dir, 'a.ts'), "import type { B } from './b.js';\nexport type A = B;\n");
    writeFileSync(join(dir, 'b.ts'), "export * from './c';\nexport type B = string;\n");
    writeFileSync(join(dir, 'c', 'index.ts'), "import '../a.js';\nimport { of } from 'rxjs';\nexport const c = of(1);\n");
    writeFileSync(join(dir, 'd.ts'), "import type { A } from './a.js';\nexport type D = A;\n");
    assert.deepEqual(findCycles(dir), [['a.ts', 'b.ts', 'c/index.ts', 'a.ts']]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('src/ has no import cycles', async () => {
  const findCycles = await loadFindCycles();
  const cycles = findCycles(fileURLToPath(new URL('../../src', import.meta.url)));
  assert.equal(cycles.length, 0, `import cycles in src/ (run npm run check:cycles):\n${cycles.map((cycle) => cycle.join(' > ')).join('\n')}`);
});
