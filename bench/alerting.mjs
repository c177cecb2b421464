// The alerting processor's costs: live heap per stored series (and per sample) in the series
// store, against the heap of the label sets themselves; and evaluation cost in µs per rule per
// series for rate() with a filter and with an aggregation, against a hand-written loop computing
// the same per-series slope over the same samples in the same process.
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

function liveHeap() {
  gc();
  return process.memoryUsage().heapUsed;
}

const SERIES = Number(process.env.BENCH_ALERTING_SERIES ?? 50_000);
/** Five minutes of samples every 15 s, as a 5m range over a 15 s scrape or flush sees them. */
const SAMPLES = 21;
const STEP_MS = 15_000;

export async function benchAlerting(root) {
  const { SeriesStore } = await import(join(root, 'dist/src/alerting/storage/series-store.js'));
  const { parseExpr } = await import(join(root, 'dist/src/alerting/promql/parser.js'));
  const { evaluate } = await import(join(root, 'dist/src/alerting/promql/engine.js'));

  const base = liveHeap();
  const labelSets = [];
  for (let i = 0; i < SERIES; i++) {
    labelSets.push([
      ['__name__', 'http_server_requests_total'],
      ['code', i % 10 === 0 ? '500' : '200'],
      ['instance', `pod-${i % 500}`],
      ['job', `service-${i % 50}`],
      ['route', `/api/v1/resource/${Math.floor(i / 500)}`],
    ]);
  }
  const labelBytes = (liveHeap() - base) / SERIES;

  const store = new SeriesStore({ maxSeries: SERIES, retentionMs: 5 * 60_000 + 60_000 });
  const beforeStore = liveHeap();
  const t0 = process.hrtime.bigint();
  for (let s = 0; s < SAMPLES; s++) {
    for (let i = 0; i < SERIES; i++) store.append(labelSets[i], s * STEP_MS, s * (i % 7) + i);
  }
  const appendNs = Number(process.hrtime.bigint() - t0) / (SERIES * SAMPLES);
  const storeBytes = (liveHeap() - beforeStore) / SERIES;

  const now = (SAMPLES - 1) * STEP_MS;
  const time = (fn, rounds) => {
    fn();
    const start = process.hrtime.bigint();
    for (let r = 0; r < rounds; r++) fn();
    return Number(process.hrtime.bigint() - start) / 1000 / rounds / SERIES;
  };
  const rules = {
    filter: parseExpr('rate(http_server_requests_total[5m]) > 1'),
    aggregate: parseExpr('sum by (job, code) (rate(http_server_requests_total[5m]))'),
  };
  const filterUs = time(() => evaluate(rules.filter, now, store), 5);
  const aggregateUs = time(() => evaluate(rules.aggregate, now, store), 5);

  // The lower bound: the slope of each series' samples, read straight out of its arrays.
  const arrays = [...store.select(rules.filter.lhs.args[0].selector.matchers, 0, now)].map((s) => ({ t: Float64Array.from(s.timestamps), v: Float64Array.from(s.values) }));
  let sink = 0;
  const baselineUs = time(() => {
    for (const { t, v } of arrays) {
      const n = t.length;
      const slope = (v[n - 1] - v[0]) / ((t[n - 1] - t[0]) / 1000);
      if (slope > 1) sink++;
    }
  }, 5);
  return { series: SERIES, samples: SAMPLES, labelBytes, storeBytes, sampleBytes: storeBytes / SAMPLES, appendNs, filterUs, aggregateUs, baselineUs, sink };
}
