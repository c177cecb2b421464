// Reads config files and --set overrides into one RawConfig that remembers, for every path, the
// file, line and column it came from. Env references are expanded here; validation comes later.
import { readFileSync } from 'node:fs';
import { Document, LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Node as YamlNode } from 'yaml';
import { expandEnv } from './env.js';
import { findNode, mergeNodes, nodeFromValue, nodeToValue, type ConfigNode } from './merge.js';
import { formatPath, type ConfigIssue, type Path, type SourcePosition } from './schema.js';
import type { RawConfig } from './types.js';

export interface LoadResult {
  /** Present when loading produced no error (warnings may remain). */
  raw?: RawConfig;
  issues: ConfigIssue[];
}

/** The pseudo file name positions of --set values carry; their line is the 1-based index of the --set. */
export const SET_SOURCE = '--set';

interface SourceContext {
  doc: Document;
  at(offset: number): SourcePosition;
  env: NodeJS.ProcessEnv;
  issues: ConfigIssue[];
  /** Nodes being converted, to refuse an alias to one of its own ancestors. */
  open: Set<unknown>;
}

function issue(issues: ConfigIssue[], severity: ConfigIssue['severity'], path: Path, message: string, position?: SourcePosition): void {
  issues.push({ severity, path: formatPath(path), message, position });
}

function isMergeKey(key: unknown): boolean {
  return isScalar(key) && typeof key.value === 'symbol' && key.value.description === '<<';
}

function convert(node: YamlNode | null | undefined, ctx: SourceContext, path: Path, keyPos?: SourcePosition): ConfigNode {
  if (node === null || node === undefined) return { kind: 'scalar', value: null, pos: keyPos ?? ctx.at(0), keyPos };
  if (isAlias(node)) {
    const target = node.resolve(ctx.doc);
    if (target === undefined || ctx.open.has(target)) {
      const pos = ctx.at(node.range?.[0] ?? 0);
      issue(ctx.issues, 'error', path, `alias *${node.source} cannot be resolved here`, pos);
      return { kind: 'scalar', value: null, pos, keyPos };
    }
    return convert(target, ctx, path, keyPos);
  }
  const start = node.range?.[0] ?? 0;
  const end = node.range?.[1] ?? start;
  // An empty value (`key:` and nothing) has no text of its own: point at its key.
  const pos = start === end && keyPos ? keyPos : ctx.at(start);
  if (isScalar(node)) {
    if (typeof node.value !== 'string') return { kind: 'scalar', value: node.value, pos, keyPos };
    // Quoting says "this is a string", so only plain scalars take the YAML type of a substituted value.
    const expanded = expandEnv(node.value, ctx.env, node.type === 'PLAIN');
    for (const name of expanded.unset) {
      issue(ctx.issues, 'warning', path, `environment variable ${name} is not set; using an empty string`, pos);
    }
    for (const problem of expanded.problems) issue(ctx.issues, 'error', path, problem, pos);
    return nodeFromValue(expanded.value, pos, keyPos);
  }
  ctx.open.add(node);
  try {
    if (isSeq(node)) {
      return { kind: 'list', pos, keyPos, items: node.items.map((item, i) => convert(item as YamlNode, ctx, [...path, i])) };
    }
    if (isMap(node)) return convertMap(node.items, ctx, path, pos, keyPos);
  } finally {
    ctx.open.delete(node);
  }
  issue(ctx.issues, 'error', path, 'unsupported YAML node', pos);
  return { kind: 'scalar', value: null, pos, keyPos };
}

function convertMap(
  pairs: readonly { key: unknown; value: unknown }[],
  ctx: SourceContext,
  path: Path,
  pos: SourcePosition,
  keyPos: SourcePosition | undefined,
): ConfigNode {
  const entries = new Map<string, ConfigNode>();
  const merged: Extract<ConfigNode, { kind: 'map' }>[] = [];
  for (const pair of pairs) {
    const keyNode = pair.key as YamlNode | null;
    const valueNode = pair.value as YamlNode | null;
    if (isMergeKey(keyNode)) {
      const sources = isSeq(valueNode) ? (valueNode.items as YamlNode[]) : [valueNode];
      for (const source of sources) {
        const converted = convert(source, ctx, path);
        if (converted.kind === 'map') merged.push(converted);
        else issue(ctx.issues, 'error', path, 'a "<<" merge key needs a map or a list of maps', converted.pos);
      }
      continue;
    }
    const at = ctx.at(keyNode?.range?.[0] ?? 0);
    if (keyNode !== null && !isScalar(keyNode)) {
      issue(ctx.issues, 'error', path, 'map keys must be plain values, not maps or lists', at);
      continue;
    }
    const key = String(keyNode?.value ?? '');
    entries.set(key, convert(valueNode, ctx, [...path, key], at));
  }
  // YAML merge keys: keys written in the map win, then earlier merged maps over later ones.
  for (const source of merged) {
    for (const [key, node] of source.entries) if (!entries.has(key)) entries.set(key, node);
  }
  return { kind: 'map', pos, keyPos, entries };
}

/** Parses YAML text; `null` when it has syntax errors (already reported) or is empty. */
function parseSource(
  text: string,
  env: NodeJS.ProcessEnv,
  issues: ConfigIssue[],
  at: (lines: LineCounter, offset: number) => SourcePosition,
  path: Path = [],
  keyPos?: SourcePosition,
): ConfigNode | null {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, merge: true, uniqueKeys: true });
  const position = (offset: number): SourcePosition => at(lines, offset);
  for (const warning of doc.warnings) issue(issues, 'warning', path, warning.message, position(warning.pos[0]));
  if (doc.errors.length > 0) {
    for (const error of doc.errors) issue(issues, 'error', path, `YAML syntax error: ${error.message}`, position(error.pos[0]));
    return null;
  }
  if (doc.contents === null) return null;
  return convert(doc.contents as YamlNode, { doc, at: position, env, issues, open: new Set() }, path, keyPos);
}

function readSource(file: string, issues: ConfigIssue[]): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EISDIR'
          ? 'is a directory, not a file'
          : `cannot be read (${(err as Error).message})`;
    issue(issues, 'error', [], `config file "${file}" ${why}`);
    return undefined;
  }
}

function loadFile(file: string, env: NodeJS.ProcessEnv, issues: ConfigIssue[]): ConfigNode | undefined {
  const text = readSource(file, issues);
  if (text === undefined) return undefined;
  const before = issues.length;
  const root = parseSource(text, env, issues, (lines, offset) => {
    const { line, col } = lines.linePos(offset);
    return { file, line, column: col };
  });
  if (root === null) {
    if (issues.length === before) issue(issues, 'warning', [], `config file "${file}" is empty`, { file, line: 1, column: 1 });
    return undefined;
  }
  if (root.kind !== 'map') {
    const got = root.kind === 'list' ? 'a list' : `the value ${JSON.stringify(root.value)}`;
    issue(issues, 'error', [], `config file "${file}" must hold a map of sections (receivers, exporters, service, ...), got ${got}`, root.pos);
    return undefined;
  }
  return root;
}

/**
 * One `key.path=value` override as a tree to merge over the files. Segments split on `.`, or on `::`
 * (the Collector's own delimiter) when present; `/` belongs to component ids such as `otlp/tempo`.
 */
function parseSet(arg: string, index: number, env: NodeJS.ProcessEnv, issues: ConfigIssue[]): ConfigNode | undefined {
  const line = index + 1;
  const argPos: SourcePosition = { file: SET_SOURCE, line, column: 1 };
  const eq = arg.indexOf('=');
  const keyText = eq >= 0 ? arg.slice(0, eq) : '';
  const segments = keyText.split(keyText.includes('::') ? '::' : '.');
  if (eq < 0 || segments.some((segment) => segment.trim() === '')) {
    issue(issues, 'error', [], `--set "${arg}": expected key.path=value, e.g. exporters.otlp/tempo.endpoint=tempo:4317`, argPos);
    return undefined;
  }
  const parsed = parseSource(
    arg.slice(eq + 1),
    env,
    issues,
    (lines, offset) => {
      const { line: valueLine, col } = lines.linePos(offset);
      return { file: SET_SOURCE, line, column: valueLine === 1 ? eq + 1 + col : col };
    },
    segments,
    argPos,
  );
  let node: ConfigNode = parsed ?? { kind: 'scalar', value: null, pos: { ...argPos, column: eq + 2 }, keyPos: argPos };
  for (let i = segments.length - 1; i >= 0; i--) {
    node = { kind: 'map', pos: argPos, keyPos: i > 0 ? argPos : undefined, entries: new Map([[segments[i]!, node]]) };
  }
  return node;
}

function rawConfig(root: ConfigNode): RawConfig {
  const value = nodeToValue(root) as Record<string, unknown>;
  return {
    value,
    locate(path) {
      const { node, exact } = findNode(root, path);
      if (exact) return node.pos;
      // The enclosing entry of a missing key; the file as a whole is no useful place to point at.
      return node === root ? undefined : (node.keyPos ?? node.pos);
    },
    locateKey(path) {
      const { node, exact } = findNode(root, path);
      if (!exact && node === root) return undefined;
      return node.keyPos ?? node.pos;
    },
  };
}

/** Loads `files` in order (later over earlier), then applies `sets` in order. */
export function loadConfig(files: string[], sets: string[] = [], env: NodeJS.ProcessEnv = process.env): LoadResult {
  const issues: ConfigIssue[] = [];
  let root: ConfigNode = { kind: 'map', pos: { line: 1, column: 1 }, entries: new Map() };
  const layers = [
    ...files.map((file) => loadFile(file, env, issues)),
    ...sets.map((arg, index) => parseSet(arg, index, env, issues)),
  ];
  for (const layer of layers) if (layer) root = mergeNodes(root, layer);
  if (issues.some((i) => i.severity === 'error')) return { issues };
  return { raw: rawConfig(root), issues };
}
