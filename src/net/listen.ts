// Starting and stopping the HTTP servers sluice runs (receivers, scrape endpoints, health, own
// metrics): listen on a Collector-style `host:port`, and close without waiting on idle keep-alives.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseEndpoint } from '../config/endpoint.js';

/** Listens on `endpoint` and resolves with the bound port (useful with port 0). */
export async function listen(server: Server, endpoint: string): Promise<number> {
  const { host, port } = parseEndpoint(endpoint);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** Closes the server and every connection it still holds. */
export function closeServer(server: Server | undefined): Promise<void> {
  if (!server) return Promise.resolve();
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
