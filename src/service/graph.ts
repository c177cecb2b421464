// The component graph of a configuration, as the Collector's service/internal/graph: one node per
// receiver, per pipeline (its entry, where receivers hand data in), per processor of each pipeline,
// per pipeline fan-out, per exporter and signal, and per connector and signal pair; edges follow
// the data. The service starts nodes downstream-first and stops them upstream-first, so whatever a
// node flushes while stopping still finds its downstream running. Nodes are identified by key and
// carry their config, so two graphs can be compared node by node (what a reload keeps).
import type { Signal } from '../pdata/types.js';
import type { ComponentKind } from '../pipeline/component.js';
import { sameConfig, type ComponentConfig, type PipelineConfig, type ServiceConfig } from '../config/types.js';

export type NodeKind = 'receiver' | 'pipeline' | 'processor' | 'fanout' | 'exporter' | 'connector';

interface NodeBase<K extends NodeKind> {
  /** Unique in the graph, stable across configs: `exporter:otlp/tempo:traces`, `processor:traces/in:batch`. */
  readonly key: string;
  readonly kind: K;
  /** The component id (the pipeline id for pipeline and fan-out nodes). */
  readonly id: string;
}

/** A node of the graph: a union by `kind`, each kind with what it has (the others' fields absent), so a check of the kind types them. */
export type GraphNode = ReceiverNode | PipelineNode | ProcessorNode | ExporterNode | ConnectorNode;

export interface ReceiverNode extends NodeBase<'receiver'> {
  readonly component: ComponentConfig<'receiver'>;
  readonly pipeline?: undefined;
  readonly signal?: undefined;
  readonly to?: undefined;
}

/** A pipeline's entry (where receivers hand data in) or its fan-out to exporters and connectors. */
export interface PipelineNode extends NodeBase<'pipeline' | 'fanout'> {
  readonly pipeline: PipelineConfig;
  readonly signal: Signal;
  /** None: the service itself provides what runs here. */
  readonly component?: undefined;
  readonly to?: undefined;
}

export interface ProcessorNode extends NodeBase<'processor'> {
  readonly component: ComponentConfig<'processor'>;
  readonly pipeline: PipelineConfig;
  readonly signal: Signal;
  readonly to?: undefined;
}

export interface ExporterNode extends NodeBase<'exporter'> {
  readonly component: ComponentConfig<'exporter'>;
  readonly signal: Signal;
  readonly pipeline?: undefined;
  readonly to?: undefined;
}

export interface ConnectorNode extends NodeBase<'connector'> {
  readonly component: ComponentConfig<'connector'>;
  /** The exporter-side signal. */
  readonly signal: Signal;
  /** The receiver-side signal. */
  readonly to: Signal;
  readonly pipeline?: undefined;
}

export class GraphCycleError extends Error {
  constructor(readonly pipelines: string[]) {
    super(`the pipelines form a cycle through their connectors: ${pipelines.join(' -> ')}`);
    this.name = 'GraphCycleError';
  }
}

export const nodeKey = {
  receiver: (id: string) => `receiver:${id}`,
  pipeline: (pipeline: string) => `pipeline:${pipeline}`,
  processor: (pipeline: string, index: number, id: string) => `processor:${pipeline}:${index}:${id}`,
  fanout: (pipeline: string) => `fanout:${pipeline}`,
  exporter: (id: string, signal: Signal) => `exporter:${id}:${signal}`,
  connector: (id: string, from: Signal, to: Signal) => `connector:${id}:${from}:${to}`,
};

export class ComponentGraph {
  private readonly nodeMap = new Map<string, GraphNode>();
  private readonly next = new Map<string, string[]>();
  private readonly prev = new Map<string, string[]>();
  /** Upstream first; computed once the graph is complete. */
  readonly order: readonly GraphNode[];

  constructor(readonly config: ServiceConfig) {
    for (const p of config.service.pipelines) this.addPipeline(config, p);
    this.order = this.sort();
  }

  get nodes(): ReadonlyMap<string, GraphNode> {
    return this.nodeMap;
  }

  node(key: string): GraphNode {
    const node = this.nodeMap.get(key);
    if (!node) throw new Error(`no node ${key} in the component graph`);
    return node;
  }

  downstream(key: string): GraphNode[] {
    return (this.next.get(key) ?? []).map((k) => this.node(k));
  }

  upstream(key: string): GraphNode[] {
    return (this.prev.get(key) ?? []).map((k) => this.node(k));
  }

  private addPipeline(config: ServiceConfig, p: PipelineConfig): void {
    const entry = this.add({ key: nodeKey.pipeline(p.id), kind: 'pipeline', id: p.id, pipeline: p, signal: p.signal });
    for (const id of p.receivers) {
      if (config.connectors.has(id)) continue;
      const receiver = this.add({ key: nodeKey.receiver(id), kind: 'receiver', id, component: configured(config.receivers, id, p) });
      this.link(receiver, entry);
    }
    let last = entry;
    p.processors.forEach((id, index) => {
      const processor = this.add({ key: nodeKey.processor(p.id, index, id), kind: 'processor', id, pipeline: p, component: configured(config.processors, id, p), signal: p.signal });
      this.link(last, processor);
      last = processor;
    });
    const fanout = this.add({ key: nodeKey.fanout(p.id), kind: 'fanout', id: p.id, pipeline: p, signal: p.signal });
    this.link(last, fanout);
    for (const id of p.exporters) {
      const connector = config.connectors.get(id);
      if (!connector) {
        this.link(fanout, this.add({ key: nodeKey.exporter(id, p.signal), kind: 'exporter', id, component: configured(config.exporters, id, p), signal: p.signal }));
        continue;
      }
      for (const q of config.service.pipelines) {
        if (!q.receivers.includes(id) || !connector.factory.pairs.some(([from, to]) => from === p.signal && to === q.signal)) continue;
        const node = this.add({ key: nodeKey.connector(id, p.signal, q.signal), kind: 'connector', id, component: connector, signal: p.signal, to: q.signal });
        this.link(fanout, node);
        this.link(node, this.add({ key: nodeKey.pipeline(q.id), kind: 'pipeline', id: q.id, pipeline: q, signal: q.signal }));
      }
    }
  }

  /** A node once per key: the one already there when another pipeline added it first. */
  private add(node: GraphNode): GraphNode {
    const existing = this.nodeMap.get(node.key);
    if (existing) return existing;
    this.nodeMap.set(node.key, node);
    return node;
  }

  private link(from: GraphNode, to: GraphNode): void {
    const out = this.next.get(from.key) ?? [];
    if (out.includes(to.key)) return;
    out.push(to.key);
    this.next.set(from.key, out);
    this.prev.set(to.key, [...(this.prev.get(to.key) ?? []), from.key]);
  }

  /** Kahn's algorithm, keeping config order among independent nodes; a leftover means a cycle. */
  private sort(): GraphNode[] {
    const pending = new Map<string, number>();
    for (const key of this.nodeMap.keys()) pending.set(key, this.prev.get(key)?.length ?? 0);
    const ready = [...this.nodeMap.keys()].filter((k) => pending.get(k) === 0);
    const order: GraphNode[] = [];
    while (ready.length > 0) {
      const key = ready.shift()!;
      order.push(this.node(key));
      for (const next of this.next.get(key) ?? []) {
        const left = pending.get(next)! - 1;
        pending.set(next, left);
        if (left === 0) ready.push(next);
      }
    }
    if (order.length < this.nodeMap.size) throw new GraphCycleError(this.cyclePipelines(new Set([...pending].filter(([, n]) => n > 0).map(([k]) => k))));
    return order;
  }

  /**
   * The pipelines along one cycle among the nodes left unsorted, in data order, the first repeated at
   * the end. Every node left has a predecessor left, so walking upstream must come round to a node seen.
   */
  private cyclePipelines(left: Set<string>): string[] {
    const trail: string[] = [];
    const seen = new Map<string, number>();
    let key = [...left][0]!;
    while (!seen.has(key)) {
      seen.set(key, trail.length);
      trail.push(key);
      key = this.prev.get(key)!.find((k) => left.has(k))!;
    }
    const loop = trail.slice(seen.get(key)).reverse();
    const pipelines = loop.map((k) => this.node(k)).filter((n) => n.kind === 'pipeline').map((n) => n.id);
    return [...pipelines, pipelines[0]!];
  }
}

/** A component a pipeline names; validation has made sure it is configured. */
function configured<K extends ComponentKind>(components: ReadonlyMap<string, ComponentConfig<K>>, id: string, pipeline: PipelineConfig): ComponentConfig<K> {
  const component = components.get(id);
  if (!component) throw new Error(`pipeline ${pipeline.id} names "${id}", which is not configured`);
  return component;
}

/** What a reload can keep of a running graph: the components whose running instance serves the new config as it is. */
export interface Reusable {
  /** Keys of receiver and exporter nodes in both graphs with the same type and config. */
  readonly nodes: ReadonlySet<string>;
  /** Ids in both graphs' service.extensions with the same type and config. */
  readonly extensions: ReadonlySet<string>;
}

/**
 * Receivers, exporters and extensions are the components that hold what a rebuild would lose
 * (sockets, queued data, stored state). A receiver is kept only if it also feeds the same signals:
 * it was created with one consumer per signal in use, and answers requests for other signals as
 * unsupported. Processors, pipelines, fan-outs and connectors are not listed: they hold no
 * sockets, and their wiring is what a reload changes.
 */
export function reusableComponents(before: ComponentGraph, after: ComponentGraph): Reusable {
  const same = (a: ComponentConfig | undefined, b: ComponentConfig | undefined) => a !== undefined && b !== undefined && a.type === b.type && sameConfig(a.config, b.config);
  const signals = (graph: ComponentGraph, key: string) => [...new Set(graph.downstream(key).map((n) => n.signal))].sort().join(',');
  const nodes = new Set<string>();
  for (const node of after.nodes.values()) {
    if (node.kind !== 'receiver' && node.kind !== 'exporter') continue;
    const old = before.nodes.get(node.key);
    if (!old || !same(old.component, node.component)) continue;
    if (node.kind === 'receiver' && signals(before, node.key) !== signals(after, node.key)) continue;
    nodes.add(node.key);
  }
  const extensions = new Set<string>();
  for (const id of after.config.service.extensions) {
    if (before.config.service.extensions.includes(id) && same(before.config.extensions.get(id), after.config.extensions.get(id))) extensions.add(id);
  }
  return { nodes, extensions };
}
