// A subset of the OpenTelemetry Transformation Language's boolean conditions, enough for the
// routing connector's `condition` and `statement: route() where <condition>` as Collector users
// write them. Parsed once at validation time (errors give the column and what was expected),
// evaluated per resource, span, log record or request.
import type { AnyValue, InstrumentationScope, KeyValue, LogRecord, Resource, Span } from '../pdata/types.js';
import { int64ToNumber } from '../pdata/time.js';
import { idToHex } from '../pdata/ids.js';

export type OttlContext = 'resource' | 'span' | 'log' | 'request';

/** What one evaluation sees; which fields are set depends on the context. */
export interface OttlItem {
  resource?: Resource;
  scope?: InstrumentationScope;
  span?: Span;
  log?: LogRecord;
  metadata?: ReadonlyMap<string, readonly string[]>;
}

export type Condition = (item: OttlItem) => boolean;

export class OttlSyntaxError extends Error {
  constructor(
    message: string,
    readonly column: number,
  ) {
    super(`${message} (column ${column})`);
    this.name = 'OttlSyntaxError';
  }
}

type Value = string | number | boolean | null | Uint8Array | object;
type Getter = (item: OttlItem) => Value;

interface Token {
  kind: 'ident' | 'string' | 'number' | 'punct' | 'end';
  text: string;
  value?: string | number;
  column: number;
}

const PUNCT = ['==', '!=', '<=', '>=', '<', '>', '(', ')', '[', ']', '.', ','];

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    const column = i + 1;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"') {
      let text = '';
      i++;
      for (;;) {
        if (i >= source.length) throw new OttlSyntaxError('unterminated string', column);
        const d = source[i++]!;
        if (d === '"') break;
        if (d === '\\' && i < source.length) text += source[i++]!;
        else text += d;
      }
      tokens.push({ kind: 'string', text: source.slice(column - 1, i), value: text, column });
    } else if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(source[i + 1] ?? ''))) {
      const m = /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?/.exec(source.slice(i))!;
      tokens.push({ kind: 'number', text: m[0], value: Number(m[0]), column });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i))!;
      tokens.push({ kind: 'ident', text: m[0], column });
      i += m[0].length;
    } else {
      const p = PUNCT.find((x) => source.startsWith(x, i));
      if (!p) throw new OttlSyntaxError(`unexpected character "${c}"`, column);
      tokens.push({ kind: 'punct', text: p, column });
      i += p.length;
    }
  }
  tokens.push({ kind: 'end', text: 'end of input', column: source.length + 1 });
  return tokens;
}

/** The enum names OTTL defines for the fields conditions compare. */
const ENUMS: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
  STATUS_CODE_UNSET: 0,
  STATUS_CODE_OK: 1,
  STATUS_CODE_ERROR: 2,
  SEVERITY_NUMBER_UNSPECIFIED: 0,
  ...Object.fromEntries(
    ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].flatMap((name, k) => [
      [`SEVERITY_NUMBER_${name}`, k * 4 + 1],
      ...[2, 3, 4].map((n) => [`SEVERITY_NUMBER_${name}${n}`, k * 4 + n]),
    ]),
  ),
};

function anyValueOf(v: AnyValue | undefined): Value {
  if (!v) return null;
  if (v.stringValue != null) return v.stringValue;
  if (v.boolValue != null) return v.boolValue;
  if (v.intValue != null) return int64ToNumber(v.intValue);
  if (v.doubleValue != null) return v.doubleValue;
  if (v.bytesValue != null) return v.bytesValue;
  if (v.arrayValue != null) return v.arrayValue;
  if (v.kvlistValue != null) return v.kvlistValue;
  return null;
}

function attribute(attrs: readonly KeyValue[] | undefined, key: string): Value {
  return anyValueOf(attrs?.find((kv) => kv.key === key)?.value);
}

/** The paths each context offers: dotted names, and which of them take one `["key"]`. */
interface ContextPaths {
  keyed: Record<string, (item: OttlItem, key: string) => Value>;
  plain: Record<string, (item: OttlItem) => Value>;
}

const resourcePaths: ContextPaths['keyed'] = {
  'resource.attributes': (item, key) => attribute(item.resource?.attributes, key),
};
const scopePlain: ContextPaths['plain'] = {
  'instrumentation_scope.name': (item) => item.scope?.name ?? '',
  'instrumentation_scope.version': (item) => item.scope?.version ?? '',
};

const PATHS: Record<OttlContext, ContextPaths> = {
  resource: {
    keyed: { attributes: (item, key) => attribute(item.resource?.attributes, key), ...resourcePaths },
    plain: { dropped_attributes_count: (item) => item.resource?.droppedAttributesCount ?? 0 },
  },
  span: {
    keyed: { attributes: (item, key) => attribute(item.span?.attributes, key), ...resourcePaths },
    plain: {
      name: (item) => item.span?.name ?? '',
      kind: (item) => item.span?.kind ?? 0,
      'status.code': (item) => item.span?.status?.code ?? 0,
      'status.message': (item) => item.span?.status?.message ?? '',
      'trace_id.string': (item) => idToHex(item.span?.traceId),
      'span_id.string': (item) => idToHex(item.span?.spanId),
      'parent_span_id.string': (item) => idToHex(item.span?.parentSpanId),
      trace_state: (item) => item.span?.traceState ?? '',
      ...scopePlain,
    },
  },
  log: {
    keyed: { attributes: (item, key) => attribute(item.log?.attributes, key), ...resourcePaths },
    plain: {
      body: (item) => anyValueOf(item.log?.body),
      severity_number: (item) => item.log?.severityNumber ?? 0,
      severity_text: (item) => item.log?.severityText ?? '',
      'trace_id.string': (item) => idToHex(item.log?.traceId),
      'span_id.string': (item) => idToHex(item.log?.spanId),
      ...scopePlain,
    },
  },
  request: {
    // Header names are matched case-insensitively: receivers keep metadata lower-cased.
    keyed: { request: (item, key) => item.metadata?.get(key.toLowerCase())?.[0] ?? null },
    plain: {},
  },
};

function compare(op: string, a: Value, b: Value): boolean {
  if (op === '==' || op === '!=') {
    const equal = a === b || (a instanceof Uint8Array && b instanceof Uint8Array && Buffer.from(a).equals(Buffer.from(b)));
    return op === '==' ? equal : !equal;
  }
  // Ordering is defined between numbers and between strings; anything else is false, as in OTTL.
  if (!((typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string'))) return false;
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    default:
      return a >= b;
  }
}

class Parser {
  private readonly tokens: Token[];
  private pos = 0;

  constructor(
    source: string,
    private readonly context: OttlContext,
  ) {
    this.tokens = tokenize(source);
  }

  private get peek(): Token {
    return this.tokens[this.pos]!;
  }

  private next(): Token {
    return this.tokens[this.pos++]!;
  }

  private fail(expected: string, token = this.peek): never {
    throw new OttlSyntaxError(`expected ${expected}, found ${token.kind === 'end' ? 'end of input' : `"${token.text}"`}`, token.column);
  }

  private expect(text: string): Token {
    if (this.peek.text !== text || this.peek.kind === 'string') this.fail(`"${text}"`);
    return this.next();
  }

  private isWord(word: string): boolean {
    return this.peek.kind === 'ident' && this.peek.text === word;
  }

  /** `route() where <condition>`, the statement form the routing connector accepts. */
  parseRouteStatement(): Condition {
    if (!this.isWord('route')) this.fail('"route() where <condition>"');
    this.next();
    this.expect('(');
    this.expect(')');
    if (this.peek.kind === 'end') return () => true;
    if (!this.isWord('where')) this.fail('"where"');
    this.next();
    return this.parseAll();
  }

  parseAll(): Condition {
    const condition = this.parseOr();
    if (this.peek.kind !== 'end') this.fail('"and", "or" or end of condition');
    return condition;
  }

  private parseOr(): Condition {
    const parts = [this.parseAnd()];
    while (this.isWord('or')) {
      this.next();
      parts.push(this.parseAnd());
    }
    return parts.length === 1 ? parts[0]! : (item) => parts.some((p) => p(item));
  }

  private parseAnd(): Condition {
    const parts = [this.parseNot()];
    while (this.isWord('and')) {
      this.next();
      parts.push(this.parseNot());
    }
    return parts.length === 1 ? parts[0]! : (item) => parts.every((p) => p(item));
  }

  private parseNot(): Condition {
    if (this.isWord('not')) {
      this.next();
      const inner = this.parseNot();
      return (item) => !inner(item);
    }
    return this.parseComparison();
  }

  private parseComparison(): Condition {
    if (this.peek.text === '(' && this.peek.kind === 'punct') {
      this.next();
      const inner = this.parseOr();
      this.expect(')');
      return inner;
    }
    const left = this.parseValue();
    const op = this.peek;
    if (op.kind === 'punct' && ['==', '!=', '<', '<=', '>', '>='].includes(op.text)) {
      this.next();
      const right = this.parseValue();
      return (item) => compare(op.text, left(item), right(item));
    }
    // A lone value is a condition only when it is a boolean (a converter such as IsMatch, or true/false).
    return (item) => left(item) === true;
  }

  private parseValue(): Getter {
    const token = this.peek;
    if (token.kind === 'string' || token.kind === 'number') {
      this.next();
      const value = token.value!;
      return () => value;
    }
    if (token.kind !== 'ident') this.fail('a value (string, number, path or converter)');
    if (token.text === 'true' || token.text === 'false') {
      this.next();
      const value = token.text === 'true';
      return () => value;
    }
    if (token.text === 'nil') {
      this.next();
      return () => null;
    }
    if (token.text in ENUMS) {
      this.next();
      const value = ENUMS[token.text]!;
      return () => value;
    }
    if (this.tokens[this.pos + 1]?.text === '(') return this.parseConverter();
    return this.parsePath();
  }

  private parseConverter(): Getter {
    const name = this.next();
    this.expect('(');
    if (name.text === 'IsMatch') {
      const target = this.parseValue();
      this.expect(',');
      const pattern = this.next();
      if (pattern.kind !== 'string') this.fail('a regular expression as a string literal', pattern);
      let regex: RegExp;
      try {
        regex = new RegExp(pattern.value as string);
      } catch (err) {
        throw new OttlSyntaxError(`invalid regular expression: ${(err as Error).message}`, pattern.column);
      }
      this.expect(')');
      return (item) => {
        const v = target(item);
        return (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') && regex.test(String(v));
      };
    }
    const typeChecks: Record<string, (v: Value) => boolean> = {
      IsString: (v) => typeof v === 'string',
      IsBool: (v) => typeof v === 'boolean',
      IsInt: (v) => typeof v === 'number' && Number.isInteger(v),
      IsDouble: (v) => typeof v === 'number',
    };
    const check = typeChecks[name.text];
    if (!check) throw new OttlSyntaxError(`unknown converter "${name.text}"; supported: IsMatch, ${Object.keys(typeChecks).join(', ')}`, name.column);
    const target = this.parseValue();
    this.expect(')');
    return (item) => check(target(item));
  }

  private parsePath(): Getter {
    const start = this.peek;
    const names = [this.next().text];
    while (this.peek.text === '.' && this.peek.kind === 'punct') {
      this.next();
      const field = this.next();
      if (field.kind !== 'ident') this.fail('a field name after "."', field);
      names.push(field.text);
    }
    const path = names.join('.');
    const paths = PATHS[this.context];
    if (this.peek.text === '[' && this.peek.kind === 'punct') {
      const get = paths.keyed[path];
      if (!get) throw new OttlSyntaxError(`"${path}[...]" is not a path of the ${this.context} context; it has ${this.describe()}`, start.column);
      this.next();
      const key = this.next();
      if (key.kind !== 'string') this.fail('a key as a string literal', key);
      this.expect(']');
      if (this.peek.text === '[' && this.peek.kind === 'punct') this.fail('a single ["key"] (nested keys are not supported)');
      const k = key.value as string;
      return (item) => get(item, k);
    }
    const get = paths.plain[path];
    if (!get) throw new OttlSyntaxError(`"${path}" is not a path of the ${this.context} context; it has ${this.describe()}`, start.column);
    return get;
  }

  private describe(): string {
    const paths = PATHS[this.context];
    return [...Object.keys(paths.keyed).map((p) => `${p}["key"]`), ...Object.keys(paths.plain)].join(', ');
  }
}

/** Compiles an OTTL condition for `context`; throws OttlSyntaxError. */
export function compileCondition(source: string, context: OttlContext): Condition {
  return new Parser(source, context).parseAll();
}

/** Compiles the routing statement form `route() where <condition>`; throws OttlSyntaxError. */
export function compileRouteStatement(source: string, context: OttlContext): Condition {
  return new Parser(source, context).parseRouteStatement();
}
