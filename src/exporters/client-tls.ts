// Client TLS settings shared by the exporters, with the Collector's `tls` keys (configtls.ClientConfig).
import { readFileSync } from 'node:fs';
import { s, type Infer } from '../config/schema.js';

export const clientTlsSchema = s
  .object({
    /** gRPC only: plaintext instead of TLS (HTTP exporters decide by the URL's scheme). */
    insecure: s.bool().default(false),
    /** Accepts any server certificate: for testing only. */
    insecure_skip_verify: s.bool().default(false),
    ca_file: s.string().optional(),
    cert_file: s.string().optional(),
    key_file: s.string().optional(),
    /** The name to verify the server certificate against instead of the endpoint's host. */
    server_name_override: s.string().optional(),
  })
  .refine((t) => (Boolean(t.cert_file) !== Boolean(t.key_file) ? 'cert_file and key_file must be set together' : undefined));

export type ClientTlsConfig = Infer<typeof clientTlsSchema>;

/** What node:tls and grpc-js need, with the files read once at creation so a bad path fails at startup. */
export interface ClientTlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized: boolean;
  servername?: string;
}

export function loadClientTls(config: ClientTlsConfig): ClientTlsMaterial {
  const read = (key: 'ca_file' | 'cert_file' | 'key_file'): Buffer | undefined => {
    const path = config[key];
    if (!path) return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`tls.${key}: cannot read "${path}": ${(err as Error).message}`);
    }
  };
  return {
    ca: read('ca_file'),
    cert: read('cert_file'),
    key: read('key_file'),
    rejectUnauthorized: !config.insecure_skip_verify,
    servername: config.server_name_override,
  };
}
