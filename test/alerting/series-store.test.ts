import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LabelMatcher } from '../../src/alerting/promql/ast.js';
import { isStaleNaN, STALE_NAN } from '../../src/alerting/promql/values.js';
import { labelsFromRecord, type Labels } from '../../src/alerting/labels.js';
import { SeriesStore } from '../../src/alerting/storage/series-store.js';

const L = (r: Record<string, string>): Labels => labelsFromRecord(r);

function samples(store: SeriesStore, matchers: LabelMatcher[], min = -Infinity, max = Infinity): [string, number[], number[]][] {
  return [...store.select(matchers, min, max)].map((s) => [s.labels.map(([k, v]) => `${k}=${v}`).join(','), [...s.timestamps], [...s.values]]);
}

const eq = (name: string, value: string): LabelMatcher => ({ name, op: '=', value });

describe('SeriesStore appends', () => {
  it('keeps samples in order and refuses older or conflicting ones', () => {
    const store = new SeriesStore({ maxSeries: 10, retentionMs: Infinity });
    const a = L({ __name__: 'a' });
    assert.equal(store.append(a, 1000, 1), 'ok');
    assert.equal(store.append(a, 2000, 2), 'ok');
    assert.equal(store.append(a, 1500, 9), 'out_of_order');
    assert.equal(store.append(a, 2000, 3), 'out_of_order');
    assert.equal(store.append(a, 2000, 2), 'ok');
    assert.equal(store.append(a, 3000, STALE_NAN), 'ok');
    assert.equal(store.append(a, 3000, STALE_NAN), 'ok');
    assert.equal(store.append(a, 3000, NaN), 'out_of_order');
    assert.equal(store.sampleCount, 3);
    const [[, ts, vs]] = samples(store, [eq('__name__', 'a')]) as [[string, number[], number[]]];
    assert.deepEqual(ts, [1000, 2000, 3000]);
    assert.deepEqual(vs.slice(0, 2), [1, 2]);
    const raw = [...store.select([eq('__name__', 'a')], 0, 5000)][0]!;
    assert.ok(isStaleNaN(raw.values[2]!), 'the staleness marker survives storage bit for bit');
  });

  it('refuses new series beyond maxSeries but still takes samples for existing ones', () => {
    const store = new SeriesStore({ maxSeries: 2, retentionMs: Infinity });
    assert.equal(store.append(L({ i: '1' }), 1, 1), 'ok');
    assert.equal(store.append(L({ i: '2' }), 1, 1), 'ok');
    assert.equal(store.append(L({ i: '3' }), 1, 1), 'series_limit');
    assert.equal(store.append(L({ i: '1' }), 2, 1), 'ok');
    assert.equal(store.seriesCount, 2);
  });
});

describe('SeriesStore retention', () => {
  it('trims samples older than the newest timestamp minus retention, and gc drops emptied series', () => {
    const store = new SeriesStore({ maxSeries: 10, retentionMs: 10_000 });
    const a = L({ s: 'a' });
    const b = L({ s: 'b' });
    store.append(b, 0, 1);
    for (let t = 0; t <= 20_000; t += 5000) store.append(a, t, t);
    assert.deepEqual(samples(store, [eq('s', 'a')]), [['s=a', [10_000, 15_000, 20_000], [10_000, 15_000, 20_000]]]);
    // b received nothing, so only gc trims it.
    assert.deepEqual(samples(store, [eq('s', 'b')]), [['s=b', [0], [1]]]);
    store.gc(20_000);
    assert.equal(store.seriesCount, 1);
    assert.equal(store.sampleCount, 3);
    assert.deepEqual(samples(store, [eq('s', 'b')]), []);
    assert.equal(store.append(b, 1, 5), 'ok', 'a forgotten series starts afresh');
  });

  it('gc trims against nowMs when it is past the newest sample', () => {
    const store = new SeriesStore({ maxSeries: 10, retentionMs: 1000 });
    store.append(L({ s: 'a' }), 0, 1);
    store.append(L({ s: 'a' }), 500, 2);
    store.gc(1200);
    assert.deepEqual(samples(store, []), [['s=a', [500], [2]]]);
    store.setSelectors([{ matchers: [], reachMs: 100 }]);
    store.gc(1200);
    assert.equal(store.seriesCount, 0);
    assert.equal(store.sampleCount, 0);
  });

  it('reuses ring space in steady state and answers ranges that wrap around the ring', () => {
    const store = new SeriesStore({ maxSeries: 10, retentionMs: 50_000 });
    const a = L({ s: 'a' });
    for (let t = 0; t <= 100_000; t += 10_000) store.append(a, t, t / 1000);
    const settled = store.capacity;
    for (let t = 110_000; t <= 2_000_000; t += 10_000) store.append(a, t, t / 1000);
    assert.equal(store.capacity, settled);
    assert.equal(settled, 8, 'six samples in the window fit the next power of two');
    assert.equal(store.sampleCount, 6);
    // The window's six samples sit in eight slots that have wrapped many times over.
    assert.deepEqual(samples(store, [], 1_960_000, 1_990_000), [['s=a', [1_960_000, 1_970_000, 1_980_000, 1_990_000], [1960, 1970, 1980, 1990]]]);
    assert.deepEqual(samples(store, [], 1_950_000, 2_000_000)[0]![1], [1_950_000, 1_960_000, 1_970_000, 1_980_000, 1_990_000, 2_000_000]);
  });

  it('grows by doubling when the window holds more samples, keeping their order', () => {
    const store = new SeriesStore({ maxSeries: 10, retentionMs: Infinity });
    const a = L({ s: 'a' });
    store.append(a, 0, 0);
    store.append(a, 1, 1);
    store.append(a, 2, 2);
    assert.equal(store.capacity, 4);
    for (let t = 3; t < 9; t++) store.append(a, t, t);
    assert.equal(store.capacity, 16);
    assert.deepEqual(samples(store, [], 2, 6), [['s=a', [2, 3, 4, 5, 6], [2, 3, 4, 5, 6]]]);
  });

  it('gc shrinks a ring once its window has become much smaller', () => {
    const store = new SeriesStore({ maxSeries: 10, retentionMs: Infinity });
    const a = L({ s: 'a' });
    for (let t = 0; t < 32; t++) store.append(a, t, t);
    assert.equal(store.capacity, 32);
    store.setSelectors([{ matchers: [], reachMs: 2 }]);
    store.gc(31);
    assert.equal(store.capacity, 16);
    assert.deepEqual(samples(store, []), [['s=a', [29, 30, 31], [29, 30, 31]]]);
  });
});

describe('SeriesStore selectors', () => {
  it('keeps only series a rule reads, each as far back as its longest selector reaches', () => {
    const store = new SeriesStore({ maxSeries: 10, retentionMs: Infinity });
    store.setSelectors([
      { matchers: [eq('__name__', 'errors_total')], reachMs: 3_600_000 },
      { matchers: [eq('__name__', 'errors_total'), eq('job', 'api')], reachMs: 30 * 86_400_000 },
      { matchers: [eq('__name__', 'up')], reachMs: 300_000 },
    ]);
    const api = L({ __name__: 'errors_total', job: 'api' });
    const web = L({ __name__: 'errors_total', job: 'web' });
    const up = L({ __name__: 'up', job: 'api' });
    assert.equal(store.append(L({ __name__: 'unread', job: 'api' }), 0, 1), 'not_selected');
    for (let t = 0; t <= 7_200_000; t += 600_000) for (const s of [api, web, up]) assert.equal(store.append(s, t, t), 'ok');
    store.gc(7_200_000);
    const counts = Object.fromEntries(samples(store, []).map(([key, ts]) => [key, ts.length]));
    assert.deepEqual(counts, { '__name__=errors_total,job=api': 13, '__name__=errors_total,job=web': 7, '__name__=up,job=api': 1 });
    store.setSelectors([{ matchers: [eq('__name__', 'up')], reachMs: 300_000 }]);
    store.gc(7_200_000);
    assert.equal(store.seriesCount, 1, 'series no rule reads any more are forgotten');
  });
});

describe('SeriesStore select', () => {
  const store = new SeriesStore({ maxSeries: 100, retentionMs: Infinity });
  store.append(L({ __name__: 'up', job: 'api', env: 'prod' }), 0, 1);
  store.append(L({ __name__: 'up', job: 'db', env: 'prod' }), 0, 2);
  store.append(L({ __name__: 'up', job: 'web' }), 0, 3);
  store.append(L({ __name__: 'down', job: 'api' }), 0, 4);
  const names = (matchers: LabelMatcher[]): string[] => [...store.select(matchers, 0, 0)].map((s) => `${s.labels.find(([k]) => k === '__name__')![1]}/${s.labels.find(([k]) => k === 'job')![1]}`).sort();

  it('answers = from the index, intersecting several', () => {
    assert.deepEqual(names([eq('__name__', 'up')]), ['up/api', 'up/db', 'up/web']);
    assert.deepEqual(names([eq('__name__', 'up'), eq('env', 'prod'), eq('job', 'db')]), ['up/db']);
    assert.deepEqual(names([eq('job', 'api')]), ['down/api', 'up/api']);
    assert.deepEqual(names([eq('job', 'nope')]), []);
  });

  it('treats ="" as "label absent"', () => {
    assert.deepEqual(names([eq('__name__', 'up'), eq('env', '')]), ['up/web']);
  });

  it('applies !=, =~ and !~ with anchored regexes, absent labels being empty', () => {
    assert.deepEqual(names([eq('__name__', 'up'), { name: 'env', op: '!=', value: 'prod' }]), ['up/web']);
    assert.deepEqual(names([{ name: 'job', op: '=~', value: 'a.*|we' }]), ['down/api', 'up/api']);
    assert.deepEqual(names([{ name: 'job', op: '!~', value: 'api|db' }]), ['up/web']);
    assert.deepEqual(names([{ name: 'env', op: '=~', value: 'prod|' }, { name: '__name__', op: '!=', value: 'up' }]), ['down/api']);
  });

  it('skips series with no samples in the range', () => {
    assert.deepEqual([...store.select([eq('__name__', 'up')], 1, 10)], []);
  });

  it('keeps the index right after gc removes series and their ids are reused', () => {
    const s = new SeriesStore({ maxSeries: 100, retentionMs: 10 });
    s.append(L({ job: 'a', i: '1' }), 0, 1);
    s.append(L({ job: 'a', i: '2' }), 0, 2);
    s.append(L({ job: 'b', i: '3' }), 100, 3);
    s.gc(100);
    assert.equal(s.seriesCount, 1);
    assert.deepEqual(samples(s, [eq('job', 'a')]), []);
    s.append(L({ job: 'c', i: '4' }), 101, 4);
    assert.deepEqual(samples(s, [eq('job', 'c')]), [['i=4,job=c', [101], [4]]]);
    assert.deepEqual(samples(s, [eq('i', '1')]), []);
    assert.deepEqual(samples(s, [eq('job', 'b')]), [['i=3,job=b', [100], [3]]]);
  });
});
