// The count connector's configuration: schema, defaults and the type the connector is built from.
import { s, type Infer } from '../../config/schema.js';
import { compileCondition, OttlSyntaxError } from '../../ottl/condition.js';

/** Kinds whose items OTTL conditions can be written against here. */
/** What a counter counts: the sections of the config. */
export type CountedKind = 'spans' | 'spanevents' | 'metrics' | 'datapoints' | 'logs';

const CONDITION_CONTEXT: Partial<Record<CountedKind, 'span' | 'log'>> = { spans: 'span', logs: 'log' };

function counterSchema(kind: CountedKind) {
  return s
    .object({
      description: s.string().optional(),
      /** The item is counted when any condition holds (none: every item). */
      conditions: s.list(s.string()).default([]),
      attributes: s
        .list(
          s.object({
            key: s.string().required(),
            /** Used when the item lacks the attribute; without one, such items are not counted. */
            default_value: s.string().optional(),
          }),
        )
        .default([]),
    })
    .refine((c) => {
      if (c.conditions.length === 0) return undefined;
      const context = CONDITION_CONTEXT[kind];
      if (!context) return `conditions on ${kind} are not supported (only on spans and logs)`;
      for (const condition of c.conditions) {
        try {
          compileCondition(condition, context);
        } catch (err) {
          if (err instanceof OttlSyntaxError) return `condition "${condition}": ${err.message}`;
          throw err;
        }
      }
      return undefined;
    });
}

export const countSchema = s.object({
  spans: s.map(counterSchema('spans')).optional(),
  spanevents: s.map(counterSchema('spanevents')).optional(),
  metrics: s.map(counterSchema('metrics')).optional(),
  datapoints: s.map(counterSchema('datapoints')).optional(),
  logs: s.map(counterSchema('logs')).optional(),
});

export type CountConnectorConfig = Infer<typeof countSchema>;
export type CounterConfig = NonNullable<CountConnectorConfig['spans']>[string];
