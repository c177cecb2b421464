// `host:port` endpoints as the Collector writes them: `0.0.0.0:4317`, `localhost:4318`,
// `[::1]:4317`, or `:4317` for every interface.
export interface Endpoint {
  host: string;
  port: number;
}

export function parseEndpoint(text: string): Endpoint {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  if (!m) throw new Error(`invalid endpoint "${text}": expected host:port, e.g. 0.0.0.0:4317 or [::1]:4317`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`invalid endpoint "${text}": port ${port} is above 65535`);
  const host = m[1] ?? (m[2] || '0.0.0.0');
  return { host, port };
}

/** The schema refinement: undefined when valid, else the problem in words. */
export function endpointProblem(text: string): string | undefined {
  try {
    parseEndpoint(text);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
