// Prometheus regular expressions (Go RE2 syntax, always fully anchored) as JavaScript RegExps.
// The pattern is rewritten token by token so that what RE2 rejects is rejected here too
// (lookarounds, backreferences) and RE2's meaning is kept where JS differs: `.` never matches
// "\n" unless (?s), `\s` is ASCII only, a `{` that is not a repeat is a literal, and (?m) must
// not leak to the anchors Prometheus wraps the pattern in.

const SYNTAX_CHARS = '^$\\.*+?()[]{}|/';
const GO_SPACE = '\\t\\n\\f\\r ';
const MAX_REPEAT = 1000;
const CATEGORY = /^(?:[LMNPSZC][a-z]?)$/;

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

const CONTROL_ESCAPES: Record<string, string> = { a: '\\x07', f: '\\f', t: '\\t', n: '\\n', r: '\\r', v: '\\v' };

// Go quotes regexp fragments in backticks; JSON quoting would double every backslash.
const code = (fragment: string): string => `\`${fragment}\``;

interface Flags {
  i: boolean;
  s: boolean;
  m: boolean;
}

class Translator {
  private i = 0;
  private out = '';

  constructor(
    private readonly src: string,
    private readonly flags: Flags,
  ) {}

  private fail(reason: string): never {
    throw new Error(reason);
  }

  private rest(): string {
    return this.src.slice(this.i);
  }

  translate(): string {
    let depth = 0;
    const src = this.src;
    while (this.i < src.length) {
      const c = src[this.i]!;
      if (c === '\\') this.out += this.escape(false);
      else if (c === '[') this.charClass();
      else if (c === '(') {
        this.group();
        depth++;
      } else if (c === ')') {
        if (depth === 0) this.fail('unexpected ): no group to close');
        depth--;
        this.out += ')';
        this.i++;
      } else if (c === '{') this.brace();
      else {
        this.out += this.plain(c);
        this.i++;
      }
    }
    if (depth > 0) this.fail('missing closing )');
    return this.out;
  }

  private plain(c: string): string {
    switch (c) {
      case '.':
        return this.flags.s ? '.' : '[^\\n]';
      case '^':
        return this.flags.m ? '(?:^|(?<=\\n))' : '^';
      case '$':
        return this.flags.m ? '(?:$|(?=\\n))' : '$';
      case ']':
      case '}':
        return `\\${c}`;
      default:
        return c;
    }
  }

  private group(): void {
    const rest = this.rest();
    const named = /^\(\?P?<([^>]*)>/.exec(rest);
    if (!rest.startsWith('(?')) {
      this.out += '(';
      this.i++;
    } else if (rest.startsWith('(?:')) {
      this.out += '(?:';
      this.i += 3;
    } else if (named && !rest.startsWith('(?<=') && !rest.startsWith('(?<!')) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(named[1]!)) this.fail(`invalid named capture ${code(named[0])}`);
      this.out += `(?<${named[1]}>`;
      this.i += named[0].length;
    } else if (/^\(\?[-a-zA-Z]+[:)]/.test(rest)) {
      this.fail(`flag group ${code(/^\(\?[-a-zA-Z]+[:)]/.exec(rest)![0])} is only supported at the start of the pattern, as (?i), (?s) or (?m)`);
    } else {
      this.fail(`invalid or unsupported Perl syntax ${code(rest.slice(0, 3))}`);
    }
  }

  // RE2 reads `{` as a repeat only when it is one; anywhere else it is a literal brace.
  private brace(): void {
    const m = /^\{([0-9]+)(,([0-9]*))?\}/.exec(this.rest());
    if (!m) {
      this.out += '\\{';
      this.i++;
      return;
    }
    const min = Number(m[1]);
    const max = m[3] === undefined ? min : m[3] === '' ? min : Number(m[3]);
    if (min > MAX_REPEAT || max > MAX_REPEAT || max < min) this.fail(`invalid repeat count ${code(m[0])}`);
    this.out += m[0];
    this.i += m[0].length;
  }

  private charClass(): void {
    const src = this.src;
    const start = this.i;
    this.i++;
    let out = '[';
    if (src[this.i] === '^') {
      out += '^';
      this.i++;
    }
    let first = true;
    for (;;) {
      if (this.i >= src.length) this.fail(`missing closing ]: ${code(src.slice(start))}`);
      const c = src[this.i]!;
      if (c === ']' && !first) break;
      first = false;
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(this.rest());
      if (posix) {
        const ranges = POSIX_CLASSES[posix[2]!];
        if (ranges === undefined) this.fail(`invalid character class range ${code(posix[0])}`);
        if (posix[1]) this.fail(`negated POSIX class ${code(posix[0])} is not supported`);
        out += ranges;
        this.i += posix[0].length;
      } else if (c === '\\') {
        out += this.escape(true);
      } else {
        out += c === '[' || c === ']' ? `\\${c}` : c;
        this.i++;
      }
    }
    this.i++;
    this.out += `${out}]`;
  }

  private escape(inClass: boolean): string {
    const src = this.src;
    const c = src[this.i + 1];
    if (c === undefined) this.fail('trailing backslash at end of expression');
    const at = src.slice(this.i, this.i + 2);
    this.i += 2;
    if (c in CONTROL_ESCAPES) return CONTROL_ESCAPES[c]!;
    if ('dDwW'.includes(c)) return `\\${c}`;
    if (c === 's') return inClass ? GO_SPACE : `[${GO_SPACE}]`;
    if (c === 'S') return inClass ? '\\S' : `[^${GO_SPACE}]`;
    if (!inClass && (c === 'b' || c === 'B')) return `\\${c}`;
    if (!inClass && c === 'A') return '^';
    if (!inClass && c === 'z') return '$';
    if (c === 'x') return this.hexEscape();
    if (c >= '0' && c <= '7') return this.octalEscape(c);
    if (c === 'p' || c === 'P') return this.property(c);
    if (!inClass && c === 'Q') return this.quoted();
    if (c < '\x80' && !/[A-Za-z0-9]/.test(c)) {
      if (SYNTAX_CHARS.includes(c) || (inClass && c === '-')) return `\\${c}`;
      return c;
    }
    this.fail(`invalid escape sequence ${code(at)}`);
  }

  private hexEscape(): string {
    const m = /^(?:\{([0-9A-Fa-f]{1,8})\}|([0-9A-Fa-f]{2}))/.exec(this.rest());
    if (!m) this.fail(`invalid escape sequence ${code(this.src.slice(this.i - 2, this.i + 2))}`);
    const cp = parseInt(m[1] ?? m[2]!, 16);
    if (cp > 0x10ffff) this.fail(`invalid escape sequence ${code(`\\x${m[0]}`)}`);
    this.i += m[0].length;
    return `\\u{${cp.toString(16)}}`;
  }

  // RE2 has no backreferences: \1-\7 are octal only when more octal digits follow.
  private octalEscape(first: string): string {
    const more = /^[0-7]{0,2}/.exec(this.rest())![0];
    if (first !== '0' && more === '') this.fail(`invalid escape sequence ${code(`\\${first}`)} (backreferences are not supported)`);
    this.i += more.length;
    return `\\u{${parseInt(first + more, 8).toString(16)}}`;
  }

  private property(p: string): string {
    const m = /^(?:\{(\^?)([A-Za-z_]+)\}|([A-Za-z]))/.exec(this.rest());
    if (!m) this.fail(`invalid character class range ${code(this.src.slice(this.i - 2, this.i + 1))}`);
    this.i += m[0].length;
    const negated = (p === 'P') !== (m[1] === '^');
    const name = m[2] ?? m[3]!;
    if (name === 'Any') return negated ? '[^\\s\\S]' : '[\\s\\S]';
    return `\\${negated ? 'P' : 'p'}{${CATEGORY.test(name) ? name : `Script=${name}`}}`;
  }

  private quoted(): string {
    const end = this.src.indexOf('\\E', this.i);
    const literal = this.src.slice(this.i, end === -1 ? undefined : end);
    this.i = end === -1 ? this.src.length : end + 2;
    return [...literal].map((ch) => (SYNTAX_CHARS.includes(ch) ? `\\${ch}` : ch)).join('');
  }
}

/** Compiles a Prometheus regex, anchored at both ends as Prometheus anchors label matchers. */
export function compilePromRegex(source: string): RegExp {
  const flags: Flags = { i: false, s: false, m: false };
  let body = source;
  for (let lead = /^\(\?([a-zA-Z]+)\)/.exec(body); lead; lead = /^\(\?([a-zA-Z]+)\)/.exec(body)) {
    for (const f of lead[1]!) {
      if (f !== 'i' && f !== 's' && f !== 'm') {
        throw new Error(f === 'U' ? 'the ungreedy flag (?U) is not supported' : `invalid or unsupported Perl syntax ${code(lead[0])}`);
      }
      flags[f] = true;
    }
    body = body.slice(lead[0].length);
  }
  const translated = new Translator(body, flags).translate();
  try {
    return new RegExp(`^(?:${translated})$`, `u${flags.i ? 'i' : ''}${flags.s ? 's' : ''}`);
  } catch (err) {
    // V8 names the problem after the whole (translated) pattern; keep only the problem.
    const reason = (err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
    throw new Error(reason.charAt(0).toLowerCase() + reason.slice(1));
  }
}
