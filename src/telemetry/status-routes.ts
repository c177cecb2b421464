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

  /**
   * Serves every path under `prefix`; returns false (and serves nothing) when another owner holds
   * it. The same owner registering again takes the prefix over: a reload starts a component's new
   * instance while the old one still drains.
   */
  register(prefix: string, owner: string, handler: StatusHandler): boolean {
    const held = this.routes.find((r) => r.prefix === prefix);
    if (held && held.owner !== owner) return false;
    if (held) held.handler = handler;
    else this.routes.push({ prefix, owner, handler });
    return true;
  }

  /** Stops serving what `handler` serves for `owner`; a prefix a newer instance took over stays. */
  unregister(owner: string, handler: StatusHandler): void {
    for (let i = this.routes.length - 1; i >= 0; i--) if (this.routes[i]!.owner === owner && this.routes[i]!.handler === handler) this.routes.splice(i, 1);
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
