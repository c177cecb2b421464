// A loopback HTTP server that records every request and answers each as the test decides, for
// tests that stand in for a receiver or backend.
import http from 'node:http';

export interface Reply {
  status: number;
  headers?: http.OutgoingHttpHeaders;
  body?: Uint8Array | string;
}

export interface RecordingServer<R> {
  url: string;
  requests: R[];
  /** Decides each reply. Returning a promise holds the response until it settles. */
  answer: (r: R) => Reply | Promise<Reply>;
  close(): Promise<void>;
}

/** `record` turns a request and its whole body into what the test inspects. */
export async function startRecordingServer<R>(record: (req: http.IncomingMessage, body: Buffer) => R, answer: (r: R) => Reply | Promise<Reply>): Promise<RecordingServer<R>> {
  const recorder = { requests: [] as R[], answer } as RecordingServer<R>;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded = record(req, Buffer.concat(chunks));
      recorder.requests.push(recorded);
      void Promise.resolve(recorder.answer(recorded)).then((reply) => {
        res.writeHead(reply.status, reply.headers);
        res.end(reply.body);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  recorder.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  recorder.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return recorder;
}
