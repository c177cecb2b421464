// The expanding notation of input_series values, form by form as Prometheus 2.42's promtool
// reads them (each case was checked against /usr/bin/promtool), and its errors with positions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSeriesValues, SeriesNotationError, type SeriesPoint } from '../../src/alerting/unittest/series-notation.js';

/** Points as compact strings: numbers, "_" for missing, "stale". */
function render(points: SeriesPoint[]): string[] {
  return points.map((p) => (p.kind === 'missing' ? '_' : p.kind === 'stale' ? 'stale' : String(p.value)));
}

const cases: [input: string, expected: string[]][] = [
  ['', []],
  ['   ', []],
  ['1', ['1']],
  ['1 2 3', ['1', '2', '3']],
  ['  3   4  ', ['3', '4']],
  ['1\t2', ['1', '2']],
  ['1.5 .5 1. 1e3 1E-1 0.5e1 1e+1', ['1.5', '0.5', '1', '1000', '0.1', '5', '10']],
  ['1 -2 +3', ['1', '-2', '3']],
  ['Inf -Inf +Inf inf', ['Infinity', '-Infinity', 'Infinity', 'Infinity']],
  ['NaN nan -nan', ['NaN', 'NaN', 'NaN']],
  ['_', ['_']],
  ['_ 1 _x2 2', ['_', '1', '_', '_', '2']],
  ['_x0 7', ['7']],
  ['stale', ['stale']],
  ['1 stale stale 2', ['1', 'stale', 'stale', '2']],
  // axn: n+1 copies.
  ['1x3', ['1', '1', '1', '1']],
  ['1x0', ['1']],
  ['1x02', ['1', '1', '1']],
  ['-2x2', ['-2', '-2', '-2']],
  ['5e-1x2', ['0.5', '0.5', '0.5']],
  // a+bxn and a-bxn: n+1 values from a.
  ['0+10x3', ['0', '10', '20', '30']],
  ['5-2x3', ['5', '3', '1', '-1']],
  ['1-1x1', ['1', '0']],
  ['+2+2x1', ['2', '4']],
  ['2 -1-1x2', ['2', '-1', '-2', '-3']],
  ['1+0.5x2', ['1', '1.5', '2']],
  ['1+1e1x1', ['1', '11']],
  ['1+1e+1x1', ['1', '11']],
  ['1+1x0', ['1']],
  ['1+1x00', ['1']],
  ['-Inf+1x1', ['-Infinity', '-Infinity']],
  // "+1x2" after whitespace is its own item: three copies of 1.
  ['1 +1x2', ['1', '1', '1', '1']],
  // Repeated addition, not a + i*b: the float error accumulates as in Go.
  ['0.1+0.1x3', ['0.1', '0.2', '0.30000000000000004', '0.4']],
  // Go's integer parsing reads a leading 0 as octal when the digits allow it.
  ['017 019 07.5 00', ['15', '19', '7.5', '0']],
  // "0x10" is 0 repeated, not hexadecimal: x always means repetition.
  ['0x10', Array(11).fill('0')],
  ['1+1x2 _x1 stale', ['1', '2', '3', '_', 'stale']],
];

for (const [input, expected] of cases) {
  test(`values ${JSON.stringify(input)}`, () => {
    assert.deepEqual(render(parseSeriesValues(input)), expected);
  });
}

test('large repetitions expand fully', () => {
  const points = parseSeriesValues('0+1x10000');
  assert.equal(points.length, 10001);
  assert.deepEqual(points.at(-1), { kind: 'value', value: 10000 });
});

test('-0 keeps its sign', () => {
  const [p] = parseSeriesValues('-0');
  assert.ok(p?.kind === 'value' && Object.is(p.value, -0));
});

// [input, 0-based position of the error, a fragment of the message]
const errors: [input: string, position: number, message: RegExp][] = [
  ['STALE', 0, /unexpected identifier "STALE"/],
  ['abc', 0, /unexpected identifier "abc", expected a number, "stale" or "_"/],
  ['1 abc', 2, /unexpected identifier "abc"/],
  ['Infinity', 0, /unexpected identifier "Infinity"/],
  ['stalex2', 0, /unexpected identifier "stalex2"/],
  ['stale+1x2', 0, /"stale" cannot be repeated/],
  ['1+Infx1', 2, /unexpected identifier "Infx1"/],
  ['NaNx2', 0, /unexpected identifier "NaNx2"/],
  ['1+-2x2', 2, /unexpected "-", expected a number/],
  ['1x', 2, /needs a repetition count after "x"/],
  ['1+1', 3, /"1\+1" needs a repetition count: write "1\+1xN"/],
  ['1+', 2, /ends where a number should follow/],
  ['1x-2', 2, /invalid repetition count "-2"/],
  ['1+1x1.5', 5, /invalid repetition count "1.5"/],
  ['0x1F', 3, /invalid repetition count "1F"/],
  ['1x2x3', 3, /invalid repetition count "2x3"/],
  ['_x2x3', 3, /invalid repetition count "2x3"/],
  ['_+1x2', 1, /unexpected "\+" after "_"/],
  ['x2', 0, /unexpected identifier "x2"/],
  ['1,2', 1, /unexpected ","/],
  ['1_000', 1, /bad number syntax "1_"/],
  ['1e', 1, /bad number syntax "1e"/],
  ['1..2', 2, /bad number syntax "1\.\."/],
  ['0b1', 1, /bad number syntax "0b"/],
  ['  1 2 1+x3', 8, /unexpected identifier "x3"/],
  ['-', 1, /ends where a number should follow/],
];

for (const [input, position, message] of errors) {
  test(`values ${JSON.stringify(input)} are rejected at column ${position + 1}`, () => {
    assert.throws(
      () => parseSeriesValues(input),
      (err: unknown) => {
        assert.ok(err instanceof SeriesNotationError, String(err));
        assert.equal(err.position, position, err.message);
        assert.equal(err.column, position + 1);
        assert.match(err.message, message);
        assert.match(err.message, new RegExp(`^column ${position + 1}: `));
        return true;
      },
    );
  });
}
