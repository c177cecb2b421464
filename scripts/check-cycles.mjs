// The repository's stand-in for `npx madge --circular src`, so the check needs no extra dependency:
// reads every .ts file's imports with the TypeScript package, counting `import type` and
// `export ... from` as madge does for TypeScript, prints each import cycle as `a.ts > b.ts > a.ts`
// and exits 1 when there is one. Usage: node scripts/check-cycles.mjs [dir], dir defaulting to src/.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

/** @param {string} dir @returns {string[]} */
function tsFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/**
 * Each file's relative imports, resolved the way NodeNext resolves them for TypeScript sources.
 * Bare specifiers are packages and cannot close a cycle inside the tree, so they are left out.
 * @param {string[]} files absolute paths
 * @returns {Map<string, string[]>}
 */
function importGraph(files) {
  const known = new Set(files);
  const graph = new Map();
  for (const file of files) {
    // preProcessFile reads imports off the token stream without building a syntax tree, which is faster.
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = new Set();
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith('./') && !fileName.startsWith('../')) continue;
      const path = resolve(dirname(file), fileName);
      const target = [path.replace(/\.js$/, '.ts'), path, `${path}.ts`, join(path, 'index.ts')].find((candidate) => known.has(candidate));
      if (target !== undefined) targets.add(target);
    }
    graph.set(file, [...targets]);
  }
  return graph;
}

/**
 * Tarjan's algorithm: the strongly connected components, so that every file on a cycle is found
 * in one pass over the graph.
 * @param {Map<string, string[]>} graph
 * @returns {string[][]}
 */
function stronglyConnected(graph) {
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const components = [];
  /** @param {string} v */
  const visit = (v) => {
    index.set(v, index.size);
    low.set(v, index.get(v));
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v), index.get(w)));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    components.push(component);
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return components;
}

/**
 * The shortest path from `from` to `to` that stays inside `members`, both ends included.
 * @param {Map<string, string[]>} graph @param {Set<string>} members @param {string} from @param {string} to
 * @returns {string[]}
 */
function shortestPath(graph, members, from, to) {
  const previous = new Map([[from, from]]);
  const queue = [from];
  for (let i = 0; i < queue.length && !previous.has(to); i++) {
    for (const w of graph.get(queue[i]) ?? []) {
      if (members.has(w) && !previous.has(w)) {
        previous.set(w, queue[i]);
        queue.push(w);
      }
    }
  }
  const path = [to];
  while (path[0] !== from) path.unshift(previous.get(path[0]));
  return path;
}

/**
 * Every import cycle under rootDir, each as the files along it relative to rootDir, the first
 * file repeated at the end. Listing all elementary cycles can grow exponentially with a tangle's
 * size, so each import that lies on a cycle is reported with the shortest cycle through it:
 * that names every import to be broken and stays polynomial in the size of the tangle.
 * @param {string} rootDir
 * @returns {string[][]}
 */
export function findCycles(rootDir) {
  const root = resolve(rootDir);
  const graph = importGraph(tsFiles(root));
  const cycles = new Map();
  for (const component of stronglyConnected(graph)) {
    const members = new Set(component);
    for (const from of component) {
      for (const to of graph.get(from) ?? []) {
        if (!members.has(to)) continue;
        const ring = from === to ? [from] : [from, ...shortestPath(graph, members, to, from).slice(0, -1)];
        // Rotated to start at its smallest file, so that a cycle found from two of its imports is kept once.
        const names = ring.map((file) => relative(root, file));
        const start = names.indexOf([...names].sort()[0]);
        const cycle = [...names.slice(start), ...names.slice(0, start), names[start]];
        cycles.set(cycle.join(' > '), cycle);
      }
    }
  }
  return [...cycles.keys()].sort().map((key) => cycles.get(key));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rootDir = process.argv[2] ?? fileURLToPath(new URL('../src', import.meta.url));
  const cycles = findCycles(rootDir);
  for (const cycle of cycles) console.log(cycle.join(' > '));
  if (cycles.length > 0) {
    console.error(`check-cycles: ${cycles.length} import cycle(s) under ${relative(process.cwd(), rootDir) || '.'}`);
    process.exit(1);
  }
  console.log(`check-cycles: no import cycles under ${relative(process.cwd(), rootDir) || '.'}`);
}
