// `otlp` receiver: OTLP over gRPC and HTTP, one instance shared by every pipeline that lists it.
import type { Receiver, ReceiverFactory } from '../../pipeline/component.js';
import { otlpReceiverSchema, type OtlpReceiverConfig } from './config.js';
import { Ingest } from './ingest.js';
import { OtlpGrpcServer } from './grpc-server.js';
import { OtlpHttpServer } from './http-server.js';

export type { OtlpReceiverConfig } from './config.js';

export interface OtlpReceiver extends Receiver {
  /** The bound ports (useful with port 0). */
  ports(): { grpc?: number; http?: number };
}

export const otlpReceiverFactory: ReceiverFactory<OtlpReceiverConfig> = {
  kind: 'receiver',
  type: 'otlp',
  description: 'receives OTLP over gRPC and HTTP (protobuf and JSON)',
  signals: ['traces', 'metrics', 'logs'],
  schema: otlpReceiverSchema,
  create(settings, config, next): OtlpReceiver {
    const { grpc, http } = config.protocols;
    const transport = (name: 'grpc' | 'http') => {
      const telemetry = settings.telemetry.receiver(settings.id, name);
      return { ingest: new Ingest(settings.id, name, next, telemetry), telemetry };
    };
    const grpcServer = grpc && ((t) => new OtlpGrpcServer(grpc, t.ingest, t.telemetry, settings.logger))(transport('grpc'));
    const httpServer = http && ((t) => new OtlpHttpServer(http, t.ingest, t.telemetry, settings.logger))(transport('http'));
    return {
      async start() {
        await grpcServer?.start();
        try {
          await httpServer?.start();
        } catch (err) {
          await grpcServer?.shutdown(Date.now());
          throw err;
        }
      },
      async shutdown(deadline) {
        await Promise.all([grpcServer?.shutdown(deadline), httpServer?.shutdown(deadline)]);
      },
      ports: () => ({ grpc: grpcServer?.port(), http: httpServer?.port() }),
    };
  },
};
