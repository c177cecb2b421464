// OTLP/gRPC: the three Export services on one grpc-js server. Messages arrive as raw bytes so
// decoding (and its errors) stay in our hands.
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import type { Logger } from 'pino';
import { otlpCodecs, encodeExportResponse, rpcStatusType } from '../../codec/otlp-proto.js';
import { exportServiceDefinition } from '../../codec/otlp-grpc.js';
import { parseEndpoint } from '../../config/endpoint.js';
import { RETRY_INFO_TYPE } from '../../pipeline/errors.js';
import type { Signal } from '../../pdata/types.js';
import { SIGNALS } from '../../pdata/types.js';
import type { ReceiverTelemetry } from '../../telemetry/telemetry.js';
import { DEFAULT_MAX_RECV_MSG_SIZE_MIB, type OtlpGrpcConfig } from './config.js';
import type { Ingest, Outcome } from './ingest.js';
import { loadServerTls } from './tls.js';

/** grpc-go's server keepalive ping interval; grpc-js sends none unless told. */
const GRPC_GO_KEEPALIVE_TIME_MS = 2 * 60 * 60 * 1000;

/**
 * The Collector's gRPC server settings as grpc-js channel options. As in grpc-go, a keepalive
 * duration of 0 means its default (never for the connection limits, 2h and 20s for the pings);
 * handed to grpc-js as is, 0 would close every connection at once.
 */
export function serverOptions(config: OtlpGrpcConfig): grpc.ServerOptions {
  const options: grpc.ServerOptions = {
    'grpc.max_receive_message_length': Math.floor((config.max_recv_msg_size_mib || DEFAULT_MAX_RECV_MSG_SIZE_MIB) * 1024 * 1024),
  };
  if (config.max_concurrent_streams) options['grpc.max_concurrent_streams'] = config.max_concurrent_streams;
  const sp = config.keepalive.server_parameters;
  if (sp.max_connection_idle) options['grpc.max_connection_idle_ms'] = sp.max_connection_idle;
  if (sp.max_connection_age) options['grpc.max_connection_age_ms'] = sp.max_connection_age;
  if (sp.max_connection_age_grace) options['grpc.max_connection_age_grace_ms'] = sp.max_connection_age_grace;
  options['grpc.keepalive_time_ms'] = sp.time || GRPC_GO_KEEPALIVE_TIME_MS;
  // grpc-js's default ping timeout is grpc-go's 20s already.
  if (sp.timeout) options['grpc.keepalive_timeout_ms'] = sp.timeout;
  return options;
}

function metadataMap(metadata: grpc.Metadata): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [key, values] of Object.entries(metadata.toJSON())) {
    out.set(key.toLowerCase(), values.map((v) => (typeof v === 'string' ? v : v.toString('base64'))));
  }
  return out;
}

/**
 * A google.rpc.Status carrying google.rpc.RetryInfo, for the `grpc-status-details-bin` trailer.
 * OTLP clients (the Collector's and ours among them) retry RESOURCE_EXHAUSTED only when it is
 * present, and take their back-off from it for UNAVAILABLE.
 */
export function retryStatusDetails(code: grpc.status, message: string, delayMs: number): Buffer {
  const seconds = Math.floor(delayMs / 1000);
  const nanos = Math.round((delayMs - seconds * 1000) * 1e6);
  // Duration { int64 seconds = 1; int32 nanos = 2 } inside RetryInfo { Duration retry_delay = 1 }.
  const duration = protobuf.Writer.create().uint32(8).int64(seconds).uint32(16).int32(nanos).finish();
  const retryInfo = protobuf.Writer.create().uint32(10).bytes(duration).finish();
  return Buffer.from(rpcStatusType.encode({ code, message, details: [{ type_url: RETRY_INFO_TYPE, value: retryInfo }] }).finish());
}

function toServiceError(outcome: Exclude<Outcome, { kind: 'accepted' }>): Partial<grpc.StatusObject> {
  if (outcome.kind === 'permanent') return { code: grpc.status.INVALID_ARGUMENT, details: outcome.message };
  const code = outcome.throttled ? grpc.status.RESOURCE_EXHAUSTED : grpc.status.UNAVAILABLE;
  const metadata = new grpc.Metadata();
  metadata.set('grpc-status-details-bin', retryStatusDetails(code, outcome.message, outcome.retryAfterMs));
  return { code, details: outcome.message, metadata };
}

export class OtlpGrpcServer {
  private readonly server: grpc.Server;
  private boundPort = 0;

  constructor(
    private readonly config: OtlpGrpcConfig,
    private readonly ingest: Ingest,
    private readonly telemetry: ReceiverTelemetry,
    private readonly logger: Logger,
  ) {
    this.server = new grpc.Server(serverOptions(config));
    for (const signal of SIGNALS) {
      // A signal with no pipeline gets no service, so clients see UNIMPLEMENTED.
      if (!ingest.accepts(signal)) continue;
      this.server.addService(exportServiceDefinition(signal), { Export: this.handler(signal) });
    }
  }

  private handler(signal: Signal): grpc.handleUnaryCall<Buffer, Buffer> {
    const codec = otlpCodecs[signal];
    return (call, callback) => {
      let data;
      try {
        data = codec.decode(call.request);
      } catch (err) {
        this.telemetry.badRequest('undecodable');
        this.logger.debug({ signal, reason: (err as Error).message }, 'rejected undecodable gRPC request');
        callback({ code: grpc.status.INVALID_ARGUMENT, details: `cannot decode ${signal} request: ${(err as Error).message}` });
        return;
      }
      const metadata = this.config.include_metadata ? metadataMap(call.metadata) : undefined;
      void this.ingest.submit(signal, data, call.request.length, metadata, call.request).then((outcome) => {
        if (outcome.kind === 'accepted') callback(null, Buffer.from(encodeExportResponse(signal, outcome.partial)));
        else callback(toServiceError(outcome));
      });
    };
  }

  async start(): Promise<void> {
    const { host, port } = parseEndpoint(this.config.endpoint);
    let credentials = grpc.ServerCredentials.createInsecure();
    if (this.config.tls) {
      const tls = loadServerTls(this.config.tls);
      credentials = grpc.ServerCredentials.createSsl(tls.clientCa ?? null, [{ cert_chain: tls.cert, private_key: tls.key }], Boolean(tls.clientCa));
    }
    const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    this.boundPort = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(address, credentials, (err, bound) => (err ? reject(err) : resolve(bound))),
    );
    this.logger.info({ endpoint: `${host}:${this.boundPort}` }, 'OTLP/gRPC receiver listening');
  }

  port(): number {
    return this.boundPort;
  }

  /** Refuses new calls at once; calls in flight finish until the deadline, then are cut. */
  shutdown(deadline: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, Math.max(0, deadline - Date.now()));
      this.server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }
}
