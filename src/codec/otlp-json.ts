// OTLP/JSON (placeholder signature; implemented in the OTLP/JSON work package).
import type { Signal, SignalData } from '../pdata/types.js';

export function decodeOtlpJson<S extends Signal>(_signal: S, _text: string | Uint8Array): SignalData[S] {
  throw new Error('OTLP/JSON decoding is not implemented yet');
}

export function encodeOtlpJson<S extends Signal>(_signal: S, _data: SignalData[S]): string {
  throw new Error('OTLP/JSON encoding is not implemented yet');
}
