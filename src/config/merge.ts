// The loaded configuration as a tree that remembers where every value and key came from, and the
// Collector's merge of several such trees: maps merge key by key, everything else is replaced whole.
import type { Path, SourcePosition } from './schema.js';

interface NodeBase {
  /** Where the value starts. */
  pos: SourcePosition;
  /** Where the key that introduced this value sits, for entries of a map. */
  keyPos?: SourcePosition;
}

export type ConfigNode =
  | (NodeBase & { kind: 'map'; entries: Map<string, ConfigNode> })
  | (NodeBase & { kind: 'list'; items: ConfigNode[] })
  | (NodeBase & { kind: 'scalar'; value: unknown });

/** A tree for a plain value that has no finer positions (an env substitution, a --set value). */
export function nodeFromValue(value: unknown, pos: SourcePosition, keyPos?: SourcePosition): ConfigNode {
  if (Array.isArray(value)) return { kind: 'list', pos, keyPos, items: value.map((v) => nodeFromValue(v, pos)) };
  if (value !== null && typeof value === 'object') {
    const entries = new Map<string, ConfigNode>();
    for (const [k, v] of Object.entries(value)) entries.set(k, nodeFromValue(v, pos, pos));
    return { kind: 'map', pos, keyPos, entries };
  }
  return { kind: 'scalar', pos, keyPos, value };
}

/** `over` wins: maps merge recursively, lists and scalars (null included) replace what `base` had. */
export function mergeNodes(base: ConfigNode, over: ConfigNode): ConfigNode {
  if (base.kind !== 'map' || over.kind !== 'map') return over;
  const entries = new Map(base.entries);
  for (const [key, node] of over.entries) {
    const previous = entries.get(key);
    entries.set(key, previous ? mergeNodes(previous, node) : node);
  }
  return { ...over, entries };
}

export function nodeToValue(node: ConfigNode): unknown {
  switch (node.kind) {
    case 'map':
      // fromEntries defines own properties, so a key such as "__proto__" cannot reach the prototype.
      return Object.fromEntries([...node.entries].map(([k, v]) => [k, nodeToValue(v)]));
    case 'list':
      return node.items.map(nodeToValue);
    case 'scalar':
      return node.value;
  }
}

function child(node: ConfigNode, segment: string | number): ConfigNode | undefined {
  if (node.kind === 'map') return node.entries.get(String(segment));
  if (node.kind === 'list' && typeof segment === 'number') return node.items[segment];
  return undefined;
}

/**
 * The node at `path`, or, when the path does not exist (a missing required key), the deepest
 * ancestor that does, so the report still points at the enclosing entry.
 */
export function findNode(root: ConfigNode, path: Path): { node: ConfigNode; exact: boolean } {
  let node = root;
  for (const segment of path) {
    const next = child(node, segment);
    if (!next) return { node, exact: false };
    node = next;
  }
  return { node, exact: true };
}
