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

const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = littleEndian ? 1 : 0;
const LO = littleEndian ? 0 : 1;

function fromBits(hi: number, lo: number): number {
  words[HI] = hi;
  words[LO] = lo;
  return bits[0]!;
}

/**
 * The NaN Prometheus writes when a series disappears (bits 0x7ff0000000000002). It is a signalling
 * NaN: V8 quiets it when stored in a plain number[] (packed double elements), so keep it in
 * Float64Arrays, object fields or variables.
 */
export const STALE_NAN: number = fromBits(0x7ff00000, 0x00000002);

/** Whether `v` is the staleness marker; NaN never equals itself, so the bits are compared. */
export function isStaleNaN(v: number): boolean {
  if (v === v) return false;
  bits[0] = v;
  return words[HI] === 0x7ff00000 && words[LO] === 0x00000002;
}
