// `health_check`: liveness, readiness and startup over HTTP, for orchestrators and load balancers.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { s, type Infer } from '../../config/schema.js';
import { endpointProblem } from '../../config/endpoint.js';
import { closeServer, listen } from '../../net/listen.js';
import type { ComponentStatus, Extension, ExtensionFactory, ServiceHost } from '../../pipeline/component.js';

const healthCheckSchema = s.object({
  endpoint: s.string().default('0.0.0.0:13133').refine(endpointProblem),
  /** The Collector's original endpoint; answers like /health/ready. */
  path: s.string().default('/'),
  tls: s.object({ cert_file: s.string().required(), key_file: s.string().required() }).optional(),
  // Deprecated and without effect in the Collector too; accepted so existing configs load.
  check_collector_pipeline: s.any(),
  /**
   * healthcheckv2's opt-in: without it (or with both false) component errors show in the body but
   * never fail readiness, since restarting the collector does not bring a backend back.
   */
  component_health: s
    .object({
      include_permanent_errors: s.bool().default(false),
      /** Counted against readiness only once the component has been failing for recovery_duration. */
      include_recoverable_errors: s.bool().default(false),
      recovery_duration: s.duration().default(0),
    })
    .optional(),
});

export type HealthCheckConfig = Infer<typeof healthCheckSchema>;

export interface HealthCheckExtension extends Extension {
  port(): number;
}

type Probe = 'live' | 'ready' | 'startup';

/** Whether a probe passes in a given phase of the service. */
function passes(probe: Probe, phase: ServiceHost['phase']): boolean {
  switch (probe) {
    case 'live':
      return true;
    case 'ready':
      return phase === 'running';
    case 'startup':
      return phase !== 'starting';
  }
}

type ComponentHealth = NonNullable<HealthCheckConfig['component_health']>;

/** Whether a component's status fails readiness, as healthcheckv2's component health has it. */
function healthy(c: ComponentStatus, health: ComponentHealth | undefined, now: number): boolean {
  if (c.status === 'permanent_error') return !health?.include_permanent_errors;
  if (c.status === 'recoverable_error' && health?.include_recoverable_errors) return now < c.since + health.recovery_duration;
  return true;
}

/**
 * The most relevant component error, for the body's overall status: permanent before recoverable,
 * unless only recoverable errors count against readiness (healthcheckv2's precedence).
 */
function worstStatus(components: ComponentStatus[], health: ComponentHealth | undefined): ComponentStatus['status'] | undefined {
  const order: ComponentStatus['status'][] =
    health?.include_recoverable_errors && !health.include_permanent_errors ? ['recoverable_error', 'permanent_error'] : ['permanent_error', 'recoverable_error'];
  return order.find((status) => components.some((c) => c.status === status));
}

class HealthCheck implements HealthCheckExtension {
  private server: Server | undefined;
  private readonly started = Date.now();

  constructor(
    private readonly config: HealthCheckConfig,
    private readonly host: ServiceHost,
  ) {}

  port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  async start(): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse) => this.handle(req, res);
    this.server = this.config.tls
      ? createHttpsServer({ cert: readFileSync(this.config.tls.cert_file), key: readFileSync(this.config.tls.key_file) }, handler)
      : createHttpServer(handler);
    await listen(this.server, this.config.endpoint);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    const probe: Probe | undefined =
      path === '/health/live' ? 'live' : path === '/health/ready' || path === this.config.path ? 'ready' : path === '/health/startup' ? 'startup' : undefined;
    if (!probe) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `unknown path ${path}; try /health/live, /health/ready, /health/startup` }));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json' }).end(JSON.stringify({ error: 'method not allowed' }));
      return;
    }
    const phase = this.host.phase;
    const now = Date.now();
    const health = this.config.component_health;
    const statuses = this.host.componentStatuses();
    const components = statuses.map((c) => ({ ...c, since: new Date(c.since).toISOString(), healthy: healthy(c, health, now) }));
    const componentsHealthy = components.every((c) => c.healthy);
    const load = this.host.lastReload();
    const iso = (ms: number) => (ms > 0 ? new Date(ms).toISOString() : null);
    const body = {
      status: phase === 'running' ? (worstStatus(statuses, health) ?? 'ok') : phase,
      healthy: phase === 'running' && componentsHealthy,
      uptime: `${((now - this.started) / 1000).toFixed(3)}s`,
      components,
      // A failed reload leaves the previous config running, so it shows here but does not fail readiness (as Prometheus).
      config: { last_reload_successful: load.successful, last_reload: iso(load.at), last_reload_success: iso(load.lastSuccessAt), errors: load.errors },
    };
    // A failing component fails readiness with 500, as healthcheckv2; a service not running yet (or any more) with 503.
    const code = !passes(probe, phase) ? 503 : probe === 'ready' && !componentsHealthy ? 500 : 200;
    res.writeHead(code, { 'content-type': 'application/json' }).end(req.method === 'HEAD' ? undefined : JSON.stringify(body));
  }

  shutdown(): Promise<void> {
    return closeServer(this.server);
  }
}

export const healthCheckExtensionFactory: ExtensionFactory<HealthCheckConfig> = {
  kind: 'extension',
  type: 'health_check',
  description: 'serves /health/live, /health/ready and /health/startup with each component’s status',
  schema: healthCheckSchema,
  create: (_settings, config, host) => new HealthCheck(config, host),
};
