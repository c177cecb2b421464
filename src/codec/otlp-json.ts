// OTLP/JSON: the protobuf JSON mapping with OTLP's exceptions (trace/span ids as hex, enums as
// integers). One converter, driven by protobufjs reflection of the request Type, serves all three
// signals in both directions; decoding yields the same objects (message instances, Long, Buffer)
// that `otlpCodecs[signal].decode` yields, so the rest of the pipeline cannot tell the two apart.
import type Long from 'long';
import protobuf from 'protobufjs';
import { idToHex } from '../pdata/ids.js';
import type { Signal, SignalData } from '../pdata/types.js';
import { otlpCodecs } from './otlp-proto.js';

/** A malformed OTLP/JSON request; `path` names the offending field (empty when the text is not JSON at all). */
export class OtlpJsonError extends Error {
  constructor(
    readonly detail: string,
    public path = '',
    /** A 64-bit field met a JSON number that JSON.parse may have rounded. */
    readonly roundedNumber = false,
  ) {
    super(detail);
    this.name = 'OtlpJsonError';
  }
}

/** Decodes an OTLP/JSON request into pdata; throws OtlpJsonError (a client error) on anything malformed. */
export function decodeOtlpJson<S extends Signal>(signal: S, text: string | Uint8Array): SignalData[S] {
  const spec = messageSpec(otlpCodecs[signal].request);
  try {
    const str = typeof text === 'string' ? text : decodeUtf8(text);
    try {
      return decodeMessage(spec, parseJson(str), 0) as unknown as SignalData[S];
    } catch (e) {
      if (!(e instanceof OtlpJsonError && e.roundedNumber)) throw e;
      return decodeMessage(spec, parseJson(markBigIntegers(str)), 0) as unknown as SignalData[S];
    }
  } catch (e) {
    if (e instanceof OtlpJsonError) {
      e.message = `invalid OTLP/JSON ${signal} request${e.path ? ` at ${e.path}` : ''}: ${e.detail}`;
    }
    throw e;
  }
}

/** Ids as lower-case hex, 64-bit integers as decimal strings, proto3 defaults omitted except where presence is data. */
export function encodeOtlpJson<S extends Signal>(signal: S, data: SignalData[S]): string {
  return encodeMessage(messageSpec(otlpCodecs[signal].request), data as unknown as Fields);
}

// ---- per-Type field tables ----

const K_MESSAGE = 0;
const K_STRING = 1;
const K_BOOL = 2;
const K_INT32 = 3;
const K_UINT32 = 4;
const K_INT64 = 5;
const K_UINT64 = 6;
const K_DOUBLE = 7;
const K_BYTES = 8;
const K_HEX_ID = 9;
const K_ENUM = 10;
/** The key of a big-integer marker, met where a message was expected. */
const K_MARKER = 11;

const SCALAR_KINDS: Record<string, number> = {
  string: K_STRING,
  bool: K_BOOL,
  int32: K_INT32,
  sint32: K_INT32,
  sfixed32: K_INT32,
  uint32: K_UINT32,
  fixed32: K_UINT32,
  int64: K_INT64,
  sint64: K_INT64,
  sfixed64: K_INT64,
  uint64: K_UINT64,
  fixed64: K_UINT64,
  double: K_DOUBLE,
  float: K_DOUBLE,
  bytes: K_BYTES,
};

/** The OTLP spec's exception to the protobuf JSON mapping: these bytes fields are hex, with a fixed size. */
const HEX_ID_BYTES: Record<string, number> = { traceId: 16, spanId: 8, parentSpanId: 8 };

interface FieldSpec {
  /** Property name on decoded objects and key on encode (protobufjs's lowerCamelCase = the JSON name). */
  name: string;
  /** `"name":`, ready to append. */
  jsonKey: string;
  kind: number;
  repeated: boolean;
  /** Oneof members and proto3 `optional` fields: a default value is still data (a gauge of 0). */
  explicitPresence: boolean;
  /** Real oneof members carry a non-null default on the protobufjs prototype, so only an own property counts. */
  ownPropertyOnly: boolean;
  /** One bit per real oneof of the message (0 otherwise), to refuse two members of the same oneof. */
  oneofBit: number;
  hexIdBytes: number;
  message: MessageSpec | null;
  enumValues: Map<string, number> | null;
}

interface MessageSpec {
  ctor: new () => Fields;
  fields: FieldSpec[];
  /** JSON key (lowerCamelCase and the proto's snake_case) → field. */
  byKey: Record<string, FieldSpec | undefined>;
}

type Fields = Record<string, unknown>;

const specs = new WeakMap<protobuf.Type, MessageSpec>();

const MARKER_FIELD: FieldSpec = {
  name: '',
  jsonKey: '',
  kind: K_MARKER,
  repeated: false,
  explicitPresence: false,
  ownPropertyOnly: false,
  oneofBit: 0,
  hexIdBytes: 0,
  message: null,
  enumValues: null,
};

function messageSpec(type: protobuf.Type): MessageSpec {
  let spec = specs.get(type);
  if (spec) return spec;
  // Registered before the fields are filled in so recursive types (AnyValue ↔ ArrayValue) terminate.
  spec = { ctor: type.ctor as unknown as new () => Fields, fields: [], byKey: Object.assign(Object.create(null) as Record<string, FieldSpec>, { [BIG_INTEGER_KEY]: MARKER_FIELD }) };
  specs.set(type, spec);
  for (const field of type.fieldsArray) {
    field.resolve();
    const resolved = field.resolvedType;
    const isSyntheticOneof = field.partOf !== null && field.options?.['proto3_optional'] === true;
    const f: FieldSpec = {
      name: field.name,
      jsonKey: `${JSON.stringify(field.name)}:`,
      kind: fieldKind(field),
      repeated: field.repeated,
      explicitPresence: field.partOf !== null,
      ownPropertyOnly: field.partOf !== null && !isSyntheticOneof,
      oneofBit: field.partOf !== null && !isSyntheticOneof ? 1 << type.oneofsArray.indexOf(field.partOf) : 0,
      hexIdBytes: field.type === 'bytes' ? (HEX_ID_BYTES[field.name] ?? 0) : 0,
      message: resolved instanceof protobuf.Type ? messageSpec(resolved) : null,
      enumValues: resolved instanceof protobuf.Enum ? new Map(Object.entries(resolved.values)) : null,
    };
    if (f.hexIdBytes) f.kind = K_HEX_ID;
    spec.fields.push(f);
    spec.byKey[field.name] = f;
    spec.byKey[field.protoName] = f;
  }
  return spec;
}

function fieldKind(field: protobuf.Field): number {
  if (field.map) throw new Error(`OTLP/JSON: map field ${field.fullName} is not supported`);
  if (field.resolvedType instanceof protobuf.Type) return K_MESSAGE;
  if (field.resolvedType instanceof protobuf.Enum) return K_ENUM;
  const kind = SCALAR_KINDS[field.type];
  if (kind === undefined) throw new Error(`OTLP/JSON: field type ${field.type} of ${field.fullName} is not supported`);
  return kind;
}

// ---- parsing: exact 64-bit integers ----

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new OtlpJsonError('body is not valid UTF-8');
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new OtlpJsonError(`malformed JSON: ${(e as Error).message}`);
  }
}

// JSON.parse rounds integer literals beyond 2^53, and Node 20 has no reviver access to the source
// text. The spec writes 64-bit values as strings, but numbers must be accepted too. A literal
// that was rounded always comes out as an unsafe integer, so the common path is the plain native
// parse; only when a 64-bit field meets an unsafe integer is the text parsed again, after this
// scanner (which skips strings) has turned every integer literal of 16+ digits into a marker
// object `{"\u0000int":"<digits>"}`. Numeric decoders read the marker's digits exactly; anywhere
// else a marker is refused as the number it was.
const BIG_INTEGER_KEY = '\u0000int';

function markBigIntegers(text: string): string {
  let out = '';
  let copied = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      i = endOfString(text, i + 1);
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      const start = i;
      let digits = c === 0x2d ? 0 : 1;
      let integer = true;
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d >= 0x30 && d <= 0x39) digits++;
        else if (d === 0x2e || d === 0x65 || d === 0x45 || d === 0x2b || d === 0x2d) integer = false;
        else break;
      }
      // A leading zero is not JSON; leaving such a token alone lets JSON.parse refuse it.
      if (integer && digits >= 16 && text.charCodeAt(c === 0x2d ? start + 1 : start) !== 0x30) {
        out += `${text.slice(copied, start)}{"\\u0000int":"${text.slice(start, i)}"}`;
        copied = i;
      }
    } else {
      i++;
    }
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** Index just past the closing quote of the string whose body starts at `i` (n if unterminated). */
function endOfString(text: string, i: number): number {
  for (;;) {
    const q = text.indexOf('"', i);
    if (q < 0) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(q - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return q + 1;
    i = q + 1;
  }
}

function bigIntegerDigits(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const digits = (v as Fields)[BIG_INTEGER_KEY];
  return typeof digits === 'string' ? digits : undefined;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') {
    const digits = bigIntegerDigits(v);
    return digits === undefined ? 'object' : `number ${digits}`;
  }
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `${typeof v} ${String(v)}`;
}

function fail(expected: string, v: unknown): never {
  throw new OtlpJsonError(`expected ${expected}, got ${describe(v)}`);
}

// ---- decode ----

/** Same bound as protobufjs's decoder, so nesting that protobuf would refuse is refused here too. */
const MAX_DEPTH = protobuf.util.recursionLimit;

function decodeMessage(spec: MessageSpec, json: unknown, depth: number): Fields {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('object', json);
  if (depth > MAX_DEPTH) throw new OtlpJsonError(`nesting deeper than ${MAX_DEPTH}`);
  const out = new spec.ctor();
  const obj = json as Fields;
  let key = '';
  let oneofsSet = 0;
  try {
    for (key in obj) {
      const f = spec.byKey[key];
      const v = obj[key];
      // null is the JSON mapping's spelling of "absent"; unknown keys are ignored for forward compatibility.
      if (f === undefined || v === null) continue;
      if (f.oneofBit !== 0) {
        if ((oneofsSet & f.oneofBit) !== 0) throw new OtlpJsonError('a second member of the same oneof is set');
        oneofsSet |= f.oneofBit;
      }
      if (f.repeated) {
        out[f.name] = decodeList(f, v, depth);
      } else {
        const d = decodeValue(f, v, depth);
        if (f.explicitPresence || !isDefault(f.kind, d)) out[f.name] = d;
      }
    }
  } catch (e) {
    throw key === BIG_INTEGER_KEY ? e : prefixPath(e, key);
  }
  return out;
}

function decodeList(f: FieldSpec, v: unknown, depth: number): unknown[] {
  if (!Array.isArray(v)) fail('array', v);
  const out = new Array<unknown>(v.length);
  let i = 0;
  try {
    for (; i < v.length; i++) {
      const e: unknown = v[i];
      if (e === null) fail(f.message ? 'object' : 'value', e);
      out[i] = decodeValue(f, e, depth);
    }
  } catch (e) {
    throw prefixPath(e, `[${i}]`);
  }
  return out;
}

function prefixPath(e: unknown, segment: string): unknown {
  if (e instanceof OtlpJsonError) {
    e.path = e.path === '' ? segment : e.path.charCodeAt(0) === 0x5b /* [ */ ? segment + e.path : `${segment}.${e.path}`;
  }
  return e;
}

function decodeValue(f: FieldSpec, v: unknown, depth: number): unknown {
  switch (f.kind) {
    case K_MESSAGE:
      return decodeMessage(f.message!, v, depth + 1);
    case K_STRING:
      return typeof v === 'string' ? v : fail('string', v);
    case K_BOOL:
      return typeof v === 'boolean' ? v : fail('boolean', v);
    case K_INT32:
      return decodeInt32(v, -0x80000000, 0x7fffffff);
    case K_UINT32:
      return decodeInt32(v, 0, 0xffffffff);
    case K_INT64:
      return decodeInt64(v, false);
    case K_UINT64:
      return decodeInt64(v, true);
    case K_DOUBLE:
      return decodeDouble(v);
    case K_BYTES:
      return decodeBase64(v);
    case K_HEX_ID:
      return decodeHexId(v, f.hexIdBytes);
    case K_MARKER:
      throw new OtlpJsonError(`expected object, got number ${String(v)}`);
    default:
      return decodeEnum(v, f.enumValues!);
  }
}

function isDefault(kind: number, d: unknown): boolean {
  switch (kind) {
    case K_MESSAGE:
      return false;
    case K_INT64:
    case K_UINT64:
      return (d as Long).low === 0 && (d as Long).high === 0;
    case K_BYTES:
    case K_HEX_ID:
      return (d as Uint8Array).length === 0;
    default:
      return d === 0 || d === '' || d === false;
  }
}

function decodeInt32(v: unknown, min: number, max: number): number {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && isIntegerText(v)) n = Number(v);
  else n = Number(bigIntegerDigits(v) ?? fail('integer', v));
  if (!Number.isInteger(n) || n < min || n > max) fail(`integer in [${min}, ${max}]`, v);
  return n;
}

function decodeEnum(v: unknown, values: Map<string, number>): number {
  if (typeof v === 'string') {
    const n = values.get(v);
    return n === undefined ? fail(`one of ${[...values.keys()].join(', ')}`, v) : n;
  }
  // Enums are open in proto3: unknown numbers are kept, as the protobuf decoder keeps them.
  if (typeof v !== 'number' || !Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) fail('enum number or name', v);
  return v;
}

function decodeDouble(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (v === 'NaN') return NaN;
    if (v === 'Infinity') return Infinity;
    if (v === '-Infinity') return -Infinity;
    const n = Number(v);
    if (v !== '' && v.trim() === v && Number.isFinite(n)) return n;
  }
  return Number(bigIntegerDigits(v) ?? fail('number', v));
}

// protobufjs loads the CommonJS build of `long`, a different class from the ES module one; building
// with protobufjs's own keeps decoded objects indistinguishable from what its decoder returns.
const ProtoLong = protobuf.util.Long as typeof Long;
const UINT64_LIMIT = 1n << 64n;
const INT64_LIMIT = 1n << 63n;
const LOW_32 = 0xffffffffn;

/** 64-bit integers as Long (what protobufjs decodes to), from decimal strings or JSON numbers, exactly. */
function decodeInt64(v: unknown, unsigned: boolean): Long {
  let text: string;
  if (typeof v === 'string') {
    if (!isIntegerText(v)) fail('integer', v);
    text = v;
  } else if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) return int64FromSafe(v, unsigned, v);
    if (!Number.isInteger(v)) fail('integer', v);
    throw new OtlpJsonError(`expected integer, got number ${v}: beyond 2^53 a JSON number is not exact, write it as a string`, '', true);
  } else {
    text = bigIntegerDigits(v) ?? fail('integer', v);
  }
  // Up to 15 digits is below 2^53 and converts exactly through a double.
  if (text.length <= 15) return int64FromSafe(Number(text), unsigned, v);
  const b = BigInt(text);
  if (unsigned ? b < 0n || b >= UINT64_LIMIT : b < -INT64_LIMIT || b >= INT64_LIMIT) {
    fail(unsigned ? 'unsigned 64-bit integer' : 'signed 64-bit integer', v);
  }
  const bits = BigInt.asUintN(64, b);
  return ProtoLong.fromBits(Number(bits & LOW_32), Number(bits >> 32n), unsigned);
}

function int64FromSafe(n: number, unsigned: boolean, original: unknown): Long {
  if (unsigned && n < 0) fail('unsigned 64-bit integer', original);
  return ProtoLong.fromNumber(n, unsigned);
}

/** An optional minus sign and at least one decimal digit, nothing else. */
function isIntegerText(s: string): boolean {
  const n = s.length;
  let i = n > 1 && s.charCodeAt(0) === 0x2d ? 1 : 0;
  if (i === n) return false;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

// Standard or URL-safe alphabet, padding optional: the protobuf JSON mapping accepts both on input.
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function decodeBase64(v: unknown): Buffer {
  if (typeof v !== 'string' || !BASE64.test(v) || v.replace(/=+$/, '').length % 4 === 1) return fail('base64 string', v);
  return Buffer.from(v, 'base64');
}

const HEX_NIBBLE = new Int8Array(128).fill(-1);
for (let c = 0; c < 10; c++) HEX_NIBBLE[0x30 + c] = c;
for (let c = 0; c < 6; c++) HEX_NIBBLE[0x41 + c] = HEX_NIBBLE[0x61 + c] = 10 + c;

/** A hex id of exactly `bytes` bytes; the empty string means "no id" (e.g. a root span's parent). */
function decodeHexId(v: unknown, bytes: number): Buffer {
  if (typeof v !== 'string') return fail(`hex string of ${bytes} bytes`, v);
  if (v.length === 0) return EMPTY_BYTES;
  if (v.length !== bytes * 2) fail(`hex string of ${bytes} bytes (${bytes * 2} hex digits)`, v);
  const out = Buffer.allocUnsafe(bytes);
  for (let i = 0; i < bytes; i++) {
    const hi = v.charCodeAt(2 * i);
    const lo = v.charCodeAt(2 * i + 1);
    const h = hi < 128 ? HEX_NIBBLE[hi]! : -1;
    const l = lo < 128 ? HEX_NIBBLE[lo]! : -1;
    if (h < 0 || l < 0) fail(`hex string of ${bytes} bytes`, v);
    out[i] = (h << 4) | l;
  }
  return out;
}

const EMPTY_BYTES = Buffer.alloc(0);

// ---- encode ----

function encodeMessage(spec: MessageSpec, msg: Fields): string {
  let out = '{';
  for (const f of spec.fields) {
    const v = msg[f.name];
    if (v === undefined || v === null) continue;
    let s: string | undefined;
    if (f.repeated) {
      const list = v as unknown[];
      if (list.length === 0) continue;
      s = '[';
      for (let i = 0; i < list.length; i++) s += (i ? ',' : '') + encodeValue(f, list[i], true);
      s += ']';
    } else {
      if (f.ownPropertyOnly && !Object.prototype.hasOwnProperty.call(msg, f.name)) continue;
      s = encodeValue(f, v, f.explicitPresence);
      if (s === undefined) continue;
    }
    out += (out.length > 1 ? ',' : '') + f.jsonKey + s;
  }
  return `${out}}`;
}

/** The JSON text of one value, or undefined for a proto3 default that is not kept. */
function encodeValue(f: FieldSpec, v: unknown, keepDefault: boolean): string | undefined {
  switch (f.kind) {
    case K_MESSAGE:
      return encodeMessage(f.message!, v as Fields);
    case K_STRING:
      return v === '' && !keepDefault ? undefined : JSON.stringify(v);
    case K_BOOL:
      return v ? 'true' : keepDefault ? 'false' : undefined;
    case K_INT32:
    case K_UINT32:
    case K_ENUM:
      return v === 0 && !keepDefault ? undefined : String(v);
    case K_INT64:
    case K_UINT64:
      return encodeInt64(v as Long | number | string, f.kind === K_UINT64, keepDefault);
    case K_DOUBLE:
      return encodeDouble(v as number, keepDefault);
    case K_BYTES: {
      const b = v as Uint8Array;
      if (b.length === 0 && !keepDefault) return undefined;
      return `"${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64')}"`;
    }
    default: {
      const b = v as Uint8Array;
      return b.length === 0 ? undefined : `"${idToHex(b)}"`;
    }
  }
}

function encodeDouble(v: number, keepDefault: boolean): string | undefined {
  if (v === 0 && !keepDefault) return undefined;
  if (Number.isFinite(v)) return String(v);
  return Number.isNaN(v) ? '"NaN"' : v > 0 ? '"Infinity"' : '"-Infinity"';
}

function encodeInt64(v: Long | number | string, unsigned: boolean, keepDefault: boolean): string | undefined {
  let text: string;
  if (typeof v === 'number') text = Number.isSafeInteger(v) ? String(v) : BigInt(Math.trunc(v)).toString();
  else if (typeof v === 'string') text = v;
  else text = longToDecimal(v.low, v.high, unsigned);
  return text === '0' && !keepDefault ? undefined : `"${text}"`;
}

/** Decimal text of the 64 bits, read as the field's signedness (whatever signedness the Long carries). */
function longToDecimal(low: number, high: number, unsigned: boolean): string {
  const h = unsigned ? high >>> 0 : high | 0;
  // |h| < 2^21 keeps h·2^32 + low below 2^53, so the double arithmetic is exact.
  if (h < 0x200000 && h >= -0x200000) return String(h * 4294967296 + (low >>> 0));
  const bits = (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
  return (unsigned ? bits : BigInt.asIntN(64, bits)).toString();
}
