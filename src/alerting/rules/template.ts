// Alert label and annotation templates, expanded as Prometheus expands them: Go's text/template
// (as of the Go release Prometheus 2.42 was built with) with Prometheus's functions, the
// `{{$labels := .Labels}}…` prelude and `missingkey=zero`. Output, including error text, is meant to
// be byte-identical, so the lexer, parser and evaluator follow Go's positions and messages.
// Not supported: define/template/block, and the functions that need query results (`query`,
// `first`, `label`, `value`, `strvalue`, `sortByLabel`), which are rejected when compiling.
import { Exec, ExecError, dataValue } from './template/executor.js';
import type { TemplateData } from './template/functions.js';
import { Parser, TemplateError } from './template/parser.js';

export { TemplateError, type TemplateData };

export interface CompiledTemplate {
  execute(data: TemplateData): string;
}

const PRELUDE = '{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}';

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
