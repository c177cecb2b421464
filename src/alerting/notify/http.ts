// JSON over HTTP POST for the notifiers that speak it, with one status mapping: receivers differ
// in payloads, not in which statuses are worth another try.
import type http from 'node:http';
import { httpPost, keepAliveAgent, throwUnlessOk } from '../../exporters/http-post.js';
import type { ClientTlsConfig } from '../../exporters/client-tls.js';

export class JsonPoster {
  private readonly agent: http.Agent;

  constructor(
    private readonly url: URL,
    private readonly headers: Readonly<Record<string, string>>,
    tls: ClientTlsConfig,
  ) {
    this.agent = keepAliveAgent(url, tls);
  }

  async post(body: unknown, abort: AbortSignal): Promise<void> {
    const bytes = Buffer.from(JSON.stringify(body), 'utf8');
    const reply = await httpPost(this.url, bytes, { 'user-agent': 'sluice', ...this.headers, 'content-type': 'application/json' }, this.agent, abort);
    // Every 5xx is retried as Alertmanager does, and 429; any other 4xx would be refused again.
    throwUnlessOk(reply, { anyServerError: true });
  }

  close(): Promise<void> {
    this.agent.destroy();
    return Promise.resolve();
  }
}
