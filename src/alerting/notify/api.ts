// The silences API with Alertmanager's routes and JSON model, as plain status and body so whoever
// serves HTTP mounts it: `/api/v1/silences[/<id>]`, and also `/api/v2/silences` and
// `/api/v2/silence/<id>` so amtool can talk to it.
import { anchoredRegExp } from './matchers.js';
import { SilenceLimitError, type Silence, type SilenceMatcher, type SilenceSpec, type SilenceStore } from './silences.js';

export interface ApiReply {
  status: number;
  body: unknown;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const STATE_ORDER = { active: 0, pending: 1, expired: 2 } as const;

class BadRequest extends Error {}

const ERROR_TYPES: Readonly<Record<number, string>> = { 400: 'bad_data', 404: 'not_found', 405: 'method_not_allowed' };

/** The error shape the rest of the status API (Prometheus's) uses. */
const error = (status: number, message: string): ApiReply => ({ status, body: { status: 'error', errorType: ERROR_TYPES[status], error: message } });

export function handleSilencesApi(store: SilenceStore, now: () => number, method: string, path: string, _query: URLSearchParams, body: unknown): ApiReply {
  const route = /^\/api\/(?:v1\/silences|v2\/silences|v2\/silence)(?:\/([^/]+))?\/?$/.exec(path);
  if (!route) return error(404, `no such endpoint: ${path}`);
  let id: string | undefined;
  try {
    id = route[1] === undefined ? undefined : decodeURIComponent(route[1]);
  } catch {
    return error(400, `the silence id in ${path} is not valid percent-encoding`);
  }
  const verb = method.toUpperCase();
  if (id === undefined) {
    if (verb === 'GET') return { status: 200, body: sorted(store, now()).map((s) => present(store, s)) };
    if (verb === 'POST') return post(store, now(), body);
    return error(405, `${verb} is not allowed on ${path} (use GET or POST)`);
  }
  const silence = store.get(id);
  if (verb === 'GET') return silence ? { status: 200, body: present(store, silence) } : error(404, `silence ${id} not found`);
  if (verb === 'DELETE') {
    if (!silence) return error(404, `silence ${id} not found`);
    if (!store.expire(id)) return error(400, `silence ${id} has already expired`);
    return { status: 200, body: present(store, store.get(id)!) };
  }
  return error(405, `${verb} is not allowed on ${path} (use GET or DELETE)`);
}

/** Active first (ending soonest first), then pending (starting soonest), then expired (most recent first), as Alertmanager lists them. */
function sorted(store: SilenceStore, now: number): Silence[] {
  return store.list().sort((a, b) => {
    const sa = store.state(a, now);
    const sb = store.state(b, now);
    if (sa !== sb) return STATE_ORDER[sa] - STATE_ORDER[sb];
    if (sa === 'active') return a.endsAt - b.endsAt;
    if (sa === 'pending') return a.startsAt - b.startsAt;
    return b.endsAt - a.endsAt;
  });
}

function present(store: SilenceStore, s: Silence): unknown {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    id: s.id,
    matchers: s.matchers,
    startsAt: iso(s.startsAt),
    endsAt: iso(s.endsAt),
    updatedAt: iso(s.updatedAt),
    createdBy: s.createdBy,
    comment: s.comment,
    status: { state: store.state(s) },
  };
}

function post(store: SilenceStore, now: number, body: unknown): ApiReply {
  let spec: SilenceSpec;
  let id: string | undefined;
  try {
    ({ spec, id } = parseSilence(body, now));
  } catch (err) {
    if (err instanceof BadRequest) return error(400, err.message);
    throw err;
  }
  try {
    if (id === undefined) return { status: 200, body: { silenceID: store.create(spec) } };
    if (!store.update(id, spec)) return error(404, `silence ${id} not found or already expired`);
  } catch (err) {
    // 400 for either limit, as Alertmanager answers.
    if (err instanceof SilenceLimitError) return error(400, err.message);
    throw err;
  }
  return { status: 200, body: { silenceID: id } };
}

function parseSilence(body: unknown, now: number): { spec: SilenceSpec; id?: string } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new BadRequest('the body must be a JSON object with matchers, startsAt, endsAt, createdBy and comment');
  const b = body as Record<string, unknown>;
  if (!Array.isArray(b.matchers) || b.matchers.length === 0) throw new BadRequest('matchers must be a non-empty list of {name, value, isRegex, isEqual}');
  const matchers = b.matchers.map(parseMatcher);
  // A silence that matched every alert lacking some label would be a silent outage.
  if (matchers.every((m) => matchesEmpty(m))) throw new BadRequest('at least one matcher must not match the empty string');
  const startsAt = parseTime(b.startsAt, 'startsAt');
  const endsAt = parseTime(b.endsAt, 'endsAt');
  if (endsAt <= startsAt) throw new BadRequest('endsAt must be after startsAt');
  if (endsAt <= now) throw new BadRequest('endsAt must not be in the past');
  const createdBy = requiredString(b.createdBy, 'createdBy');
  const comment = requiredString(b.comment, 'comment');
  if (b.id !== undefined && b.id !== '' && typeof b.id !== 'string') throw new BadRequest('id must be a string');
  const id = typeof b.id === 'string' && b.id !== '' ? b.id : undefined;
  // Alertmanager starts a silence dated in the past now, so its history stays truthful.
  return { spec: { matchers, startsAt: Math.max(startsAt, now), endsAt, createdBy, comment }, id };
}

function parseMatcher(raw: unknown, i: number): SilenceMatcher {
  const at = `matchers[${i}]`;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new BadRequest(`${at} must be an object {name, value, isRegex, isEqual}`);
  const m = raw as Record<string, unknown>;
  if (typeof m.name !== 'string' || !LABEL_NAME.test(m.name)) throw new BadRequest(`${at}.name must be a label name, got ${JSON.stringify(m.name)}`);
  if (typeof m.value !== 'string') throw new BadRequest(`${at}.value must be a string`);
  if (typeof m.isRegex !== 'boolean') throw new BadRequest(`${at}.isRegex must be true or false`);
  if (m.isEqual !== undefined && typeof m.isEqual !== 'boolean') throw new BadRequest(`${at}.isEqual must be true or false`);
  if (m.isRegex) {
    try {
      anchoredRegExp(m.value);
    } catch (err) {
      throw new BadRequest(`${at}.value is not a valid regular expression: ${(err as Error).message}`);
    }
  }
  return { name: m.name, value: m.value, isRegex: m.isRegex, isEqual: m.isEqual ?? true };
}

function matchesEmpty(m: SilenceMatcher): boolean {
  const hit = m.isRegex ? anchoredRegExp(m.value).test('') : m.value === '';
  return hit === m.isEqual;
}

function parseTime(v: unknown, field: string): number {
  const ms = typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v) ? Date.parse(v) : NaN;
  if (Number.isNaN(ms)) throw new BadRequest(`${field} must be an RFC 3339 time such as "2024-05-01T12:00:00Z", got ${JSON.stringify(v)}`);
  return ms;
}

function requiredString(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.trim() === '') throw new BadRequest(`${field} must be a non-empty string`);
  return v;
}
