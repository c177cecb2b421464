// A loopback AWS endpoint for exporter tests: checks every request's SigV4 signature with
// @smithy/signature-v4 and static test credentials, and answers through a test-chosen handler.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';

export const TEST_ACCESS_KEY = 'AKIDSLUICETEST';
export const TEST_SECRET = 'sluice-test-secret';
export const TEST_REGION = 'eu-west-1';

/** Points the SDK's default credential chain at the static test credentials. */
export function useTestCredentials(): void {
  process.env.AWS_ACCESS_KEY_ID = TEST_ACCESS_KEY;
  process.env.AWS_SECRET_ACCESS_KEY = TEST_SECRET;
  process.env.AWS_REGION = TEST_REGION;
}

export interface AwsReply {
  status: number;
  /** Error replies carry the error code here too, as awsQuery-compatible services do. */
  queryError?: string;
  body: unknown;
}

export interface AwsEndpoint {
  url: string;
  rejected(): number;
  close(): void;
}

async function signatureValid(signer: SignatureV4, req: IncomingMessage, body: string, port: number): Promise<boolean> {
  const auth = String(req.headers.authorization ?? '');
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(auth)?.[1]?.split(';') ?? [];
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(String(req.headers['x-amz-date'] ?? ''));
  if (!m || signedHeaders.length === 0) return false;
  const headers: Record<string, string> = {};
  for (const h of signedHeaders) headers[h] = String(req.headers[h] ?? '');
  const [path, query] = (req.url ?? '/').split('?');
  const request = new HttpRequest({ method: req.method, protocol: 'http:', hostname: '127.0.0.1', port, path, query: query ? Object.fromEntries(new URLSearchParams(query)) : {}, headers, body });
  const signed = await signer.sign(request, { signingDate: new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`) });
  return signed.headers.authorization === auth;
}

/** `handle` gets the X-Amz-Target and parsed JSON body of each correctly signed request. */
export async function startAwsEndpoint(
  service: string,
  contentType: string,
  handle: (target: string, body: unknown, headers: IncomingMessage['headers']) => AwsReply,
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = { accessKeyId: TEST_ACCESS_KEY, secretAccessKey: TEST_SECRET },
): Promise<AwsEndpoint> {
  const signer = new SignatureV4({ credentials, region: TEST_REGION, service, sha256: Hash.bind(null, 'sha256') });
  let rejected = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      // Decoded once: a multi-byte character may straddle two chunks.
      const body = Buffer.concat(chunks).toString('utf8');
      void signatureValid(signer, req, body, (server.address() as AddressInfo).port).then((valid) => {
        const reply: AwsReply = valid
          ? handle(String(req.headers['x-amz-target'] ?? ''), JSON.parse(body || '{}'), req.headers)
          : {
              status: 403,
              queryError: 'SignatureDoesNotMatch;Sender',
              body: { __type: 'com.amazon.coral.service#InvalidSignatureException', message: 'The request signature we calculated does not match the signature you provided.' },
            };
        if (!valid) rejected++;
        res.writeHead(reply.status, { 'content-type': contentType, ...(reply.queryError ? { 'x-amzn-query-error': reply.queryError } : {}) });
        res.end(JSON.stringify(reply.body));
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, rejected: () => rejected, close: () => server.close() };
}
