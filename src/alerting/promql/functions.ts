// The functions of sluice's PromQL subset: argument types (the last may repeat or be optional)
// and the type returned, as Prometheus defines them.
import type { ValueType } from './ast.js';

export interface FunctionSignature {
  args: ValueType[];
  /** Arguments from this index on may be left out. */
  optionalFrom?: number;
  /** The last argument may repeat. */
  variadic?: boolean;
  returns: ValueType;
}

const rangeToVector: FunctionSignature = { args: ['matrix'], returns: 'vector' };
const vectorToVector: FunctionSignature = { args: ['vector'], returns: 'vector' };

export const FUNCTIONS: Record<string, FunctionSignature> = {
  rate: rangeToVector,
  irate: rangeToVector,
  increase: rangeToVector,
  delta: rangeToVector,
  idelta: rangeToVector,
  deriv: rangeToVector,
  avg_over_time: rangeToVector,
  min_over_time: rangeToVector,
  max_over_time: rangeToVector,
  sum_over_time: rangeToVector,
  count_over_time: rangeToVector,
  last_over_time: rangeToVector,
  stddev_over_time: rangeToVector,
  quantile_over_time: { args: ['scalar', 'matrix'], returns: 'vector' },
  absent: vectorToVector,
  absent_over_time: rangeToVector,
  histogram_quantile: { args: ['scalar', 'vector'], returns: 'vector' },
  abs: vectorToVector,
  ceil: vectorToVector,
  floor: vectorToVector,
  round: { args: ['vector', 'scalar'], optionalFrom: 1, returns: 'vector' },
  clamp: { args: ['vector', 'scalar', 'scalar'], returns: 'vector' },
  clamp_min: { args: ['vector', 'scalar'], returns: 'vector' },
  clamp_max: { args: ['vector', 'scalar'], returns: 'vector' },
  time: { args: [], returns: 'scalar' },
  vector: { args: ['scalar'], returns: 'vector' },
  scalar: { args: ['vector'], returns: 'scalar' },
  label_replace: { args: ['vector', 'string', 'string', 'string', 'string'], returns: 'vector' },
  label_join: { args: ['vector', 'string', 'string', 'string'], optionalFrom: 3, variadic: true, returns: 'vector' },
};
