// The values a PromQL expression evaluates to at one instant, and Prometheus's staleness marker.
import type { Labels } from '../labels.js';

export interface VectorSample {
  labels: Labels;
  value: number;
}

/** Sample times or values: a plain array, or a view into the store's typed arrays. */
export type SampleArray = ArrayLike<number> & Iterable<number>;

export interface RangeSeries {
  labels: Labels;
  /** May be views into the store's buffers: read within the evaluation that produced them. */
  timestamps: SampleArray;
  values: SampleArray;
}

export type Value =
  | { type: 'scalar'; value: number }
  | { type: 'vector'; samples: VectorSample[] }
  | { type: 'matrix'; series: RangeSeries[] }
  | { type: 'string'; value: string };

export { STALE_NAN, isStaleNaN } from '../../codec/prometheus-model.js';
