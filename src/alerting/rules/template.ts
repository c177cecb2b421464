// Alert label and annotation templates, expanded as Prometheus expands them: Go's text/template
// (as of the Go release Prometheus 2.42 was built with) with Prometheus's functions, the
// `{{$labels := .Labels}}…` prelude and `missingkey=zero`. Output, including error text, is meant to
// be byte-identical, so the lexer, parser and evaluator follow Go's positions and messages.
// Not supported: define/template/block, and the functions that need query results (`query`,
// `first`, `label`, `value`, `strvalue`, `sortByLabel`), which are rejected when compiling.
import {
  NIL,
  compareBytes,
  formatFloat,
  formatValue,
  goBool,
  goFloat,
  goInt,
  goString,
  goTypeName,
  sprint,
  sprintf,
  sprintln,
  type GoValue,
} from '../gofmt.js';
import { parsePromDuration } from '../promql/parser.js';

export interface TemplateData {
  labels: Record<string, string>;
  externalLabels: Record<string, string>;
  externalURL: string;
  value: number;
}

export interface CompiledTemplate {
  execute(data: TemplateData): string;
}

const PRELUDE = '{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}';
const DATA_TYPE = 'struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value float64 }';

/** A template problem in Go's words, e.g. `template: __alert_X:1: function "foo" not defined`. */
export class TemplateError extends Error {}

// ---------------------------------------------------------------------------------------------
// Lexer

type Tok =
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

interface Item {
  typ: Tok;
  val: string;
  pos: number;
  line: number;
}

const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue']);
const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isAlnum = (c: string | undefined) => c !== undefined && /^[\p{L}\p{Nd}_]$/u.test(c);

function lex(input: string): Item[] {
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

function itemString(i: Item): string {
  if (i.typ === 'eof') return 'EOF';
  if (i.typ === 'error') return i.val;
  if (i.typ === 'keyword') return `<${i.val}>`;
  if ([...i.val].length > 10) return `${goQuoteTrunc(i.val)}...`;
  return JSON.stringify(i.val);
}

const goQuoteTrunc = (s: string) => JSON.stringify([...s].slice(0, 10).join(''));

// ---------------------------------------------------------------------------------------------
// Parse tree

type Node =
  | { type: 'text'; pos: number; text: string }
  | { type: 'action'; pos: number; pipe: Pipe }
  | Control<'if'>
  | Control<'with'>
  | Control<'range'>
  | { type: 'break' | 'continue'; pos: number };

interface Control<T extends 'if' | 'with' | 'range'> {
  type: T;
  pos: number;
  pipe: Pipe;
  list: Node[];
  elseList?: Node[];
}

/** What ends an item list: {{end}} or {{else}}. */
interface Delim {
  type: 'end' | 'else';
  pos: number;
}

interface Pipe {
  type: 'pipe';
  pos: number;
  decl: string[];
  isAssign: boolean;
  cmds: Command[];
}

interface Command {
  type: 'command';
  pos: number;
  args: Arg[];
}

type Arg =
  | { type: 'ident'; pos: number; name: string }
  | { type: 'field'; pos: number; idents: string[] }
  | { type: 'variable'; pos: number; idents: string[] }
  | { type: 'chain'; pos: number; node: Arg; fields: string[] }
  | { type: 'dot'; pos: number }
  | { type: 'nil'; pos: number }
  | { type: 'bool'; pos: number; value: boolean }
  | { type: 'number'; pos: number; text: string; value: GoValue }
  | { type: 'string'; pos: number; quoted: string; value: string }
  | Pipe;

function argString(a: Arg | Command): string {
  switch (a.type) {
    case 'ident':
      return a.name;
    case 'field':
      return a.idents.map((i) => '.' + i).join('');
    case 'variable':
      return a.idents.join('.');
    case 'chain':
      return (a.node.type === 'pipe' ? `(${argString(a.node)})` : argString(a.node)) + a.fields.map((f) => '.' + f).join('');
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'bool':
      return String(a.value);
    case 'number':
      return a.text;
    case 'string':
      return a.quoted;
    case 'command':
      return a.args.map((x) => (x.type === 'pipe' ? `(${argString(x)})` : argString(x))).join(' ');
    case 'pipe': {
      const decl = a.decl.length ? `${a.decl.join(', ')} ${a.isAssign ? '=' : ':='} ` : '';
      return decl + a.cmds.map(argString).join(' | ');
    }
  }
}

// Functions from Prometheus that need a query engine; refused rather than silently misbehaving.
const QUERY_FUNCTIONS = new Set(['query', 'first', 'label', 'value', 'strvalue', 'sortByLabel']);

const isDelim = (n: Node | Delim): n is Delim => n.type === 'end' || n.type === 'else';

class Parser {
  private readonly items: Item[];
  private i = 0;
  private vars: string[] = ['$'];
  private rangeDepth = 0;
  private lastLine = 1;

  constructor(
    private readonly name: string,
    text: string,
  ) {
    this.items = lex(text);
  }

  private fail(msg: string): never {
    throw new TemplateError(`template: ${this.name}:${this.lastLine}: ${msg}`);
  }

  private next(): Item {
    const it = this.items[this.i] ?? this.items[this.items.length - 1]!;
    if (this.i < this.items.length) this.i++;
    this.lastLine = it.line;
    if (it.typ === 'error') this.fail(it.val);
    return it;
  }

  private peek(): Item {
    const it = this.items[this.i]!;
    if (it.typ === 'error') {
      this.lastLine = it.line;
      this.fail(it.val);
    }
    return it;
  }

  private backup(n = 1) {
    this.i -= n;
  }

  private nextNonSpace(): Item {
    let it = this.next();
    while (it.typ === 'space') it = this.next();
    return it;
  }

  private peekNonSpace(): Item {
    const it = this.nextNonSpace();
    this.backup();
    return it;
  }

  private unexpected(it: Item, context: string): never {
    this.fail(`unexpected ${itemString(it)} in ${context}`);
  }

  private expect(typ: Tok, context: string): Item {
    const it = this.nextNonSpace();
    if (it.typ !== typ) this.unexpected(it, context);
    return it;
  }

  parse(): Node[] {
    const root: Node[] = [];
    while (this.peek().typ !== 'eof') {
      const n = this.textOrAction();
      if (isDelim(n)) this.fail(`unexpected {{${n.type}}}`);
      root.push(n);
    }
    return root;
  }

  private itemList(): { list: Node[]; next: Delim } {
    const list: Node[] = [];
    while (this.peekNonSpace().typ !== 'eof') {
      const n = this.textOrAction();
      if (isDelim(n)) return { list, next: n };
      list.push(n);
    }
    this.fail('unexpected EOF');
  }

  private textOrAction(): Node | Delim {
    const it = this.nextNonSpace();
    if (it.typ === 'text') return { type: 'text', pos: it.pos, text: it.val };
    if (it.typ === 'left') return this.action();
    this.unexpected(it, 'input');
  }

  private action(): Node | Delim {
    const it = this.nextNonSpace();
    if (it.typ === 'keyword') {
      switch (it.val) {
        case 'if':
          return this.control('if');
        case 'range':
          return this.control('range');
        case 'with':
          return this.control('with');
        case 'else': {
          const peek = this.peekNonSpace();
          if (peek.typ === 'keyword' && peek.val === 'if') return { type: 'else', pos: peek.pos };
          return { type: 'else', pos: this.expect('right', 'else').pos };
        }
        case 'end':
          return { type: 'end', pos: this.expect('right', 'end').pos };
        case 'break':
        case 'continue': {
          if (this.rangeDepth === 0) this.fail(`{{${it.val}}} outside {{range}}`);
          const close = this.nextNonSpace();
          if (close.typ !== 'right') this.fail(`unexpected ${itemString(close)} in {{${it.val}}}`);
          return { type: it.val, pos: it.pos };
        }
        default:
          this.fail(`{{${it.val}}} is not supported by sluice's alert templates`);
      }
    }
    this.backup();
    const start = this.peek();
    return { type: 'action', pos: start.pos, pipe: this.pipeline('command', 'right') };
  }

  private control<T extends 'if' | 'with' | 'range'>(context: T): Control<T> {
    const mark = this.vars.length;
    const pipe = this.pipeline(context, 'right');
    if (context === 'range') this.rangeDepth++;
    const { list, next } = this.itemList();
    if (context === 'range') this.rangeDepth--;
    let elseList: Node[] | undefined;
    if (next.type === 'else') {
      const peek = this.peek();
      if (context === 'if' && peek.typ === 'keyword' && peek.val === 'if') {
        this.next();
        // `else if` shares the outer {{end}}.
        elseList = [this.control('if')];
      } else {
        const rest = this.itemList();
        if (rest.next.type !== 'end') this.fail('expected end; found {{else}}');
        elseList = rest.list;
      }
    }
    this.vars.length = mark;
    return { type: context, pos: pipe.pos, pipe, list, elseList };
  }

  private pipeline(context: string, end: 'right' | 'rparen'): Pipe {
    const first = this.peekNonSpace();
    const pipe: Pipe = { type: 'pipe', pos: first.pos, decl: [], isAssign: false, cmds: [] };
    decls: for (;;) {
      const v = this.peekNonSpace();
      if (v.typ !== 'variable') break;
      this.nextNonSpace();
      const next = this.peekNonSpace();
      if (next.typ === 'assign' || next.typ === 'declare') {
        pipe.isAssign = next.typ === 'assign';
        this.nextNonSpace();
        pipe.decl.push(v.val);
        this.vars.push(v.val);
        break;
      }
      if (next.typ === 'comma') {
        this.nextNonSpace();
        pipe.decl.push(v.val);
        this.vars.push(v.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const p = this.peekNonSpace();
          if (p.typ === 'variable' || p.typ === 'right' || p.typ === 'rparen') continue decls;
          this.fail('range can only initialize variables');
        }
        this.fail(`too many declarations in ${context}`);
      }
      // Not a declaration: rewind to the variable so it is read as an operand.
      this.i = this.items.indexOf(v);
      break;
    }
    for (;;) {
      const it = this.nextNonSpace();
      if (it.typ === end) {
        this.checkPipeline(pipe, context);
        return pipe;
      }
      switch (it.typ) {
        case 'bool':
        case 'char':
        case 'dot':
        case 'field':
        case 'ident':
        case 'number':
        case 'nil':
        case 'raw':
        case 'string':
        case 'variable':
        case 'lparen':
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(it, context);
      }
    }
  }

  private checkPipeline(pipe: Pipe, context: string) {
    if (pipe.cmds.length === 0) this.fail(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((c, i) => {
      const t = c.args[0]!.type;
      if (t === 'bool' || t === 'dot' || t === 'nil' || t === 'number' || t === 'string') this.fail(`non executable command in pipeline stage ${i + 2}`);
    });
  }

  private command(): Command {
    const cmd: Command = { type: 'command', pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const it = this.next();
      if (it.typ === 'space') continue;
      if (it.typ === 'right' || it.typ === 'rparen') this.backup();
      else if (it.typ !== 'pipe') this.unexpected(it, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.fail('empty command');
    return cmd;
  }

  private operand(): Arg | undefined {
    const node = this.term();
    if (!node) return undefined;
    if (this.peek().typ !== 'field') return node;
    const pos = this.peek().pos;
    const fields: string[] = [];
    while (this.peek().typ === 'field') fields.push(this.next().val.slice(1));
    switch (node.type) {
      case 'field':
        return { type: 'field', pos, idents: [...node.idents, ...fields] };
      case 'variable':
        return { type: 'variable', pos, idents: [...node.idents, ...fields] };
      case 'bool':
      case 'string':
      case 'number':
      case 'nil':
      case 'dot':
        this.fail(`unexpected . after term ${JSON.stringify(argString(node))}`);
      default:
        return { type: 'chain', pos, node, fields };
    }
  }

  private term(): Arg | undefined {
    const it = this.nextNonSpace();
    switch (it.typ) {
      case 'ident':
        if (QUERY_FUNCTIONS.has(it.val)) this.fail(`function "${it.val}" needs PromQL query results, which sluice's alert templates do not support`);
        if (!(it.val in FUNCTIONS)) this.fail(`function "${it.val}" not defined`);
        return { type: 'ident', pos: it.pos, name: it.val };
      case 'dot':
        return { type: 'dot', pos: it.pos };
      case 'nil':
        return { type: 'nil', pos: it.pos };
      case 'variable':
        if (!this.vars.includes(it.val)) this.fail(`undefined variable "${it.val}"`);
        return { type: 'variable', pos: it.pos, idents: [it.val] };
      case 'field':
        return { type: 'field', pos: it.pos, idents: [it.val.slice(1)] };
      case 'bool':
        return { type: 'bool', pos: it.pos, value: it.val === 'true' };
      case 'char':
      case 'number':
        return this.number(it);
      case 'lparen':
        return this.pipeline('parenthesized pipeline', 'rparen');
      case 'string':
      case 'raw': {
        const value = it.typ === 'raw' ? it.val.slice(1, -1).replace(/\r/g, '') : unquoteGo(it.val, '"');
        if (value === undefined) this.fail(`bad syntax: ${it.val}`);
        return { type: 'string', pos: it.pos, quoted: it.val, value };
      }
      default:
        this.backup();
        return undefined;
    }
  }

  private number(it: Item): Arg {
    const text = it.val;
    if (it.typ === 'char') {
      const s = unquoteGo(text, "'");
      if (s === undefined || [...s].length !== 1) this.fail(`malformed character constant: ${text}`);
      return { type: 'number', pos: it.pos, text, value: goInt(s.codePointAt(0)!) };
    }
    if (text.endsWith('i')) this.fail(`complex numbers are not supported: ${text}`);
    const clean = text.replace(/_/g, '');
    const body = clean.replace(/^[+-]/, '');
    const neg = clean.startsWith('-');
    let int: number | undefined;
    if (/^0[xX][0-9a-fA-F]+$/.test(body)) int = parseInt(body.slice(2), 16);
    else if (/^0[bB][01]+$/.test(body)) int = parseInt(body.slice(2), 2);
    else if (/^0[oO]?[0-7]+$/.test(body)) int = parseInt(body.replace(/^0[oO]?/, ''), 8);
    else if (/^[0-9]+$/.test(body)) int = Number(body);
    if (int !== undefined) {
      const v = neg ? -int : int;
      return { type: 'number', pos: it.pos, text, value: goInt(v) };
    }
    const f = /^0[xX]/.test(body) ? undefined : Number(body);
    if (f === undefined || Number.isNaN(f) || body === '' || body === '.') this.fail(`illegal number syntax: ${JSON.stringify(text)}`);
    return { type: 'number', pos: it.pos, text, value: goFloat(neg ? -f : f) };
  }
}

/** strconv.Unquote for "…" and '…' literals. */
function unquoteGo(s: string, q: '"' | "'"): string | undefined {
  if (s.length < 2 || s[0] !== q || s[s.length - 1] !== q) return undefined;
  const body = s.slice(1, -1);
  let out = '';
  const bytes: number[] = [];
  const flush = () => {
    if (bytes.length) out += Buffer.from(bytes).toString('utf8');
    bytes.length = 0;
  };
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      flush();
      out += c;
      continue;
    }
    const e = body[++i];
    const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', "'": "'", '"': '"' };
    if (e !== undefined && e in simple) {
      if ((e === "'" && q === '"') || (e === '"' && q === "'")) return undefined;
      flush();
      out += simple[e];
    } else if (e === 'x' || (e !== undefined && e >= '0' && e <= '7')) {
      const hex = e === 'x';
      const digits = hex ? body.slice(i + 1, i + 3) : body.slice(i, i + 3);
      if (!(hex ? /^[0-9a-fA-F]{2}$/ : /^[0-7]{3}$/).test(digits)) return undefined;
      const b = parseInt(digits, hex ? 16 : 8);
      if (b > 255) return undefined;
      bytes.push(b);
      i += hex ? 2 : 2;
    } else if (e === 'u' || e === 'U') {
      const n = e === 'u' ? 4 : 8;
      const digits = body.slice(i + 1, i + 1 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(digits)) return undefined;
      const cp = parseInt(digits, 16);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) return undefined;
      flush();
      out += String.fromCodePoint(cp);
      i += n;
    } else return undefined;
  }
  flush();
  return out;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/** A function as Go's template sees it: parameter types (for argument checks) and a body. */
interface GoFunc {
  params: ParamType[];
  variadic?: ParamType;
  builtin?: boolean;
  call(args: GoValue[], data: TemplateData): GoValue;
}

type ParamType = 'string' | 'any';

class ExecError extends Error {}
class CallError extends Error {}
const BREAK = Symbol('break');
const CONTINUE = Symbol('continue');

function truth(v: GoValue): boolean {
  switch (v.kind) {
    case 'nil':
      return false;
    case 'string':
      return v.value.length > 0;
    case 'map':
      return v.value.size > 0;
    case 'bool':
      return v.value;
    case 'float64':
    case 'int':
    case 'uint8':
      return v.value !== 0;
    default:
      return true;
  }
}

function toFloat(v: GoValue): number {
  switch (v.kind) {
    case 'float64':
    case 'int':
    case 'uint8':
      return v.value;
    case 'string': {
      const f = parseGoFloat(v.value);
      if (f === undefined) throw new CallError(`strconv.ParseFloat: parsing ${JSON.stringify(v.value)}: invalid syntax`);
      return f;
    }
    default:
      throw new CallError(`can't convert ${goTypeName(v)} to float`);
  }
}

function parseGoFloat(s: string): number | undefined {
  const t = s.replace(/_/g, '');
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(t)) return NaN;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) || /^[+-]?0[xX][0-9a-fA-F]+$/.test(t)) return Number(t.startsWith('+') ? t.slice(1) : t.replace(/^-0x/i, '-0x'));
  return undefined;
}

const g4 = (v: number) => formatFloat(v, 'g', 4);

function humanize(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return g4(v);
  if (Math.abs(v) >= 1) {
    let prefix = '';
    for (const p of ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y']) {
      if (Math.abs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
    return g4(v) + prefix;
  }
  let prefix = '';
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return g4(v) + prefix;
}

function humanize1024(v: number): string {
  if (Math.abs(v) <= 1 || !Number.isFinite(v)) return g4(v);
  let prefix = '';
  for (const p of ['ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi']) {
    if (Math.abs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return g4(v) + prefix;
}

function humanizeDuration(v: number): string {
  if (!Number.isFinite(v)) return g4(v);
  if (v === 0) return g4(v) + 's';
  if (Math.abs(v) >= 1) {
    const sign = v < 0 ? '-' : '';
    v = Math.abs(v);
    const total = Math.trunc(v);
    const seconds = total % 60;
    const minutes = Math.trunc(total / 60) % 60;
    const hours = Math.trunc(total / 3600) % 24;
    const days = Math.trunc(total / 86400);
    if (days) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`;
    if (hours) return `${sign}${hours}h ${minutes}m ${seconds}s`;
    if (minutes) return `${sign}${minutes}m ${seconds}s`;
    return `${sign}${g4(v)}s`;
  }
  let prefix = '';
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return `${g4(v)}${prefix}s`;
}

/** Prometheus keeps millisecond precision and refuses what int64 nanoseconds cannot hold. */
function floatToTime(v: number): GoValue {
  if (v * 1e9 < -9223372036854775808 || v * 1e9 > 9223372036854775807) throw new CallError(`${formatValue(goFloat(v))} cannot be represented as a nanoseconds timestamp since it overflows int64`);
  return { kind: 'time', ms: Math.trunc(Math.trunc(v * 1e9) / 1e6) };
}

/** Go's regexp (RE2) syntax, as far as JavaScript can express it. */
function goRegExp(pattern: string, global = false): RegExp {
  let flags = global ? 'gu' : 'u';
  let src = pattern;
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  if (lead) {
    src = src.slice(lead[0].length);
    for (const f of lead[1]!) if (f !== 'U' && !flags.includes(f)) flags += f;
  }
  src = src.replace(/\(\?P</g, '(?<').replace(/\\z/g, '$(?![\\s\\S])');
  try {
    return new RegExp(src, flags);
  } catch (e) {
    throw new CallError(`error parsing regexp: ${(e as Error).message}`);
  }
}

/** Regexp.Expand's template syntax: $1, ${1}, $name, ${name}, $$. */
function expandReplacement(template: string, groups: (string | undefined)[], named: Record<string, string | undefined> | undefined): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c !== '$') {
      out += c;
      continue;
    }
    if (template[i + 1] === '$') {
      out += '$';
      i++;
      continue;
    }
    let name: string | undefined;
    let end = i + 1;
    if (template[i + 1] === '{') {
      const close = template.indexOf('}', i + 2);
      const inner = close < 0 ? '' : template.slice(i + 2, close);
      if (/^\w+$/.test(inner)) {
        name = inner;
        end = close + 1;
      }
    } else {
      const m = /^\w+/.exec(template.slice(i + 1));
      if (m) {
        name = m[0];
        end = i + 1 + m[0].length;
      }
    }
    if (name === undefined) {
      out += '$';
      continue;
    }
    if (/^\d+$/.test(name)) out += groups[Number(name)] ?? '';
    else out += named?.[name] ?? '';
    i = end - 1;
  }
  return out;
}

/** net.SplitHostPort's host, or the input when it is not host:port. */
function stripPort(hostport: string): string {
  let host: string;
  if (hostport.startsWith('[')) {
    const close = hostport.indexOf(']');
    if (close < 0 || hostport[close + 1] !== ':') return hostport;
    host = hostport.slice(1, close);
    if (host.includes('[') || host.includes(']')) return hostport;
    if (hostport.slice(close + 2).includes(':') || hostport.slice(close + 2).includes('[') || hostport.slice(close + 2).includes(']')) return hostport;
    return host;
  }
  const colon = hostport.lastIndexOf(':');
  if (colon < 0) return hostport;
  host = hostport.slice(0, colon);
  if (host.includes(':') || host.includes('[') || host.includes(']')) return hostport;
  const port = hostport.slice(colon + 1);
  if (port.includes('[') || port.includes(']')) return hostport;
  return host;
}

/** strings.Title: upper-cases letters that follow a separator (space, or ASCII punctuation). */
function title(s: string): string {
  let prev = ' ';
  let out = '';
  for (const ch of s) {
    const sep = prev.codePointAt(0)! < 0x80 ? !/[A-Za-z0-9_]/.test(prev) : /\s/u.test(prev);
    out += sep ? toUpperRune(ch) : ch;
    prev = ch;
  }
  return out;
}

// Go maps rune by rune; JavaScript's multi-character mappings (ß → SS) have no Go equivalent.
const toUpperRune = (ch: string) => {
  const u = ch.toUpperCase();
  return [...u].length === 1 ? u : ch;
};
const toLowerRune = (ch: string) => {
  const l = ch.toLowerCase();
  return [...l].length === 1 ? l : ch;
};

const str = (v: GoValue) => (v as { value: string }).value;

function urlQueryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/%20/g, '+')
    .replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

type Kind = 'bool' | 'int' | 'uint' | 'float' | 'string' | 'other' | 'invalid';
function basicKind(v: GoValue): Kind {
  switch (v.kind) {
    case 'bool':
      return 'bool';
    case 'int':
      return 'int';
    case 'uint8':
      return 'uint';
    case 'float64':
      return 'float';
    case 'string':
      return 'string';
    case 'nil':
      return 'invalid';
    default:
      return 'other';
  }
}

function eq(a: GoValue, others: GoValue[]): boolean {
  if (others.length === 0) throw new CallError('missing argument for comparison');
  const k1 = basicKind(a);
  for (const b of others) {
    const k2 = basicKind(b);
    let t = false;
    if (k1 !== k2) {
      if ((k1 === 'int' && k2 === 'uint') || (k1 === 'uint' && k2 === 'int')) t = (a as { value: number }).value === (b as { value: number }).value;
      else if (a.kind !== 'nil' && b.kind !== 'nil') throw new CallError('incompatible types for comparison');
    } else if (k1 === 'other') {
      throw new CallError(`non-comparable type ${formatValue(b)}: ${goTypeName(b)}`);
    } else if (k1 === 'invalid') {
      t = true;
    } else t = (a as { value: unknown }).value === (b as { value: unknown }).value;
    if (t) return true;
  }
  return false;
}

function lt(a: GoValue, b: GoValue): boolean {
  const k1 = basicKind(a);
  const k2 = basicKind(b);
  if (k1 === 'other' || k1 === 'invalid' || k2 === 'other' || k2 === 'invalid') throw new CallError('invalid type for comparison');
  if (k1 !== k2) {
    if ((k1 === 'int' && k2 === 'uint') || (k1 === 'uint' && k2 === 'int')) return (a as { value: number }).value < (b as { value: number }).value;
    throw new CallError('incompatible types for comparison');
  }
  if (k1 === 'bool') throw new CallError('invalid type for comparison');
  if (k1 === 'string') return compareBytes(str(a), str(b)) < 0;
  return (a as { value: number }).value < (b as { value: number }).value;
}

const fn = (params: ParamType[], call: GoFunc['call'], variadic?: ParamType): GoFunc => ({ params, call, variadic });
const builtin = (params: ParamType[], call: GoFunc['call'], variadic?: ParamType): GoFunc => ({ params, call, variadic, builtin: true });
const stringFn = (f: (s: string) => string) => fn(['string'], ([s]) => goString(f(str(s!))));

const FUNCTIONS: Record<string, GoFunc> = {
  and: builtin(['any'], () => NIL, 'any'),
  or: builtin(['any'], () => NIL, 'any'),
  not: builtin(['any'], ([a]) => goBool(!truth(a!))),
  len: builtin(['any'], ([a]) => {
    if (a!.kind === 'string') return goInt(Buffer.byteLength(a!.value));
    if (a!.kind === 'map') return goInt(a!.value.size);
    throw new CallError(`len of type ${goTypeName(a!)}`);
  }),
  index: builtin(
    ['any'],
    ([item, ...indexes]) => {
      let cur = item!;
      if (cur.kind === 'nil') throw new CallError('index of untyped nil');
      for (const idx of indexes) {
        if (cur.kind === 'map') {
          if (idx.kind === 'nil') throw new CallError('value is nil; should be of type string');
          if (idx.kind !== 'string' || idx.type) throw new CallError(`value has type ${goTypeName(idx)}; should be string`);
          cur = cur.value.get(idx.value) ?? (cur.elem === 'string' ? goString('') : NIL);
        } else if (cur.kind === 'string') {
          if (idx.kind === 'nil') throw new CallError('cannot index slice/array with nil');
          if (idx.kind !== 'int' && idx.kind !== 'uint8') throw new CallError(`cannot index slice/array with type ${goTypeName(idx)}`);
          const bytes: Buffer = Buffer.from(cur.value);
          if (idx.value < 0 || idx.value > bytes.length) throw new CallError(`index out of range: ${idx.value}`);
          if (idx.value === bytes.length) throw new CallError('reflect: string index out of range');
          cur = { kind: 'uint8', value: bytes[idx.value]! };
        } else throw new CallError(`can't index item of type ${goTypeName(cur)}`);
      }
      return cur;
    },
    'any',
  ),
  print: builtin([], (args) => goString(sprint(args)), 'any'),
  printf: builtin(['string'], ([f, ...args]) => goString(sprintf(str(f!), args)), 'any'),
  println: builtin([], (args) => goString(sprintln(args)), 'any'),
  eq: builtin(['any'], ([a, ...rest]) => goBool(eq(a!, rest)), 'any'),
  ne: builtin(['any', 'any'], ([a, b]) => goBool(!eq(a!, [b!]))),
  lt: builtin(['any', 'any'], ([a, b]) => goBool(lt(a!, b!))),
  le: builtin(['any', 'any'], ([a, b]) => goBool(lt(a!, b!) || eq(a!, [b!]))),
  gt: builtin(['any', 'any'], ([a, b]) => goBool(!(lt(a!, b!) || eq(a!, [b!])))),
  ge: builtin(['any', 'any'], ([a, b]) => goBool(!lt(a!, b!))),
  urlquery: builtin([], (args) => goString(urlQueryEscape(sprint(args))), 'any'),

  humanize: fn(['any'], ([v]) => goString(humanize(toFloat(v!)))),
  humanize1024: fn(['any'], ([v]) => goString(humanize1024(toFloat(v!)))),
  humanizeDuration: fn(['any'], ([v]) => goString(humanizeDuration(toFloat(v!)))),
  humanizePercentage: fn(['any'], ([v]) => goString(g4(toFloat(v!) * 100) + '%')),
  humanizeTimestamp: fn(['any'], ([v]) => {
    const f = toFloat(v!);
    if (!Number.isFinite(f)) return goString(g4(f));
    return goString(formatValue(floatToTime(f)));
  }),
  toTime: fn(['any'], ([v]) => floatToTime(toFloat(v!))),
  toUpper: stringFn((s) => [...s].map(toUpperRune).join('')),
  toLower: stringFn((s) => [...s].map(toLowerRune).join('')),
  title: stringFn(title),
  stripPort: stringFn(stripPort),
  match: fn(['string', 'string'], ([re, s]) => goBool(goRegExp(str(re!)).test(str(s!)))),
  reReplaceAll: fn(['string', 'string', 'string'], ([re, repl, text]) =>
    goString(str(text!).replace(goRegExp(str(re!), true), (...m: unknown[]) => {
      const named = typeof m[m.length - 1] === 'object' ? (m[m.length - 1] as Record<string, string | undefined>) : undefined;
      const groupCount = m.length - (named ? 3 : 2);
      return expandReplacement(str(repl!), m.slice(0, groupCount) as (string | undefined)[], named);
    })),
  ),
  safeHtml: fn(['string'], ([s]) => ({ kind: 'string', value: str(s!), type: 'template.HTML' })),
  args: fn([], (args) => ({ kind: 'map', elem: 'interface {}', value: new Map(args.map((a, i) => [`arg${i}`, a])) }), 'any'),
  externalURL: fn([], (_, data) => goString(data.externalURL)),
  pathPrefix: fn([], (_, data) => {
    try {
      return goString(new URL(data.externalURL).pathname.replace(/^\/$/, ''));
    } catch {
      return goString('');
    }
  }),
  graphLink: stringFn((expr) => `/graph?g0.expr=${urlQueryEscape(expr)}&g0.tab=0`),
  tableLink: stringFn((expr) => `/graph?g0.expr=${urlQueryEscape(expr)}&g0.tab=1`),
  parseDuration: fn(['string'], ([d]) => {
    let ms: number;
    try {
      ms = parsePromDuration(str(d!));
    } catch {
      throw new CallError(`not a valid duration string: ${JSON.stringify(str(d!))}`);
    }
    return goFloat(ms / 1000);
  }),
};

class Exec {
  private vars: [string, GoValue][] = [];
  private at: { pos: number; text: string } | undefined;
  readonly out: string[] = [];

  constructor(
    private readonly name: string,
    private readonly source: string,
    private readonly data: TemplateData,
  ) {}

  error(msg: string): never {
    if (!this.at) throw new ExecError(`template: ${this.name}: ${msg}`);
    const before = this.source.slice(0, this.at.pos);
    const nl = before.lastIndexOf('\n');
    const line = 1 + (before.match(/\n/g)?.length ?? 0);
    const col = nl < 0 ? Buffer.byteLength(before) : Buffer.byteLength(before.slice(nl + 1));
    throw new ExecError(`template: ${this.name}:${line}:${col}: executing ${JSON.stringify(this.name)} at <${this.at.text}>: ${msg}`);
  }

  private setAt(n: { pos: number } & (Arg | Command)) {
    this.at = { pos: n.pos, text: argString(n) };
  }

  run(root: Node[], dot: GoValue) {
    this.vars.push(['$', dot]);
    this.walkList(dot, root);
  }

  private walkList(dot: GoValue, list: Node[]) {
    for (const n of list) this.walk(dot, n);
  }

  private walk(dot: GoValue, n: Node) {
    switch (n.type) {
      case 'text':
        this.out.push(n.text);
        return;
      case 'action': {
        const v = this.evalPipeline(dot, n.pipe);
        if (n.pipe.decl.length === 0) {
          this.setAt(n.pipe);
          this.out.push(v.kind === 'nil' ? '<no value>' : formatValue(v));
        }
        return;
      }
      case 'if':
      case 'with': {
        const mark = this.vars.length;
        const v = this.evalPipeline(dot, n.pipe);
        if (truth(v)) this.walkList(n.type === 'with' ? v : dot, n.list);
        else if (n.elseList) this.walkList(dot, n.elseList);
        this.vars.length = mark;
        return;
      }
      case 'range':
        return this.walkRange(dot, n);
      case 'break':
        throw BREAK;
      case 'continue':
        throw CONTINUE;
    }
  }

  private walkRange(dot: GoValue, n: Control<'range'>) {
    const mark = this.vars.length;
    const v = this.evalPipeline(dot, n.pipe);
    const iterMark = this.vars.length;
    const one = (key: GoValue, elem: GoValue): boolean => {
      if (n.pipe.decl.length > 0) this.vars[this.vars.length - 1]![1] = elem;
      if (n.pipe.decl.length > 1) this.vars[this.vars.length - 2]![1] = key;
      try {
        this.walkList(elem, n.list);
      } catch (e) {
        if (e === BREAK) return false;
        if (e !== CONTINUE) throw e;
      } finally {
        this.vars.length = iterMark;
      }
      return true;
    };
    let ran = false;
    if (v.kind === 'map') {
      for (const k of [...v.value.keys()].sort(compareBytes)) {
        ran = true;
        if (!one(goString(k), v.value.get(k)!)) break;
      }
    } else if (v.kind !== 'nil') {
      this.error(`range can't iterate over ${formatValue(v)}`);
    }
    if (!ran && n.elseList) this.walkList(dot, n.elseList);
    this.vars.length = mark;
  }

  private evalPipeline(dot: GoValue, pipe: Pipe): GoValue {
    let value: GoValue | undefined;
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, cmd, value);
    const v = value ?? NIL;
    for (const name of pipe.decl) {
      if (pipe.isAssign) {
        const slot = [...this.vars].reverse().find(([n]) => n === name);
        if (!slot) this.error(`undefined variable: ${name}`);
        slot[1] = v;
      } else this.vars.push([name, v]);
    }
    return v;
  }

  private varValue(name: string): GoValue {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i]![0] === name) return this.vars[i]![1];
    this.error(`undefined variable: ${name}`);
  }

  private notAFunction(args: Arg[], final: GoValue | undefined) {
    if (args.length > 1 || final !== undefined) this.error(`can't give argument to non-function ${argString(args[0]!)}`);
  }

  private evalCommand(dot: GoValue, cmd: Command, final: GoValue | undefined): GoValue {
    const first = cmd.args[0]!;
    switch (first.type) {
      case 'field':
        return this.evalFieldNode(dot, first, cmd.args, final);
      case 'chain':
        return this.evalChain(dot, first, cmd.args, final);
      case 'ident':
        return this.evalFunction(dot, first, cmd, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case 'variable':
        return this.evalVariable(first, cmd.args, final);
    }
    this.setAt(first);
    this.notAFunction(cmd.args, final);
    switch (first.type) {
      case 'bool':
        return goBool(first.value);
      case 'dot':
        return dot;
      case 'nil':
        this.error('nil is not a command');
      case 'number':
        return first.value;
      case 'string':
        return goString(first.value);
    }
  }

  private evalFieldNode(dot: GoValue, node: Extract<Arg, { type: 'field' }>, args: Arg[], final: GoValue | undefined): GoValue {
    this.setAt(node);
    return this.evalFieldChain(dot, node.idents, args, final);
  }

  private evalVariable(node: Extract<Arg, { type: 'variable' }>, args: Arg[], final: GoValue | undefined): GoValue {
    this.setAt(node);
    const value = this.varValue(node.idents[0]!);
    if (node.idents.length === 1) {
      this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(value, node.idents.slice(1), args, final);
  }

  private evalChain(dot: GoValue, chain: Extract<Arg, { type: 'chain' }>, args: Arg[], final: GoValue | undefined): GoValue {
    this.setAt(chain);
    const pipe = this.evalArgValue(dot, chain.node);
    return this.evalFieldChain(pipe, chain.fields, args, final);
  }

  private evalFieldChain(receiver: GoValue, idents: string[], args: Arg[], final: GoValue | undefined): GoValue {
    let v = receiver;
    idents.forEach((name, i) => {
      const last = i === idents.length - 1;
      v = this.evalField(name, v, last && (args.length > 1 || final !== undefined));
    });
    return v;
  }

  private evalField(name: string, receiver: GoValue, hasArgs: boolean): GoValue {
    if (receiver.kind === 'nil') return NIL;
    if (receiver.kind === 'struct') {
      const f = receiver.fields.find(([n]) => n === name);
      if (f) {
        if (hasArgs) this.error(`${name} has arguments but cannot be invoked as function`);
        return f[1];
      }
    }
    if (receiver.kind === 'map') {
      if (hasArgs) this.error(`${name} is not a method but has arguments`);
      return receiver.value.get(name) ?? (receiver.elem === 'string' ? goString('') : NIL);
    }
    this.error(`can't evaluate field ${name} in type ${goTypeName(receiver)}`);
  }

  /** The value of a command argument, before any parameter-type check. */
  private evalArgValue(dot: GoValue, n: Arg): GoValue {
    switch (n.type) {
      case 'dot':
        return dot;
      case 'nil':
        return NIL;
      case 'field':
        return this.evalFieldNode(dot, n, [n], undefined);
      case 'variable':
        return this.evalVariable(n, [n], undefined);
      case 'pipe':
        return this.evalPipeline(dot, n);
      case 'ident':
        return this.evalFunction(dot, n, n, [n], undefined);
      case 'chain':
        return this.evalChain(dot, n, [n], undefined);
      case 'bool':
        return goBool(n.value);
      case 'number':
        return n.value;
      case 'string':
        return goString(n.value);
    }
  }

  private evalArg(dot: GoValue, n: Arg, typ: ParamType): GoValue {
    this.setAt(n);
    const literal = n.type === 'bool' || n.type === 'number' || n.type === 'string';
    if (literal && typ !== 'any') {
      if (n.type !== 'string') this.error(`expected string; found ${argString(n)}`);
      return goString(n.value);
    }
    if (n.type === 'nil' && typ !== 'any') this.error(`cannot assign nil to ${typ}`);
    const v = this.evalArgValue(dot, n);
    return this.validateType(v, typ);
  }

  private validateType(v: GoValue, typ: ParamType): GoValue {
    if (typ === 'any') return v;
    if (v.kind === 'nil') this.error(`invalid value; expected ${typ}`);
    if (typ === 'string' && (v.kind !== 'string' || v.type)) this.error(`wrong type for value; expected string; got ${goTypeName(v)}`);
    return v;
  }

  private evalFunction(dot: GoValue, ident: Extract<Arg, { type: 'ident' }>, node: Arg | Command, args: Arg[], final: GoValue | undefined): GoValue {
    this.setAt(node);
    const f = FUNCTIONS[ident.name]!;
    const rest = args.slice(1);
    const numIn = rest.length + (final !== undefined ? 1 : 0);
    if (f.variadic) {
      if (numIn < f.params.length) this.error(`wrong number of args for ${ident.name}: want at least ${f.params.length} got ${rest.length}`);
    } else if (numIn !== f.params.length) this.error(`wrong number of args for ${ident.name}: want ${f.params.length} got ${numIn}`);
    const typeOf = (i: number): ParamType => f.params[i] ?? f.variadic!;
    if (f.builtin && (ident.name === 'and' || ident.name === 'or')) {
      let v: GoValue = NIL;
      for (const a of rest) {
        v = this.evalArg(dot, a, 'any');
        if (truth(v) === (ident.name === 'or')) return v;
      }
      return final ?? v;
    }
    const values = rest.map((a, i) => this.evalArg(dot, a, typeOf(i)));
    if (final !== undefined) {
      this.setAt(node);
      values.push(this.validateType(final, typeOf(values.length)));
    }
    this.setAt(node);
    try {
      return f.call(values, this.data);
    } catch (e) {
      if (e instanceof CallError) this.error(`error calling ${ident.name}: ${e.message}`);
      throw e;
    }
  }
}

function dataValue(d: TemplateData): GoValue {
  const labels = (r: Record<string, string>): GoValue => ({ kind: 'map', elem: 'string', value: new Map(Object.entries(r).map(([k, v]) => [k, goString(v)])) });
  return {
    kind: 'struct',
    typeName: DATA_TYPE,
    fields: [
      ['Labels', labels(d.labels)],
      ['ExternalLabels', labels(d.externalLabels)],
      ['ExternalURL', goString(d.externalURL)],
      ['Value', goFloat(d.value)],
    ],
  };
}

/**
 * Parses a rule's label or annotation template. `name` is the template's name in messages;
 * Prometheus uses `__alert_<alertname>`. Throws TemplateError with Go's message.
 */
export function compileTemplate(text: string, name = '__alert_'): CompiledTemplate {
  const source = PRELUDE + text;
  const root = new Parser(name, source).parse();
  return {
    execute(data: TemplateData): string {
      const exec = new Exec(name, source, data);
      try {
        exec.run(root, dataValue(data));
      } catch (e) {
        if (e instanceof ExecError) return `<error expanding template: error executing template ${name}: ${e.message}>`;
        throw e;
      }
      return exec.out.join('');
    },
  };
}

/** Undefined when the template parses, else the problem as Prometheus reports it at rule load. */
export function checkTemplate(text: string, name = '__alert_'): string | undefined {
  try {
    compileTemplate(text, name);
    return undefined;
  } catch (e) {
    if (e instanceof TemplateError) return e.message;
    throw e;
  }
}

const CACHE_LIMIT = 1000;
const cache = new Map<string, CompiledTemplate | string>();

/**
 * Expands a template as a Prometheus alerting rule does on each evaluation, compiling each distinct
 * text once. A template that does not parse expands to Prometheus's error text.
 */
export function expandTemplate(text: string, data: TemplateData, name = '__alert_'): string {
  const key = `${name}\u0000${text}`;
  let compiled = cache.get(key);
  if (compiled === undefined) {
    try {
      compiled = compileTemplate(text, name);
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      compiled = `<error expanding template: error parsing template ${name}: ${e.message}>`;
    }
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
    cache.set(key, compiled);
  }
  return typeof compiled === 'string' ? compiled : compiled.execute(data);
}
