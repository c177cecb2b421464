// Label matchers as Alertmanager writes them (`severity="critical"`, `alertname=~"Foo|Bar"`,
// `env!=prod`, `job!~"x.*"`), shared by inhibit rules, silences and notifier routing.
export type MatchType = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  name: string;
  type: MatchType;
  value: string;
  /** Compiled once, anchored at both ends as Alertmanager anchors its regexes; only for =~ and !~. */
  re?: RegExp;
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

/** Throws with the reason when `pattern` is not a valid regular expression. */
export function anchoredRegExp(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`);
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
