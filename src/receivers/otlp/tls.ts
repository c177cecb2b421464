// Server TLS material, read once at start so a bad path fails startup rather than a handshake.
import { readFileSync } from 'node:fs';

export interface ServerTlsConfig {
  cert_file: string;
  key_file: string;
  client_ca_file?: string;
}

export interface ServerTlsMaterial {
  cert: Buffer;
  key: Buffer;
  clientCa?: Buffer;
}

export function loadServerTls(config: ServerTlsConfig): ServerTlsMaterial {
  return {
    cert: readFileSync(config.cert_file),
    key: readFileSync(config.key_file),
    clientCa: config.client_ca_file ? readFileSync(config.client_ca_file) : undefined,
  };
}
