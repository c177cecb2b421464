// `forward`: joins pipelines of the same signal, e.g. a shared front half feeding two back halves.
import { s } from '../../config/schema.js';
import type { ConnectorFactory } from '../../pipeline/component.js';

export const forwardConnectorFactory: ConnectorFactory<object> = {
  kind: 'connector',
  type: 'forward',
  description: 'passes data unchanged from the pipelines it exports in to the pipelines it receives in',
  schema: s.object({}),
  pairs: [
    ['traces', 'traces'],
    ['metrics', 'metrics'],
    ['logs', 'logs'],
  ],
  create: (_settings, _config, _from, _to, next) => ({
    // Whoever sits behind us decides whether the data we pass on gets changed.
    mutates: next.all.mutates,
    consume: (envelope) => next.all.consume(envelope),
    start: async () => {},
    shutdown: async () => {},
  }),
};
