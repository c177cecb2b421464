// Label matchers as Alertmanager writes them (`severity="critical"`, `alertname=~"Foo|Bar"`,
// `env!=prod`, `job!~"x.*"`), shared by inhibit rules, silences and notifier routing.
import { RE2JS } from 're2js';

export type MatchType = '=' | '!=' | '=~' | '!~';

/** A fully anchored regular expression tested against label values. */
export interface LabelRegex {
  test(value: string): boolean;
}

export interface Matcher {
  name: string;
  type: MatchType;
  value: string;
  /** Compiled once, anchored at both ends as Alertmanager anchors its regexes; only for =~ and !~. */
  re?: LabelRegex;
}

/** Alertmanager treats an absent label as one with the empty value. */
export function matches(m: Matcher, labels: Readonly<Record<string, string>>): boolean {
  const v = labels[m.name] ?? '';
  switch (m.type) {
    case '=':
      return v === m.value;
    case '!=':
      return v !== m.value;
    case '=~':
      return m.re!.test(v);
    case '!~':
      return !m.re!.test(v);
  }
}

export function matchesAll(ms: readonly Matcher[], labels: Readonly<Record<string, string>>): boolean {
  return ms.every((m) => matches(m, labels));
}

/**
 * RE2, as Alertmanager's Go regexps are: the same syntax (`(?i)`, `(?P<name>...)`) and matching
 * in time linear in the value, so a silence posted to the API cannot stall the process with a
 * pattern that backtracks. Throws with the reason when `pattern` is not valid RE2.
 */
export function anchoredRegExp(pattern: string): LabelRegex {
  const re = RE2JS.compile(`^(?:${pattern})$`);
  return { test: (value) => re.matches(value) };
}

export function makeMatcher(name: string, type: MatchType, value: string): Matcher {
  const regex = type === '=~' || type === '!~';
  return regex ? { name, type, value, re: anchoredRegExp(value) } : { name, type, value };
}

const NAME = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*/;

/** Parses one matcher; throws an Error whose message says what is wrong (without repeating the text). */
export function parseMatcher(text: string): Matcher {
  const head = NAME.exec(text);
  if (!head) throw new Error('expected a label name, an operator (=, !=, =~, !~) and a value');
  const rest = text.slice(head[0].length).trimEnd();
  const value = rest.startsWith('"') ? unquote(rest) : rest;
  if (value.includes('"') && !rest.startsWith('"')) throw new Error('an unquoted value cannot contain a double quote');
  try {
    return makeMatcher(head[1]!, head[2] as MatchType, value);
  } catch (err) {
    throw new Error(`invalid regular expression: ${(err as Error).message}`);
  }
}

/** A double-quoted value with Go escapes (\", \\, \n, \t). */
function unquote(quoted: string): string {
  let out = '';
  for (let i = 1; i < quoted.length; i++) {
    const c = quoted[i]!;
    if (c === '"') {
      if (i !== quoted.length - 1) throw new Error('unexpected text after the closing quote');
      return out;
    }
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = quoted[++i];
    if (next === 'n') out += '\n';
    else if (next === 't') out += '\t';
    else if (next === '"' || next === '\\') out += next;
    else throw new Error(`unknown escape "\\${next ?? ''}"`);
  }
  throw new Error('missing closing quote');
}

export function formatMatcher(m: Matcher): string {
  return `${m.name}${m.type}${JSON.stringify(m.value)}`;
}
