// Mirrors Go's text/template/parse/lex.go, so that positions and error texts match Go's.

export type Tok =
  | 'text'
  | 'left'
  | 'right'
  | 'space'
  | 'ident'
  | 'keyword'
  | 'field'
  | 'variable'
  | 'string'
  | 'raw'
  | 'char'
  | 'number'
  | 'bool'
  | 'nil'
  | 'dot'
  | 'pipe'
  | 'lparen'
  | 'rparen'
  | 'declare'
  | 'assign'
  | 'comma'
  | 'eof'
  | 'error';

export interface Item {
  typ: Tok;
  val: string;
  pos: number;
  line: number;
}

const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue']);
const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isAlnum = (c: string | undefined) => c !== undefined && /^[\p{L}\p{Nd}_]$/u.test(c);

export function lex(input: string): Item[] {
  const items: Item[] = [];
  let pos = 0;
  let start = 0;
  let line = 1;
  let startLine = 1;
  let parenDepth = 0;
  const emit = (typ: Tok, val = input.slice(start, pos)) => {
    items.push({ typ, val, pos: start, line: startLine });
    start = pos;
    startLine = line;
  };
  const advance = (n: number) => {
    for (let k = 0; k < n; k++) if (input[pos + k] === '\n') line++;
    pos += n;
  };
  const ignore = () => {
    start = pos;
    startLine = line;
  };
  const fail = (msg: string) => {
    items.push({ typ: 'error', val: msg, pos: start, line: startLine });
  };
  const rune = (): string => String.fromCodePoint(input.codePointAt(pos)!);
  const hexRune = (c: string) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} '${c}'`;

  const atRightDelim = (): { trim: boolean } | undefined => {
    if (isSpace(input[pos]) && input[pos + 1] === '-' && input.startsWith('}}', pos + 2)) return { trim: true };
    if (input.startsWith('}}', pos)) return { trim: false };
    return undefined;
  };

  // Returns false once an error or EOF has been emitted.
  const text = (): boolean => {
    const at = input.indexOf('{{', pos);
    if (at < 0) {
      advance(input.length - pos);
      if (pos > start) emit('text');
      emit('eof');
      return false;
    }
    advance(at - pos);
    let trimLeft = false;
    if (input[at + 2] === '-' && isSpace(input[at + 3])) trimLeft = true;
    if (pos > start) {
      let t = input.slice(start, pos);
      if (trimLeft) t = t.replace(/[ \t\r\n]+$/, '');
      if (t) emit('text', t);
    }
    ignore();
    return true;
  };

  const trailingTrim = () => {
    while (isSpace(input[pos])) advance(1);
    ignore();
  };

  const leftDelim = (): boolean => {
    advance(2);
    const trim = input[pos] === '-' && isSpace(input[pos + 1]);
    const afterMarker = trim ? 2 : 0;
    if (input.startsWith('/*', pos + afterMarker)) {
      advance(afterMarker);
      ignore();
      const end = input.indexOf('*/', pos + 2);
      if (end < 0) {
        fail('unclosed comment');
        return false;
      }
      advance(end + 2 - pos);
      const delim = atRightDelim();
      if (!delim) {
        fail('comment ends before closing delimiter');
        return false;
      }
      advance(delim.trim ? 4 : 2);
      if (delim.trim) trailingTrim();
      ignore();
      return true;
    }
    emit('left');
    advance(afterMarker);
    ignore();
    parenDepth = 0;
    return insideAction();
  };

  const insideAction = (): boolean => {
    for (;;) {
      const delim = atRightDelim();
      if (delim && parenDepth === 0) {
        if (delim.trim) {
          advance(2);
          ignore();
        }
        advance(2);
        emit('right');
        if (delim.trim) trailingTrim();
        return true;
      }
      if (pos >= input.length) {
        fail('unclosed action');
        return false;
      }
      const c = rune();
      if (isSpace(c)) {
        while (isSpace(input[pos]) && !(isSpace(input[pos]) && input[pos + 1] === '-' && input.startsWith('}}', pos + 2))) advance(1);
        emit('space');
      } else if (c === '=') {
        advance(1);
        emit('assign');
      } else if (c === ':') {
        if (input[pos + 1] !== '=') {
          fail('expected :=');
          return false;
        }
        advance(2);
        emit('declare');
      } else if (c === '|') {
        advance(1);
        emit('pipe');
      } else if (c === '"') {
        advance(1);
        for (;;) {
          const ch = input[pos];
          if (ch === '\\' && pos + 1 < input.length && input[pos + 1] !== '\n') advance(2);
          else if (ch === undefined || ch === '\n') {
            fail('unterminated quoted string');
            return false;
          } else if (ch === '"') break;
          else advance(1);
        }
        advance(1);
        emit('string');
      } else if (c === '`') {
        const end = input.indexOf('`', pos + 1);
        if (end < 0) {
          fail('unterminated raw quoted string');
          return false;
        }
        advance(end + 1 - pos);
        emit('raw');
      } else if (c === "'") {
        advance(1);
        for (;;) {
          const ch = input[pos];
          if (ch === '\\' && pos + 1 < input.length && input[pos + 1] !== '\n') advance(2);
          else if (ch === undefined || ch === '\n') {
            fail('unterminated character constant');
            return false;
          } else if (ch === "'") break;
          else advance(ch.length);
        }
        advance(1);
        emit('char');
      } else if (c === '$') {
        advance(1);
        while (isAlnum(input[pos])) advance(1);
        if (!endOfWord()) return false;
        emit('variable');
      } else if (c === '.') {
        if (input[pos + 1] !== undefined && input[pos + 1]! >= '0' && input[pos + 1]! <= '9') {
          if (!number()) return false;
        } else {
          advance(1);
          if (isAlnum(input[pos])) {
            while (isAlnum(input[pos])) advance(1);
            if (!endOfWord()) return false;
            emit('field');
          } else emit('dot');
        }
      } else if (c === '+' || c === '-' || (c >= '0' && c <= '9')) {
        if (!number()) return false;
      } else if (isAlnum(c)) {
        while (isAlnum(input[pos])) advance(1);
        if (!endOfWord()) return false;
        const word = input.slice(start, pos);
        if (KEYWORDS.has(word)) emit('keyword');
        else if (word === 'true' || word === 'false') emit('bool');
        else if (word === 'nil') emit('nil');
        else emit('ident');
      } else if (c === '(') {
        advance(1);
        emit('lparen');
        parenDepth++;
      } else if (c === ')') {
        advance(1);
        // A stray ")" is the parser's to report, in its context.
        parenDepth = Math.max(parenDepth - 1, 0);
        emit('rparen');
      } else if (c === ',') {
        advance(1);
        emit('comma');
      } else {
        fail(`unrecognized character in action: ${hexRune(c)}`);
        return false;
      }
    }
  };

  const endOfWord = (): boolean => {
    const c = input[pos];
    if (c === undefined || isSpace(c) || '.,|:)('.includes(c) || atRightDelim()) return true;
    fail(`bad character ${hexRune(rune())}`);
    return false;
  };

  const number = (): boolean => {
    const m = /^[+-]?(?:0[xX][0-9a-fA-F_]*(?:\.[0-9a-fA-F_]*)?(?:[pP][+-]?[0-9_]+)?|0[oO][0-7_]*|0[bB][01_]*|[0-9_]*(?:\.[0-9_]*)?(?:[eE][+-]?[0-9_]+)?)i?/.exec(input.slice(pos))!;
    advance(m[0].length);
    if (isAlnum(input[pos])) {
      advance(1);
      fail(`bad number syntax: "${input.slice(start, pos)}"`);
      return false;
    }
    emit('number');
    return true;
  };

  for (;;) {
    if (!text()) break;
    if (!leftDelim()) break;
  }
  return items;
}

export function itemString(i: Item): string {
  if (i.typ === 'eof') return 'EOF';
  if (i.typ === 'error') return i.val;
  if (i.typ === 'keyword') return `<${i.val}>`;
  if ([...i.val].length > 10) return `${goQuoteTrunc(i.val)}...`;
  return JSON.stringify(i.val);
}

const goQuoteTrunc = (s: string) => JSON.stringify([...s].slice(0, 10).join(''));
