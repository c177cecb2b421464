// Mirrors Go's text/template/exec.go, so that output and execution errors match Go's.
import { NIL, compareBytes, formatValue, goBool, goFloat, goString, goTypeName, type GoValue } from '../../gofmt.js';
import { CallError, FUNCTIONS, truth, type ParamType, type TemplateData } from './functions.js';
import { argString, type Arg, type Command, type Control, type Node, type Pipe } from './parser.js';

const DATA_TYPE = 'struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value float64 }';

export class ExecError extends Error {}
const BREAK = Symbol('break');
const CONTINUE = Symbol('continue');

export class Exec {
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

export function dataValue(d: TemplateData): GoValue {
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
