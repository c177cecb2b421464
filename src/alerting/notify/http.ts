// JSON over HTTP POST for the notifiers that speak it, with one status mapping: receivers differ
// in payloads, not in which statuses are worth another try.
import { HttpTarget, throwUnlessOk } from '../../exporters/http-post.js';
import type { ClientTlsConfig } from '../../exporters/client-tls.js';

export class JsonPoster {
  private readonly target: HttpTarget;

  constructor(url: URL, headers: Readonly<Record<string, string>>, tls: ClientTlsConfig) {
    this.target = new HttpTarget(url, tls, { 'user-agent': 'sluice', ...headers, 'content-type': 'application/json' });
  }

  async post(body: unknown, abort: AbortSignal): Promise<void> {
    const reply = await this.target.post(Buffer.from(JSON.stringify(body), 'utf8'), abort);
    // Every 5xx is retried as Alertmanager does, and 429; any other 4xx would be refused again.
    throwUnlessOk(reply, { anyServerError: true });
  }

  close(): Promise<void> {
    this.target.close();
    return Promise.resolve();
  }
}
