// `routing`: sends each resource (or span, or log record, or whole request) to the pipelines whose
// OTTL condition it meets, as the Collector's routing connector does: per-tenant Tempo or Loki,
// by a resource attribute or by a request header the receiver kept with include_metadata.
import { s, type Infer } from '../../config/schema.js';
import type { ConnectorFactory, ConnectorTargets, Consumer } from '../../pipeline/component.js';
import { AckJoin, deriveEnvelope, type Envelope } from '../../pipeline/envelope.js';
import { deliver, fanOut } from '../../pipeline/fanout.js';
import { deepClone } from '../../pdata/clone.js';
import { withField } from '../../pdata/split.js';
import type { InstrumentationScope, Resource, Signal, SignalData } from '../../pdata/types.js';
import { compileCondition, compileRouteStatement, OttlSyntaxError, type Condition, type OttlContext, type OttlItem } from '../../ottl/condition.js';

const CONTEXTS = ['resource', 'span', 'log', 'request'] as const;

/** The one place a route's text becomes a condition, for validation and for the running connector. */
function compileRoute(route: { context: OttlContext; statement?: string; condition?: string }): Condition {
  return route.statement !== undefined ? compileRouteStatement(route.statement, route.context) : compileCondition(route.condition!, route.context);
}

const routeSchema = s
  .object({
    context: s.enum(CONTEXTS).default('resource'),
    statement: s.string().optional(),
    condition: s.string().optional(),
    pipelines: s
      .list(s.string())
      .required()
      .refine((list) => (list.length === 0 ? 'a route needs at least one pipeline' : undefined)),
  })
  .refine((route) => {
    if ((route.statement === undefined) === (route.condition === undefined)) return 'a route needs exactly one of "statement" or "condition"';
    if (route.context === 'request' && route.statement !== undefined) return 'the request context takes a "condition", not a "statement" (as in the Collector)';
    try {
      compileRoute(route);
      return undefined;
    } catch (err) {
      if (err instanceof OttlSyntaxError) return `${route.statement !== undefined ? 'statement' : 'condition'}: ${err.message}`;
      throw err;
    }
  });

const routingSchema = s.object({
  table: s
    .list(routeSchema)
    .required()
    .refine((list) => (list.length === 0 ? 'the routing table needs at least one route' : undefined)),
  default_pipelines: s.list(s.string()).default([]),
  /**
   * Accepted for Collector configs. Sluice's conditions cannot fail while running (a comparison of
   * mismatched types is false, as OTTL defines it), so there is nothing for it to decide.
   */
  error_mode: s.enum(['propagate', 'ignore', 'silent']).default('propagate'),
  /** true: a unit goes to the first route it matches (the Collector since v0.120); false: to every route it matches. */
  match_once: s.bool().default(true),
});

export type RoutingConnectorConfig = Infer<typeof routingSchema>;

/** Where a signal keeps its resources, scopes and items, and which context addresses an item. */
interface Shape {
  top: string;
  scopes: string;
  items: string;
  itemContext?: 'span' | 'log';
}

const SHAPES: Record<Signal, Shape> = {
  traces: { top: 'resourceSpans', scopes: 'scopeSpans', items: 'spans', itemContext: 'span' },
  logs: { top: 'resourceLogs', scopes: 'scopeLogs', items: 'logRecords', itemContext: 'log' },
  metrics: { top: 'resourceMetrics', scopes: 'scopeMetrics', items: 'metrics' },
};

interface CompiledRoute {
  context: OttlContext;
  condition: Condition;
  pipelines: string[];
}

type Node = Record<string, unknown>;
const children = (node: Node, key: string): Node[] => (node[key] as Node[] | undefined) ?? [];

/** What one target set collects: resource entries, or per resource entry its scopes' chosen items. */
interface Group {
  consumer: Consumer;
  entries: Node[];
}

class RoutingConnector {
  private readonly routes: CompiledRoute[];
  private readonly defaults: string[];
  private readonly shape: Shape;
  /** Route whole resources unless some route looks at single spans or log records. */
  private readonly perItem: boolean;
  private readonly matchOnce: boolean;
  private readonly consumers = new Map<string, Consumer>();
  readonly mutates: boolean;

  constructor(
    config: RoutingConnectorConfig,
    signal: Signal,
    private readonly targets: ConnectorTargets,
  ) {
    this.shape = SHAPES[signal];
    this.routes = config.table.map((route, i) => {
      if ((route.context === 'span' || route.context === 'log') && route.context !== this.shape.itemContext) {
        throw new Error(`table[${i}]: the ${route.context} context cannot route ${signal}`);
      }
      // Pipelines of other signals belong to this connector's instances for those signals.
      return { context: route.context, condition: compileRoute(route), pipelines: route.pipelines.filter((p) => targets.pipelines.has(p)) };
    });
    this.defaults = config.default_pipelines.filter((p) => targets.pipelines.has(p));
    this.perItem = this.routes.some((r) => r.context === this.shape.itemContext);
    this.matchOnce = config.match_once;
    this.mutates = [...targets.pipelines.values()].some((c) => c.mutates);
  }

  consume(envelope: Envelope): void {
    const groups = new Map<string, Group>();
    const metadata = envelope.context.metadata;
    for (const entry of children(envelope.data as unknown as Node, this.shape.top)) {
      const resource = entry.resource as Resource | undefined;
      if (!this.perItem) {
        this.group(groups, this.pipelinesFor({ resource, metadata }))?.entries.push(entry);
        continue;
      }
      this.routeItems(groups, entry, resource, metadata);
    }
    const join = new AckJoin(envelope);
    const list = [...groups.values()];
    // Item-level routing shares resource and scope objects between groups; a pipeline that changes them must get its own copy.
    const cloneShared = this.perItem && list.length > 1 && this.mutates;
    list.forEach((g, i) => {
      const data = { [this.shape.top]: g.entries } as unknown as SignalData[Signal];
      const own = cloneShared && i < list.length - 1 ? deepClone(data) : data;
      const part = deriveEnvelope(envelope, own, join.retain());
      part.bytes = Math.round((envelope.bytes * part.items) / Math.max(1, envelope.items));
      deliver(g.consumer, part);
    });
    // Data no route takes and no default pipeline catches is dropped, as in the Collector.
    join.release();
  }

  private routeItems(groups: Map<string, Group>, entry: Node, resource: Resource | undefined, metadata: OttlItem['metadata']): void {
    const itemKey = this.shape.itemContext!;
    const perGroup = new Map<Group, Node[]>();
    for (const scopeNode of children(entry, this.shape.scopes)) {
      const scope = scopeNode.scope as InstrumentationScope | undefined;
      const chosen = new Map<Group, Node[]>();
      for (const item of children(scopeNode, this.shape.items)) {
        const group = this.group(groups, this.pipelinesFor({ resource, scope, metadata, [itemKey]: item }));
        if (!group) continue;
        const list = chosen.get(group) ?? [];
        list.push(item);
        chosen.set(group, list);
      }
      for (const [group, items] of chosen) {
        const scopes = perGroup.get(group) ?? [];
        scopes.push(withField(scopeNode, this.shape.items, items));
        perGroup.set(group, scopes);
      }
    }
    for (const [group, scopes] of perGroup) group.entries.push(withField(entry, this.shape.scopes, scopes));
  }

  /** The pipelines a unit goes to: its matching routes' (the first only with match_once), else the defaults. */
  private pipelinesFor(item: OttlItem): string[] {
    let matched: string[] | undefined;
    for (const route of this.routes) {
      if (!route.condition(item)) continue;
      if (this.matchOnce) return route.pipelines;
      matched = matched ? [...matched, ...route.pipelines] : route.pipelines;
    }
    return matched ?? this.defaults;
  }

  private group(groups: Map<string, Group>, pipelines: string[]): Group | undefined {
    if (pipelines.length === 0) return undefined;
    const ids = [...new Set(pipelines)].sort();
    const key = ids.join('\u0000');
    let group = groups.get(key);
    if (!group) {
      let consumer = this.consumers.get(key);
      if (!consumer) {
        consumer = fanOut(ids.map((id) => this.targets.pipelines.get(id)!));
        this.consumers.set(key, consumer);
      }
      group = { consumer, entries: [] };
      groups.set(key, group);
    }
    return group;
  }
}

export const routingConnectorFactory: ConnectorFactory<RoutingConnectorConfig> = {
  kind: 'connector',
  type: 'routing',
  description: 'routes resources, spans, log records or requests to pipelines by OTTL conditions (attributes, request headers)',
  schema: routingSchema,
  pairs: [
    ['traces', 'traces'],
    ['metrics', 'metrics'],
    ['logs', 'logs'],
  ],
  namedPipelines: (config) => [
    ...config.table.flatMap((route, i) => route.pipelines.map((pipeline, j) => ({ path: ['table', i, 'pipelines', j], pipeline }))),
    ...config.default_pipelines.map((pipeline, j) => ({ path: ['default_pipelines', j], pipeline })),
  ],
  create(_settings, config, from, _to, targets) {
    const connector = new RoutingConnector(config, from, targets);
    return {
      get mutates() {
        return connector.mutates;
      },
      consume: (envelope) => connector.consume(envelope),
      start: async () => {},
      shutdown: async () => {},
    };
  },
};
