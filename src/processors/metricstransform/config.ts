// The metricstransform processor's configuration: schema, defaults and the type the processor is built from.
import { s, type Infer } from '../../config/schema.js';

/** Collector configs use Go's regexp syntax, whose named groups are written (?P<name>...). */
export function goRegExp(pattern: string): RegExp {
  return new RegExp(pattern.replace(/\(\?P</g, '(?<'));
}

export const AGGREGATIONS = ['sum', 'mean', 'min', 'max', 'count', 'median'] as const;

const operationSchema = s
  .object({
    action: s.enum(['add_label', 'update_label', 'delete_label_value', 'aggregate_labels', 'aggregate_label_values']).required(),
    label: s.string().optional(),
    new_label: s.string().optional(),
    new_value: s.string().optional(),
    label_value: s.string().optional(),
    label_set: s.list(s.string()).default([]),
    aggregated_values: s.list(s.string()).default([]),
    aggregation_type: s.enum(AGGREGATIONS).optional(),
    value_actions: s.list(s.object({ value: s.string().required(), new_value: s.string().required() })).default([]),
  })
  .refine((o) => {
    switch (o.action) {
      case 'add_label':
        return o.new_label && o.new_value !== undefined ? undefined : 'add_label needs new_label and new_value';
      case 'update_label':
        return o.label ? undefined : 'update_label needs label';
      case 'delete_label_value':
        return o.label && o.label_value !== undefined ? undefined : 'delete_label_value needs label and label_value';
      case 'aggregate_labels':
        return o.aggregation_type ? undefined : 'aggregate_labels needs aggregation_type and label_set';
      case 'aggregate_label_values':
        return o.label && o.new_value !== undefined && o.aggregated_values.length && o.aggregation_type ? undefined : 'aggregate_label_values needs label, aggregated_values, new_value and aggregation_type';
    }
  });

const transformSchema = s
  .object({
    include: s.string().required(),
    match_type: s.enum(['strict', 'regexp']).default('strict'),
    action: s.enum(['update', 'insert', 'combine']).required(),
    new_name: s.string().optional(),
    /** combine: how points that end up with equal labels are aggregated. */
    aggregation_type: s.enum(AGGREGATIONS).optional(),
    submatch_case: s.enum(['', 'lower', 'upper']).default(''),
    operations: s.list(operationSchema).default([]),
  })
  .refine((t) => {
    if (t.match_type === 'regexp') {
      try {
        goRegExp(t.include);
      } catch (err) {
        return `include: invalid regular expression "${t.include}": ${(err as Error).message}`;
      }
    }
    if ((t.action === 'insert' || t.action === 'combine') && !t.new_name) return `action ${t.action} needs new_name`;
    if (t.action === 'combine' && t.match_type !== 'regexp') return 'action combine needs match_type regexp (its named groups become labels)';
    return undefined;
  });

export const metricsTransformSchema = s.object({ transforms: s.list(transformSchema).default([]) });

export type MetricsTransformConfig = Infer<typeof metricsTransformSchema>;
export type TransformConfig = MetricsTransformConfig['transforms'][number];
export type OperationConfig = TransformConfig['operations'][number];
