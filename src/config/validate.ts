// Turns a RawConfig into the ServiceConfig the service runs, checking it the way the Collector does:
// component ids and types, each component's own schema, and the service's pipelines and references.
// Every problem is collected; the config comes back only when none of them is an error.
import type { Signal } from '../pdata/types.js';
import type { ComponentKind, Factory, FactoryOfKind } from '../pipeline/component.js';
import { describe, report, reportAtKey, s, type ConfigIssue, type Path, type ValidationContext } from './schema.js';
import { componentConfig, type ComponentConfig, type PipelineConfig, type RawConfig, type ServiceConfig, type TelemetryConfig, type ValidationResult } from './types.js';

const KIND_OF = { receivers: 'receiver', processors: 'processor', exporters: 'exporter', connectors: 'connector', extensions: 'extension' } as const;
type Section = keyof typeof KIND_OF;

const SECTIONS: readonly (readonly [Section, ComponentKind])[] = [
  ['receivers', 'receiver'],
  ['processors', 'processor'],
  ['exporters', 'exporter'],
  ['connectors', 'connector'],
  ['extensions', 'extension'],
];
const TOP_LEVEL_KEYS = [...SECTIONS.map(([section]) => section), 'service'];
const SERVICE_KEYS = ['extensions', 'pipelines', 'telemetry', 'shutdown_timeout'];
const PIPELINE_KEYS = ['receivers', 'processors', 'exporters'] as const;
const COMPONENT_TYPE = /^[a-zA-Z][0-9a-zA-Z_]{0,62}$/;
const DEFAULT_METRICS_HOST = '0.0.0.0';
const DEFAULT_METRICS_PORT = 8888;

export function formatIssue(issue: ConfigIssue): string {
  const p = issue.position;
  const where = p ? `${p.file !== undefined ? `${p.file}:` : ''}${p.line}:${p.column}: ` : '';
  return `${where}${issue.severity}: ${issue.path ? `${issue.path}: ` : ''}${issue.message}`;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Why `id` is not a valid component id, or undefined when it is one. */
function idProblem(id: string): string | undefined {
  const slash = id.indexOf('/');
  const type = slash < 0 ? id : id.slice(0, slash);
  if (!COMPONENT_TYPE.test(type)) {
    return `invalid component id "${id}": the type "${type}" must start with a letter and hold only letters, digits and "_"`;
  }
  if (slash < 0) return undefined;
  const name = id.slice(slash + 1);
  if (name === '') return `invalid component id "${id}": the name after "/" must not be empty`;
  if (name.includes('/')) return `invalid component id "${id}": an id is "type" or "type/name", with a single "/"`;
  if (/\s/.test(name)) return `invalid component id "${id}": the name must not contain spaces`;
  return undefined;
}

function supports(factory: Factory, signal: Signal): boolean {
  return factory.kind !== 'connector' && factory.kind !== 'extension' && factory.signals.includes(signal);
}

function supportedSignals(factory: Factory): string {
  return factory.kind === 'connector' || factory.kind === 'extension' ? 'none' : factory.signals.join(', ') || 'none';
}

interface SectionResult<K extends ComponentKind = ComponentKind> {
  components: Map<string, ComponentConfig<K>>;
  /** Every id written in the section, including those whose type is unknown, so references to them raise no second error. */
  written: Set<string>;
}

function validateSection<K extends ComponentKind>(
  section: Section,
  kind: K,
  value: unknown,
  factories: readonly Factory[],
  known: readonly { kind: ComponentKind; type: string }[],
  ctx: ValidationContext,
): SectionResult<K> {
  const result: SectionResult<K> = { components: new Map(), written: new Set() };
  if (value === undefined || value === null) return result;
  if (!isMap(value)) {
    report(ctx, [section], `expected a map of ${kind} ids to their settings, got ${describe(value)}`);
    return result;
  }
  const ofKind = factories.filter((f): f is FactoryOfKind[K] => f.kind === kind);
  for (const [id, settings] of Object.entries(value)) {
    result.written.add(id);
    const problem = idProblem(id);
    if (problem) {
      reportAtKey(ctx, [section, id], problem);
      continue;
    }
    const type = id.split('/')[0]!;
    const factory = ofKind.find((f) => f.type === type);
    if (!factory) {
      const types = known.filter((k) => k.kind === kind).map((k) => k.type).join(', ');
      reportAtKey(ctx, [section, id], `unknown ${kind} type "${type}" (known ${kind} types: ${types || 'none'})`);
      continue;
    }
    // `id:` with nothing after it means "all defaults"; parsing an empty map (rather than the
    // schema's default) still reports the keys that have no default.
    const config = factory.schema.parse(settings ?? {}, ctx, [section, id]);
    result.components.set(id, componentConfig(kind, factory, id, config));
  }
  return result;
}

const telemetrySchema = s.object({
  logs: s.object({
    level: s.enum(['debug', 'info', 'warn', 'error']).default('info'),
    // Accepted so Collector files load unchanged; sluice always logs JSON lines to stdout.
    development: s.any(),
    encoding: s.any(),
    disable_caller: s.any(),
    disable_stacktrace: s.any(),
    sampling: s.any(),
    output_paths: s.any(),
    error_output_paths: s.any(),
    initial_fields: s.any(),
    processors: s.any(),
  }),
  metrics: s.object({
    level: s.enum(['none', 'basic', 'normal', 'detailed']).default('normal'),
    address: s
      .string()
      .refine((a) => (/^.*:\d{1,5}$/.test(a) && Number(a.slice(a.lastIndexOf(':') + 1)) <= 65535 ? undefined : `expected host:port, got "${a}"`))
      .optional(),
    readers: s
      .list(
        s.object({
          pull: s
            .object({
              exporter: s.object({
                prometheus: s
                  .object({
                    host: s.string().default(DEFAULT_METRICS_HOST),
                    port: s.int({ min: 0, max: 65535 }).default(DEFAULT_METRICS_PORT),
                    without_units: s.any(),
                    without_type_suffix: s.any(),
                    without_scope_info: s.any(),
                    with_resource_constant_labels: s.any(),
                  })
                  .required(),
              }),
            })
            .optional(),
          periodic: s.any(),
        }),
      )
      .optional(),
    views: s.any(),
  }),
  traces: s.any(),
  resource: s.any(),
});

function hostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

function validateTelemetry(value: unknown, ctx: ValidationContext): TelemetryConfig | undefined {
  const path = ['service', 'telemetry'];
  const parsed = telemetrySchema.parse(value, ctx, path);
  if (!parsed) return undefined;
  const { level, address, readers } = parsed.metrics;
  const metricsPath = [...path, 'metrics'];
  let endpoint = address ?? hostPort(DEFAULT_METRICS_HOST, DEFAULT_METRICS_PORT);
  if (readers) {
    if (address !== undefined) {
      report(ctx, [...metricsPath, 'address'], 'both address and readers are set; the readers decide the endpoint', 'warning');
    }
    const pulls: string[] = [];
    readers.forEach((reader, i) => {
      const prometheus = reader.pull?.exporter.prometheus;
      if (prometheus) pulls.push(hostPort(prometheus.host, prometheus.port));
      else report(ctx, [...metricsPath, 'readers', i], 'only pull readers with a prometheus exporter are supported; this reader is ignored', 'warning');
    });
    if (pulls.length > 1) report(ctx, [...metricsPath, 'readers'], `only one prometheus endpoint is served: ${pulls[0]}`, 'warning');
    endpoint = pulls[0] ?? '';
  }
  return {
    logs: { level: parsed.logs.level },
    metrics: { level, address: level === 'none' || endpoint === '' ? undefined : endpoint },
  };
}

const idList = s.list(s.string());

/** A list of ids at `path`; reports duplicates, each at its second appearance. */
function parseIds(value: unknown, ctx: ValidationContext, path: Path, what: string): string[] | undefined {
  const ids = idList.parse(value, ctx, path);
  if (!ids) return undefined;
  const seen = new Set<string>();
  ids.forEach((id, i) => {
    if (seen.has(id)) report(ctx, [...path, i], `${what} "${id}" is listed more than once`);
    seen.add(id);
  });
  return ids;
}

interface ConnectorUse {
  pipeline: string;
  signal: Signal;
  path: Path;
}

type Sections = { [T in Section]: SectionResult<(typeof KIND_OF)[T]> };

/** Checks the pipelines and everything they reference; records what each pipeline uses in `used`. */
class PipelineChecker {
  readonly pipelines: PipelineConfig[] = [];
  readonly used: Record<Section, Set<string>> = {
    receivers: new Set(),
    processors: new Set(),
    exporters: new Set(),
    connectors: new Set(),
    extensions: new Set(),
  };
  readonly connectorsAsExporter = new Map<string, ConnectorUse[]>();
  readonly connectorsAsReceiver = new Map<string, ConnectorUse[]>();

  constructor(
    private readonly sections: Sections,
    private readonly ctx: ValidationContext,
  ) {}

  check(value: unknown): void {
    const path = ['service', 'pipelines'];
    if (value === undefined || value === null || (isMap(value) && Object.keys(value).length === 0)) {
      report(this.ctx, path, 'at least one pipeline is required');
      return;
    }
    if (!isMap(value)) {
      report(this.ctx, path, `expected a map of pipeline ids to pipelines, got ${describe(value)}`);
      return;
    }
    for (const [id, pipeline] of Object.entries(value)) this.checkPipeline(id, pipeline, [...path, id]);
    this.checkConnectors();
    this.checkCycles();
  }

  private checkPipeline(id: string, value: unknown, path: Path): void {
    const match = /^(traces|metrics|logs)(?:\/(.*))?$/.exec(id);
    if (!match) {
      const signal = id.split('/')[0];
      reportAtKey(this.ctx, path, `unknown signal "${signal}" in pipeline id "${id}" (expected traces, metrics or logs, optionally followed by /name)`);
      return;
    }
    if (match[2] !== undefined && (match[2] === '' || match[2].includes('/'))) {
      reportAtKey(this.ctx, path, `invalid pipeline id "${id}": expected signal or signal/name, with a non-empty name and a single "/"`);
      return;
    }
    const signal = match[1] as Signal;
    if (!isMap(value)) {
      report(this.ctx, path, `expected a map with receivers, processors and exporters, got ${describe(value)}`);
      return;
    }
    for (const key of Object.keys(value)) {
      if (!(PIPELINE_KEYS as readonly string[]).includes(key)) {
        reportAtKey(this.ctx, [...path, key], `unknown key "${key}" (expected one of: ${PIPELINE_KEYS.join(', ')})`);
      }
    }
    const receivers = parseIds(value.receivers, this.ctx, [...path, 'receivers'], 'receiver');
    const processors = parseIds(value.processors, this.ctx, [...path, 'processors'], 'processor') ?? [];
    const exporters = parseIds(value.exporters, this.ctx, [...path, 'exporters'], 'exporter');
    for (const [list, role] of [
      [receivers, 'receiver'],
      [exporters, 'exporter'],
    ] as const) {
      // A value that is not a list at all has been reported by parseIds already.
      const written = value[`${role}s`];
      const missing = list ? list.length === 0 : written === undefined || written === null;
      if (missing) report(this.ctx, [...path, `${role}s`], `a pipeline needs at least one ${role}`);
    }
    receivers?.forEach((ref, i) => this.checkEnd(id, signal, 'receiver', ref, [...path, 'receivers', i]));
    processors.forEach((ref, i) => this.checkProcessor(signal, ref, [...path, 'processors', i]));
    exporters?.forEach((ref, i) => this.checkEnd(id, signal, 'exporter', ref, [...path, 'exporters', i]));
    this.pipelines.push({ id, signal, receivers: receivers ?? [], processors, exporters: exporters ?? [] });
  }

  /** A receiver or exporter reference, either of which may be a connector. */
  private checkEnd(pipeline: string, signal: Signal, role: 'receiver' | 'exporter', ref: string, path: Path): void {
    const section = `${role}s` as const;
    const own = this.sections[section];
    const connectors = this.sections.connectors;
    const component = own.components.get(ref);
    this.used[component || !connectors.written.has(ref) ? section : 'connectors'].add(ref);
    if (component) {
      if (!supports(component.factory, signal)) {
        report(this.ctx, path, `${role} "${ref}" does not support ${signal} (it supports: ${supportedSignals(component.factory)})`);
      }
      return;
    }
    if (connectors.components.has(ref)) {
      const uses = role === 'exporter' ? this.connectorsAsExporter : this.connectorsAsReceiver;
      uses.set(ref, [...(uses.get(ref) ?? []), { pipeline, signal, path }]);
      return;
    }
    if (own.written.has(ref) || connectors.written.has(ref)) return;
    report(this.ctx, path, `${role} "${ref}" is not defined (define it under ${role}s or connectors)`);
  }

  private checkProcessor(signal: Signal, ref: string, path: Path): void {
    this.used.processors.add(ref);
    const component = this.sections.processors.components.get(ref);
    if (component) {
      if (!supports(component.factory, signal)) {
        report(this.ctx, path, `processor "${ref}" does not support ${signal} (it supports: ${supportedSignals(component.factory)})`);
      }
      return;
    }
    if (!this.sections.processors.written.has(ref)) report(this.ctx, path, `processor "${ref}" is not defined (define it under processors)`);
  }

  private pairSupported(connector: string, from: Signal, to: Signal): boolean {
    const factory = this.sections.connectors.components.get(connector)!.factory;
    return factory.kind === 'connector' && factory.pairs.some(([a, b]) => a === from && b === to);
  }

  private pairsOf(connector: string): string {
    const factory = this.sections.connectors.components.get(connector)!.factory;
    return factory.kind === 'connector' ? factory.pairs.map(([a, b]) => `${a}->${b}`).join(', ') : 'none';
  }

  private checkConnectors(): void {
    for (const id of this.sections.connectors.components.keys()) {
      const asExporter = this.connectorsAsExporter.get(id) ?? [];
      const asReceiver = this.connectorsAsReceiver.get(id) ?? [];
      if (asExporter.length === 0 && asReceiver.length === 0) continue;
      if (asReceiver.length === 0) {
        const names = asExporter.map((u) => u.pipeline).join(', ');
        report(this.ctx, asExporter[0]!.path, `connector "${id}" is an exporter in ${names} but a receiver in no pipeline`);
        continue;
      }
      if (asExporter.length === 0) {
        const names = asReceiver.map((u) => u.pipeline).join(', ');
        report(this.ctx, asReceiver[0]!.path, `connector "${id}" is a receiver in ${names} but an exporter in no pipeline`);
        continue;
      }
      this.checkNamedPipelines(id, asReceiver);
      for (const e of asExporter) {
        if (!asReceiver.some((r) => this.pairSupported(id, e.signal, r.signal))) {
          const targets = [...new Set(asReceiver.map((r) => r.signal))].join(', ');
          report(this.ctx, e.path, `connector "${id}" cannot connect ${e.signal} to the pipelines it receives in (${targets}); it supports ${this.pairsOf(id)}`);
        }
      }
      for (const r of asReceiver) {
        if (!asExporter.some((e) => this.pairSupported(id, e.signal, r.signal))) {
          const sources = [...new Set(asExporter.map((e) => e.signal))].join(', ');
          report(this.ctx, r.path, `connector "${id}" cannot feed ${r.signal} from the pipelines it exports in (${sources}); it supports ${this.pairsOf(id)}`);
        }
      }
    }
  }

  /** A pipeline a connector's config names (a routing table) must be one that receives from it. */
  private checkNamedPipelines(id: string, asReceiver: ConnectorUse[]): void {
    const component = this.sections.connectors.components.get(id)!;
    const factory = component.factory;
    if (factory.kind !== 'connector' || !factory.namedPipelines || component.config === undefined) return;
    const receiving = new Set(asReceiver.map((r) => r.pipeline));
    for (const { path, pipeline } of factory.namedPipelines(component.config)) {
      if (receiving.has(pipeline)) continue;
      const hint = this.pipelines.some((p) => p.id === pipeline) ? `pipeline "${pipeline}" does not list "${id}" as a receiver` : `there is no pipeline "${pipeline}"`;
      report(this.ctx, ['connectors', id, ...path], `connector "${id}" routes to "${pipeline}", but ${hint}`);
    }
  }

  /** Data sent around a loop of connectors would circulate for ever; the Collector refuses such graphs too. */
  private checkCycles(): void {
    const next = new Map<string, { to: string; via: string; path: Path }[]>();
    for (const [connector, exports] of this.connectorsAsExporter) {
      for (const e of exports) {
        for (const r of this.connectorsAsReceiver.get(connector) ?? []) {
          if (!this.pairSupported(connector, e.signal, r.signal)) continue;
          next.set(e.pipeline, [...(next.get(e.pipeline) ?? []), { to: r.pipeline, via: connector, path: e.path }]);
        }
      }
    }
    const done = new Set<string>();
    const visit = (pipeline: string, trail: string[]): void => {
      if (done.has(pipeline)) return;
      for (const edge of next.get(pipeline) ?? []) {
        const loopStart = trail.indexOf(edge.to);
        if (edge.to === pipeline || loopStart >= 0) {
          const loop = [...trail.slice(loopStart < 0 ? trail.length : loopStart), pipeline, edge.to];
          report(this.ctx, edge.path, `connector "${edge.via}" closes a cycle: ${loop.join(' -> ')}`);
          continue;
        }
        visit(edge.to, [...trail, pipeline]);
      }
      done.add(pipeline);
    };
    for (const p of this.pipelines) visit(p.id, []);
  }
}

/** The service section; also returns the ids each section has in use, for the unused-component warnings. */
function validateService(value: unknown, sections: Sections, ctx: ValidationContext): { service?: ServiceConfig['service']; used: Record<Section, Set<string>> } {
  const checker = new PipelineChecker(sections, ctx);
  const used = checker.used;
  if (value === undefined || value === null) {
    report(ctx, ['service'], 'missing the "service" section, which lists the pipelines to run');
    return { used };
  }
  if (!isMap(value)) {
    report(ctx, ['service'], `expected a map, got ${describe(value)}`);
    return { used };
  }
  for (const key of Object.keys(value)) {
    if (!SERVICE_KEYS.includes(key)) reportAtKey(ctx, ['service', key], `unknown key "${key}" (expected one of: ${SERVICE_KEYS.join(', ')})`);
  }

  const extensions = parseIds(value.extensions, ctx, ['service', 'extensions'], 'extension') ?? [];
  extensions.forEach((id, i) => {
    used.extensions.add(id);
    if (!sections.extensions.written.has(id)) report(ctx, ['service', 'extensions', i], `extension "${id}" is not defined (define it under extensions)`);
  });

  checker.check(value.pipelines);

  const telemetry = validateTelemetry(value.telemetry, ctx);
  const shutdownTimeoutMs = s.duration().default(10_000).parse(value.shutdown_timeout, ctx, ['service', 'shutdown_timeout']);
  if (!telemetry || shutdownTimeoutMs === undefined) return { used };
  return { service: { extensions, pipelines: checker.pipelines, telemetry, shutdownTimeoutMs }, used };
}

/**
 * `sending_queue.storage` names an extension that must be enabled and able to hold queues; said
 * here, with the line, rather than when the exporter starts.
 */
function checkQueueStorage(sections: Sections, enabled: readonly string[], ctx: ValidationContext): void {
  for (const [id, cc] of sections.exporters.components) {
    const storage = (cc.config as { sending_queue?: { storage?: string } } | undefined)?.sending_queue?.storage;
    if (storage === undefined) continue;
    const path = ['exporters', id, 'sending_queue', 'storage'];
    const extension = sections.extensions.components.get(storage);
    if (!extension) report(ctx, path, `extension "${storage}" is not defined (define it under extensions, e.g. file_storage)`);
    else if (!enabled.includes(storage)) report(ctx, path, `extension "${storage}" is not enabled in service.extensions`);
    else if (extension.type !== 'file_storage') report(ctx, path, `extension "${storage}" (${extension.type}) cannot hold a sending queue; use a file_storage extension`);
  }
}

/**
 * Validates against `factories`, which need only be those of the types the config names (see
 * components.ts); `known` lists every type there is, for the message about an unknown one.
 */
export function validateConfig(raw: RawConfig, factories: readonly Factory[], known: readonly { kind: ComponentKind; type: string }[] = factories): ValidationResult {
  const ctx: ValidationContext = { issues: [], locate: raw.locate, locateKey: raw.locateKey };
  for (const key of Object.keys(raw.value)) {
    if (!TOP_LEVEL_KEYS.includes(key)) reportAtKey(ctx, [key], `unknown top-level key "${key}" (expected one of: ${TOP_LEVEL_KEYS.join(', ')})`);
  }
  const section = <T extends Section>(name: T) => validateSection(name, KIND_OF[name], raw.value[name], factories, known, ctx);
  const sections: Sections = {
    receivers: section('receivers'),
    processors: section('processors'),
    exporters: section('exporters'),
    connectors: section('connectors'),
    extensions: section('extensions'),
  };
  for (const id of sections.connectors.written) {
    const clash = (['receivers', 'exporters'] as const).filter((section) => sections[section].written.has(id));
    if (clash.length > 0) {
      reportAtKey(ctx, ['connectors', id], `"${id}" is defined both as a connector and under ${clash.join(' and ')}, so pipelines cannot tell which is meant`);
    }
  }
  const { service, used } = validateService(raw.value.service, sections, ctx);
  if (service) checkQueueStorage(sections, service.extensions, ctx);

  for (const [section, kind] of SECTIONS) {
    for (const id of sections[section].components.keys()) {
      if (used[section].has(id)) continue;
      const where = section === 'extensions' ? 'is not enabled in service.extensions' : 'is not used in any pipeline';
      reportAtKey(ctx, [section, id], `${kind} "${id}" is defined but ${where}`, 'warning');
    }
  }

  if (!service || ctx.issues.some((i) => i.severity === 'error')) return { issues: ctx.issues };
  return {
    config: {
      receivers: sections.receivers.components,
      processors: sections.processors.components,
      exporters: sections.exporters.components,
      connectors: sections.connectors.components,
      extensions: sections.extensions.components,
      service,
    },
    issues: ctx.issues,
  };
}
