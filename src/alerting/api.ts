// GET /api/v1/alerts and /api/v1/rules in the shape of Prometheus's HTTP API, so Grafana,
// Karma, promtool-style scripts and curl habits read sluice like a Prometheus.
import type { StatusRequest, StatusResponse } from '../telemetry/status-routes.js';
import { formatFloat } from './gofmt.js';
import { labelsToRecord } from './labels.js';
import type { AlertInstance, RuleManager } from './rules/manager.js';
import { AlertingRule } from './rules/manager.js';

const iso = (ms: number | undefined) => (ms === undefined ? '0001-01-01T00:00:00Z' : new Date(ms).toISOString());

function alertJson(a: AlertInstance) {
  return { labels: labelsToRecord(a.labels), annotations: a.annotations, state: a.state, activeAt: iso(a.activeAt), ...(a.keepFiringSince !== undefined ? { keepFiringSince: iso(a.keepFiringSince) } : {}), value: formatFloat(a.value, 'e', -1) };
}

const ok = (data: unknown): StatusResponse => ({ status: 200, body: { status: 'success', data } });

export function alertsResponse(managers: readonly RuleManager[]): StatusResponse {
  const alerts = managers.flatMap((m) => m.describe().flatMap((g) => g.rules.flatMap((r) => r.alerts.map(alertJson))));
  return ok({ alerts });
}

export function rulesResponse(managers: readonly RuleManager[], query: URLSearchParams): StatusResponse {
  const type = query.get('type');
  if (type !== null && type !== 'alert' && type !== 'record') return { status: 400, body: { status: 'error', errorType: 'bad_data', error: `invalid type "${type}": expected "alert" or "record"` } };
  const groups = managers.flatMap((m) =>
    m.describe().map(({ group, rules }) => ({
      name: group.name,
      file: group.file,
      rules: rules
        .filter(({ rule }) => type === null || (type === 'alert') === rule instanceof AlertingRule)
        .map(({ rule, alerts }) => {
          const common = {
            name: rule.name,
            query: rule.spec.exprText,
            labels: rule.spec.labels,
            health: rule.status.health,
            lastError: rule.status.lastError ?? '',
            evaluationTime: rule.status.evaluationMs / 1000,
            lastEvaluation: iso(rule.status.lastEvaluation),
          };
          if (!(rule instanceof AlertingRule)) return { ...common, type: 'recording' };
          const state = alerts.some((a) => a.state === 'firing') ? 'firing' : alerts.length > 0 ? 'pending' : 'inactive';
          return {
            state,
            ...common,
            duration: rule.spec.forMs / 1000,
            keepFiringFor: rule.spec.keepFiringForMs / 1000,
            annotations: rule.spec.annotations,
            alerts: alerts.map(alertJson),
            type: 'alerting',
          };
        }),
      interval: group.intervalMs / 1000,
      limit: group.limit,
      evaluationTime: group.evaluationMs / 1000,
      lastEvaluation: iso(group.lastEvaluation),
    })),
  );
  return ok({ groups });
}

/** Routes the read-only rule APIs; anything else under /api/v1 is not ours. */
export function handleRulesApi(managers: () => readonly RuleManager[], request: StatusRequest): StatusResponse | undefined {
  if (request.path !== '/api/v1/alerts' && request.path !== '/api/v1/rules') return undefined;
  if (request.method !== 'GET') return { status: 405, body: { status: 'error', errorType: 'bad_data', error: `${request.method} is not allowed on ${request.path}; use GET` } };
  return request.path === '/api/v1/alerts' ? alertsResponse(managers()) : rulesResponse(managers(), request.query);
}
