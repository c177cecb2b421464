// Small factories for config tests: real schemas built with `s`, no behaviour (create is never called).
import { s } from '../../src/config/schema.js';
import type { Factory } from '../../src/pipeline/component.js';

function notCreated(): never {
  throw new Error('config tests never create components');
}

export const fakeFactories: readonly Factory[] = [
  {
    kind: 'receiver',
    type: 'tracesonly',
    description: 'a receiver of traces only',
    signals: ['traces'],
    schema: s.object({
      endpoint: s.string().default('0.0.0.0:4317'),
      tls: s.object({ insecure: s.bool().default(false) }),
    }),
    create: notCreated,
  },
  {
    kind: 'processor',
    type: 'batch',
    description: 'a processor of every signal',
    signals: ['traces', 'metrics', 'logs'],
    mutates: false,
    schema: s.object({ timeout: s.duration().default(200), send_batch_size: s.int({ min: 1 }).default(8192) }),
    create: notCreated,
  },
  {
    kind: 'processor',
    type: 'sampler',
    description: 'a processor of traces only',
    signals: ['traces'],
    mutates: false,
    schema: s.object({}),
    create: notCreated,
  },
  {
    kind: 'exporter',
    type: 'sink',
    description: 'an exporter of every signal',
    signals: ['traces', 'metrics', 'logs'],
    schema: s.object({ endpoint: s.string().required(), headers: s.map(s.string()).default({}) }),
    create: notCreated,
  },
  {
    kind: 'connector',
    type: 'count',
    description: 'turns traces into metrics',
    pairs: [['traces', 'metrics']],
    schema: s.object({}),
    create: notCreated,
  },
  {
    kind: 'connector',
    type: 'forward',
    description: 'joins pipelines of one signal',
    pairs: [
      ['traces', 'traces'],
      ['metrics', 'metrics'],
      ['logs', 'logs'],
    ],
    schema: s.object({}),
    create: notCreated,
  },
  {
    kind: 'extension',
    type: 'health',
    description: 'an extension',
    schema: s.object({ endpoint: s.string().default('0.0.0.0:13133') }),
    create: notCreated,
  },
] as readonly Factory[];
