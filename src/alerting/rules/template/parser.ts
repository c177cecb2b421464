// Mirrors Go's text/template/parse/parse.go and node.go, so that parse errors match Go's.
import { goFloat, goInt, type GoValue } from '../../gofmt.js';
import { FUNCTIONS } from './functions.js';
import { itemString, lex, type Item, type Tok } from './lexer.js';

/** A template problem in Go's words, e.g. `template: __alert_X:1: function "foo" not defined`. */
export class TemplateError extends Error {}

export type Node =
  | { type: 'text'; pos: number; text: string }
  | { type: 'action'; pos: number; pipe: Pipe }
  | Control<'if'>
  | Control<'with'>
  | Control<'range'>
  | { type: 'break' | 'continue'; pos: number };

export interface Control<T extends 'if' | 'with' | 'range'> {
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

export interface Pipe {
  type: 'pipe';
  pos: number;
  decl: string[];
  isAssign: boolean;
  cmds: Command[];
}

export interface Command {
  type: 'command';
  pos: number;
  args: Arg[];
}

export type Arg =
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

export function argString(a: Arg | Command): string {
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

export class Parser {
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
