// JSON APIs that components serve on the status port beside /metrics (the alerting processor's
// Prometheus-shaped /api/v1/alerts, /api/v1/rules and /api/v1/silences), so an operator has one
// port to point tools at.
export interface StatusRequest {
  method: string;
  /** The path without the query string. */
  path: string;
  query: URLSearchParams;
  /** The parsed JSON body, or undefined when there was none. */
  body: unknown;
}

export interface StatusResponse {
  status: number;
  body: unknown;
}

export type StatusHandler = (request: StatusRequest) => StatusResponse | Promise<StatusResponse>;

export class StatusRoutes {
  private readonly routes: { prefix: string; owner: string; handler: StatusHandler }[] = [];

  /** Serves every path under `prefix`; returns false (and serves nothing) when another owner holds it. */
  register(prefix: string, owner: string, handler: StatusHandler): boolean {
    if (this.routes.some((r) => r.prefix === prefix)) return false;
    this.routes.push({ prefix, owner, handler });
    return true;
  }

  unregister(owner: string): void {
    for (let i = this.routes.length - 1; i >= 0; i--) if (this.routes[i]!.owner === owner) this.routes.splice(i, 1);
  }

  /** The handler of the longest registered prefix that `path` falls under. */
  match(path: string): StatusHandler | undefined {
    let best: { prefix: string; handler: StatusHandler } | undefined;
    for (const r of this.routes) {
      const under = path === r.prefix || path.startsWith(r.prefix.endsWith('/') ? r.prefix : `${r.prefix}/`);
      if (under && (!best || r.prefix.length > best.prefix.length)) best = r;
    }
    return best?.handler;
  }
}
