// The shape of a loaded, validated configuration, as the service consumes it.
import type { Signal } from '../pdata/types.js';
import type { ComponentKind, Factory } from '../pipeline/component.js';
import type { ConfigIssue, Path, SourcePosition } from './schema.js';

/** The merged YAML documents after env expansion and --set overrides, before validation. */
export interface RawConfig {
  value: Record<string, unknown>;
  /** Where each path was last defined (the later file wins, like the values themselves). */
  locate(path: Path): SourcePosition | undefined;
  /** Where the key of the entry at `path` is written (for unknown keys); falls back to `locate`. */
  locateKey?(path: Path): SourcePosition | undefined;
}

export interface ComponentConfig {
  /** `type` or `type/name`. */
  id: string;
  type: string;
  kind: ComponentKind;
  factory: Factory;
  /** Validated against the factory's schema, defaults filled in. */
  config: unknown;
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
  receivers: Map<string, ComponentConfig>;
  processors: Map<string, ComponentConfig>;
  exporters: Map<string, ComponentConfig>;
  connectors: Map<string, ComponentConfig>;
  extensions: Map<string, ComponentConfig>;
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
