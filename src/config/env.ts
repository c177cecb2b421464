// Environment expansion in config strings, with the Collector's syntax: `${env:VAR}`, `${VAR}`,
// `${env:VAR:-default}`, and `$$` for a literal `$`.
import { parse as parseYaml } from 'yaml';

export interface Expansion {
  value: unknown;
  /** Variables referenced without a default that are not set (each expanded to ""). */
  unset: string[];
  /** Malformed or unsupported references; the text is kept as written. */
  problems: string[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

interface Reference {
  /** Index just past the closing brace. */
  end: number;
  value?: string;
  unset?: string;
  problem?: string;
}

/** Resolves the reference whose `${` starts at `start`. */
function resolveReference(text: string, start: number, env: NodeJS.ProcessEnv): Reference {
  const close = text.indexOf('}', start + 2);
  if (close < 0) return { end: text.length, problem: `unterminated reference "${text.slice(start)}"` };
  const body = text.slice(start + 2, close);
  const written = text.slice(start, close + 1);
  const defaultAt = body.indexOf(':-');
  const ref = defaultAt >= 0 ? body.slice(0, defaultAt) : body;
  const fallback = defaultAt >= 0 ? body.slice(defaultAt + 2) : undefined;
  const colon = ref.indexOf(':');
  const scheme = colon >= 0 ? ref.slice(0, colon) : 'env';
  const name = colon >= 0 ? ref.slice(colon + 1) : ref;
  if (scheme !== 'env') {
    return { end: close + 1, problem: `unsupported config provider "${scheme}" in "${written}" (only env is supported)` };
  }
  if (!NAME.test(name)) return { end: close + 1, problem: `invalid environment variable name "${name}" in "${written}"` };
  const value = env[name];
  // As in the Collector, the default applies only when the variable is unset, not when it is empty.
  if (value !== undefined) return { end: close + 1, value };
  if (fallback !== undefined) return { end: close + 1, value: fallback };
  return { end: close + 1, value: '', unset: name };
}

/**
 * Expands every reference in `text`. When `typed` and the whole text is one reference, the result
 * takes the YAML type of the substituted text (a port becomes a number), as the Collector's confmap does.
 */
export function expandEnv(text: string, env: NodeJS.ProcessEnv, typed: boolean): Expansion {
  const unset: string[] = [];
  const problems: string[] = [];
  if (!text.includes('$')) return { value: text, unset, problems };

  if (typed && text.startsWith('${')) {
    const ref = resolveReference(text, 0, env);
    if (ref.end === text.length && ref.problem === undefined) {
      if (ref.unset) unset.push(ref.unset);
      return { value: typedValue(ref.value!), unset, problems };
    }
  }

  let out = '';
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf('$', i);
    if (dollar < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, dollar);
    const next = text[dollar + 1];
    if (next === '$') {
      out += '$';
      i = dollar + 2;
    } else if (next === '{') {
      const ref = resolveReference(text, dollar, env);
      if (ref.problem !== undefined) {
        problems.push(ref.problem);
        out += text.slice(dollar, ref.end);
      } else {
        if (ref.unset) unset.push(ref.unset);
        out += ref.value;
      }
      i = ref.end;
    } else {
      out += '$';
      i = dollar + 1;
    }
  }
  return { value: out, unset, problems };
}

function typedValue(text: string): unknown {
  // An empty substitution stays the empty string rather than becoming YAML null.
  if (text.trim() === '') return text;
  try {
    const parsed: unknown = parseYaml(text);
    return parsed === null || parsed === undefined ? text : parsed;
  } catch {
    return text;
  }
}
