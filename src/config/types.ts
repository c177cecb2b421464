// The shape of a loaded, validated configuration, as the service consumes it.
import type { Signal } from '../pdata/types.js';
import type { ComponentKind, FactoryOfKind } from '../pipeline/component.js';
import type { ConfigIssue, Path, SourcePosition } from './schema.js';

/** The merged YAML documents after env expansion and --set overrides, before validation. */
export interface RawConfig {
  value: Record<string, unknown>;
  /** Where each path was last defined (the later file wins, like the values themselves). */
  locate(path: Path): SourcePosition | undefined;
  /** Where the key of the entry at `path` is written (for unknown keys); falls back to `locate`. */
  locateKey?(path: Path): SourcePosition | undefined;
}

/** A configured component. A union by `kind`, so a check of the kind types `factory` (and its `create`). */
export type ComponentConfig<K extends ComponentKind = ComponentKind> = {
  [P in K]: {
    /** `type` or `type/name`. */
    id: string;
    type: string;
    kind: P;
    factory: FactoryOfKind[P];
    /** Validated against the factory's schema, defaults filled in. */
    config: unknown;
  };
}[K];

/** A component of `kind` made by `factory`, as configured under `id`. */
export function componentConfig<K extends ComponentKind>(kind: K, factory: FactoryOfKind[K], id: string, config: unknown): ComponentConfig<K> {
  // TypeScript does not see that `kind: K` and `factory: FactoryOfKind[K]` make a ComponentConfig<K>.
  return { id, type: factory.type, kind, factory, config } as ComponentConfig<K>;
}

export interface PipelineConfig {
  /** `traces`, `metrics/backend`, ... */
  id: string;
  signal: Signal;
  receivers: string[];
  processors: string[];
  exporters: string[];
}

export interface TelemetryConfig {
  logs: { level: 'debug' | 'info' | 'warn' | 'error' };
  /** `address` (host:port) of our own Prometheus endpoint; undefined when `level: none`. */
  metrics: { address?: string; level: 'none' | 'basic' | 'normal' | 'detailed' };
}

export interface ServiceConfig {
  receivers: Map<string, ComponentConfig<'receiver'>>;
  processors: Map<string, ComponentConfig<'processor'>>;
  exporters: Map<string, ComponentConfig<'exporter'>>;
  connectors: Map<string, ComponentConfig<'connector'>>;
  extensions: Map<string, ComponentConfig<'extension'>>;
  service: {
    extensions: string[];
    pipelines: PipelineConfig[];
    telemetry: TelemetryConfig;
    /** service.shutdown_timeout, milliseconds (default 10 000). */
    shutdownTimeoutMs: number;
  };
}

export interface ValidationResult {
  config?: ServiceConfig;
  /** Errors and warnings, each with path and (when known) file/line/column. */
  issues: ConfigIssue[];
}

/** Whether two validated component configs are the same (compiled regexps compared by their source). */
export function sameConfig(a: unknown, b: unknown): boolean {
  const text = (v: unknown) => JSON.stringify(v, (_key, value: unknown) => (value instanceof RegExp ? `/${value.source}/${value.flags}` : value));
  return text(a) === text(b);
}
