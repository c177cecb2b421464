// A floor for the bench: a grpc-js server that hands each Export request's bytes, undecoded, to a
// grpc-js client of the sink and answers once the sink has. What any gateway built on grpc-js pays
// for the transport alone. Usage: node grpc-forwarder.mjs <listen port> <sink port>
import * as grpc from '@grpc/grpc-js';

const [listenPort, sinkPort] = process.argv.slice(2).map(Number);
const raw = { serialize: (b) => b, deserialize: (b) => b };
const method = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const client = new grpc.Client(`127.0.0.1:${sinkPort}`, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': 64 * 1024 * 1024 });
const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
server.addService(
  { Export: { path: method, requestStream: false, responseStream: false, requestSerialize: raw.serialize, requestDeserialize: raw.deserialize, responseSerialize: raw.serialize, responseDeserialize: raw.deserialize } },
  {
    Export: (call, callback) => {
      if (call.request.length === 0) return callback(null, Buffer.alloc(0));
      client.makeUnaryRequest(method, raw.serialize, raw.deserialize, call.request, (err) => callback(err, Buffer.alloc(0)));
    },
  },
);
server.bindAsync(`127.0.0.1:${listenPort}`, grpc.ServerCredentials.createInsecure(), (err) => {
  if (err) throw err;
});
process.once('SIGTERM', () => {
  client.close();
  server.forceShutdown();
});
