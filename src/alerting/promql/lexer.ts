// Tokens of PromQL. Words are left for the parser to classify (keyword, function, metric or label
// name, Inf/NaN), since which one a word is depends on where it stands.

export type TokenKind = 'word' | 'number' | 'duration' | 'string' | 'punct' | 'eof';

export interface Token {
  kind: TokenKind;
  /** The token as written in the input. */
  text: string;
  /** The decoded value of a string token. */
  value: string;
  /** Offset of the token's first character. */
  pos: number;
}

/** A syntax or type error in a PromQL expression or series description. */
export class PromQLParseError extends Error {
  /** 0-based offset into the input. */
  readonly position: number;
  /** 1-based. */
  readonly line: number;
  /** 1-based, counted from the start of `line`. */
  readonly column: number;
  /** The message without its position, for callers that report positions their own way. */
  readonly reason: string;

  constructor(input: string, position: number, reason: string) {
    const before = input.slice(0, position);
    const line = before.split('\n').length;
    const column = position - (before.lastIndexOf('\n') + 1) + 1;
    super(`${line}:${column}: ${reason}`);
    this.name = 'PromQLParseError';
    this.position = position;
    this.line = line;
    this.column = column;
    this.reason = reason;
  }
}

const WORD_START = /[A-Za-z_]/;
const WORD_CHAR = /[A-Za-z0-9_]/;
const DIGIT = /[0-9]/;
const HEX = /^[0-9A-Fa-f]+$/;
const DURATION_RE = /(?:[0-9]+(?:ms|[smhdwy]))+/y;
const HEX_RE = /0[xX][0-9A-Fa-f]+/y;
const DECIMAL_RE = /(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/y;
const NUMBER_TAIL = /[A-Za-z0-9_.]/;

const SIMPLE_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };

export class Lexer {
  private pos = 0;
  // `:` separates a subquery's range from its step inside brackets but belongs to metric names
  // elsewhere, and label names inside braces cannot contain it at all.
  private bracketOpen = false;
  private braceOpen = false;

  constructor(private readonly input: string) {}

  private fail(pos: number, reason: string): never {
    throw new PromQLParseError(this.input, pos, reason);
  }

  next(): Token {
    this.skipSpaceAndComments();
    const input = this.input;
    const start = this.pos;
    if (start >= input.length) return { kind: 'eof', text: '', value: '', pos: start };
    const c = input[start]!;

    if (WORD_START.test(c) || (c === ':' && !this.bracketOpen && !this.braceOpen)) return this.word(start);
    if (c === ':' && this.braceOpen) this.fail(start, 'unexpected character inside braces: ":"');
    if (DIGIT.test(c) || (c === '.' && DIGIT.test(input[start + 1] ?? ''))) return this.number(start);
    if (c === '"' || c === "'") return this.quoted(start, c);
    if (c === '`') return this.raw(start);

    const two = input.slice(start, start + 2);
    if (two === '==' || two === '!=' || two === '<=' || two === '>=' || two === '=~' || two === '!~') return this.punct(start, two);
    if (c === '!') this.fail(start, `unexpected character after "!": ${JSON.stringify(input[start + 1] ?? '')}`);
    if ('+-*/%^<>=(),:@'.includes(c)) return this.punct(start, c);
    if (c === '[') this.bracketOpen = true;
    else if (c === ']') this.bracketOpen = false;
    else if (c === '{') this.braceOpen = true;
    else if (c === '}') this.braceOpen = false;
    else this.fail(start, `unexpected character ${JSON.stringify(c)}`);
    return this.punct(start, c);
  }

  private skipSpaceAndComments(): void {
    const input = this.input;
    while (this.pos < input.length) {
      const c = input[this.pos];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') this.pos++;
      else if (c === '#') {
        const nl = input.indexOf('\n', this.pos);
        this.pos = nl === -1 ? input.length : nl + 1;
      } else break;
    }
  }

  private punct(start: number, text: string): Token {
    this.pos = start + text.length;
    return { kind: 'punct', text, value: text, pos: start };
  }

  private word(start: number): Token {
    let end = start + 1;
    const colonAllowed = !this.braceOpen;
    while (end < this.input.length) {
      const c = this.input[end]!;
      if (WORD_CHAR.test(c) || (c === ':' && colonAllowed)) end++;
      else break;
    }
    this.pos = end;
    const text = this.input.slice(start, end);
    return { kind: 'word', text, value: text, pos: start };
  }

  private number(start: number): Token {
    const input = this.input;
    const tail = (end: number): boolean => end < input.length && NUMBER_TAIL.test(input[end]!);
    for (const [re, kind] of [
      [DURATION_RE, 'duration'],
      [HEX_RE, 'number'],
      [DECIMAL_RE, 'number'],
    ] as const) {
      re.lastIndex = start;
      const m = re.exec(input);
      if (m && !tail(re.lastIndex)) {
        this.pos = re.lastIndex;
        return { kind, text: m[0], value: m[0], pos: start };
      }
    }
    let end = start;
    while (tail(end)) end++;
    this.fail(start, `bad number or duration syntax: ${JSON.stringify(input.slice(start, end))}`);
  }

  // Go's escapes: \x and octal escapes are bytes (so a run of them may spell a UTF-8 sequence),
  // \u and \U are code points, and a quote may only be escaped inside its own kind of string.
  private quoted(start: number, quote: string): Token {
    const input = this.input;
    let value = '';
    let bytes: number[] = [];
    const flush = (): void => {
      if (bytes.length > 0) value += Buffer.from(bytes).toString('utf8');
      bytes = [];
    };
    let i = start + 1;
    for (;;) {
      if (i >= input.length || input[i] === '\n') this.fail(start, 'unterminated quoted string');
      const c = input[i]!;
      if (c === quote) break;
      if (c !== '\\') {
        flush();
        value += c;
        i++;
        continue;
      }
      const esc = input[i + 1] ?? '';
      if (esc === '' || esc === '\n') this.fail(start, 'unterminated quoted string');
      const hex = (n: number): number => {
        const digits = input.slice(i + 2, i + 2 + n);
        if (!HEX.test(digits) || digits.length !== n) {
          const seen = /^[0-9A-Fa-f]*/.exec(digits)![0];
          this.fail(i, `invalid escape sequence "\\${esc}${seen}": expected ${n} hex digits`);
        }
        return parseInt(digits, 16);
      };
      if (esc in SIMPLE_ESCAPES || esc === quote) {
        flush();
        value += SIMPLE_ESCAPES[esc] ?? esc;
        i += 2;
      } else if (esc === 'x') {
        bytes.push(hex(2));
        i += 4;
      } else if (esc >= '0' && esc <= '7') {
        const digits = input.slice(i + 1, i + 4);
        if (!/^[0-7]{3}$/.test(digits)) this.fail(i, `invalid escape sequence "\\${/^[0-7]*/.exec(digits)![0]}": expected 3 octal digits`);
        const byte = parseInt(digits, 8);
        if (byte > 255) this.fail(i, `octal escape "${digits}" is greater than 255`);
        bytes.push(byte);
        i += 4;
      } else if (esc === 'u' || esc === 'U') {
        const n = esc === 'u' ? 4 : 8;
        const cp = hex(n);
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
          this.fail(i, `escape sequence "${input.slice(i, i + 2 + n)}" is not a valid Unicode code point`);
        }
        flush();
        value += String.fromCodePoint(cp);
        i += 2 + n;
      } else {
        this.fail(i, `unknown escape sequence "\\${esc}"`);
      }
    }
    flush();
    this.pos = i + 1;
    return { kind: 'string', text: input.slice(start, i + 1), value, pos: start };
  }

  private raw(start: number): Token {
    const end = this.input.indexOf('`', start + 1);
    if (end === -1) this.fail(start, 'unterminated raw string');
    this.pos = end + 1;
    const text = this.input.slice(start, end + 1);
    // Go drops carriage returns from raw strings, so a rule file saved with CRLF reads the same.
    return { kind: 'string', text, value: text.slice(1, -1).replaceAll('\r', ''), pos: start };
  }
}
