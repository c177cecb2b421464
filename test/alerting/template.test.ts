// Alert templates against Prometheus 2.42: every expected string below is what promtool 2.42
// produced for the same template and value (an alert on a series {instance="host:9090", job="j"},
// its __name__ where shown; promtool has no external labels or URL).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkTemplate, compileTemplate, expandTemplate } from '../../src/alerting/rules/template.js';
import { formatFloat } from '../../src/alerting/gofmt.js';

interface Options {
  /** The alert's template name, which Prometheus puts in error messages. */
  name?: string;
  metric?: string;
  noLabels?: boolean;
}

const CASES: [template: string, value: number, expected: string, options?: Options][] = [
  ["{{ $value }}", 0, "0"],
  ["{{ $value }}", 1e21, "1e+21"],
  ["{{ $value }}", 1e20, "1e+20"],
  ["{{ $value }}", 1e-5, "1e-05"],
  ["{{ $value }}", 0.0001, "0.0001"],
  ["{{ $value }}", 123456789, "1.23456789e+08"],
  ["{{ $value }}", 0.1 + 0.2, "0.30000000000000004", {noLabels: true}],
  ["{{ $value }}", NaN, "NaN"],
  ["{{ $value }}", Infinity, "+Inf"],
  ["{{ $value }}", -Infinity, "-Inf"],
  ["{{ $value }}", -0.5, "-0.5"],
  ["{{ $value }}", 100000, "100000"],
  ["{{ $value }}", 1234567, "1.234567e+06"],
  ["{{ $value }}", 12345678901234567890123, "1.2345678901234568e+22"],
  ["{{ humanize $value }}", 0, "0"],
  ["{{ humanize $value }}", 1, "1"],
  ["{{ humanize $value }}", 999, "999"],
  ["{{ humanize $value }}", 1000, "1k"],
  ["{{ humanize $value }}", 1234567, "1.235M"],
  ["{{ humanize $value }}", 0.001, "1m"],
  ["{{ humanize $value }}", 0.0000012, "1.2u"],
  ["{{ humanize $value }}", -1500, "-1.5k"],
  ["{{ humanize $value }}", 1e30, "1e+06Y"],
  ["{{ humanize $value }}", NaN, "NaN"],
  ["{{ humanize $value }}", Infinity, "+Inf"],
  ["{{ humanize $value }}", 0.5, "500m"],
  ["{{ humanize $value }}", 123.456, "123.5"],
  ["{{ humanize $value }}", 1e-30, "1e-06y"],
  ["{{ humanize $value }}", 12345, "12.35k"],
  ["{{ humanize $value }}", 999999, "1000k"],
  ["{{ humanize1024 $value }}", 0, "0"],
  ["{{ humanize1024 $value }}", 1, "1"],
  ["{{ humanize1024 $value }}", 1023, "1023"],
  ["{{ humanize1024 $value }}", 1024, "1ki"],
  ["{{ humanize1024 $value }}", 1536, "1.5ki"],
  ["{{ humanize1024 $value }}", 1048576, "1Mi"],
  ["{{ humanize1024 $value }}", -2048, "-2ki"],
  ["{{ humanize1024 $value }}", 0.5, "0.5"],
  ["{{ humanize1024 $value }}", 1e30, "8.272e+05Yi"],
  ["{{ humanize1024 $value }}", NaN, "NaN"],
  ["{{ humanizeDuration $value }}", 0, "0s"],
  ["{{ humanizeDuration $value }}", 1, "1s"],
  ["{{ humanizeDuration $value }}", 1.5, "1.5s"],
  ["{{ humanizeDuration $value }}", 59.99, "59.99s"],
  ["{{ humanizeDuration $value }}", 60, "1m 0s"],
  ["{{ humanizeDuration $value }}", 61.5, "1m 1s"],
  ["{{ humanizeDuration $value }}", 3600, "1h 0m 0s"],
  ["{{ humanizeDuration $value }}", 3661, "1h 1m 1s"],
  ["{{ humanizeDuration $value }}", 86400, "1d 0h 0m 0s"],
  ["{{ humanizeDuration $value }}", 90061.3, "1d 1h 1m 1s"],
  ["{{ humanizeDuration $value }}", -90061, "-1d 1h 1m 1s"],
  ["{{ humanizeDuration $value }}", 0.5, "500ms"],
  ["{{ humanizeDuration $value }}", 0.0012, "1.2ms"],
  ["{{ humanizeDuration $value }}", 0.0000012, "1.2us"],
  ["{{ humanizeDuration $value }}", 1e-10, "100ps"],
  ["{{ humanizeDuration $value }}", NaN, "NaN"],
  ["{{ humanizeDuration $value }}", Infinity, "+Inf"],
  ["{{ humanizeDuration $value }}", -0.5, "-500ms"],
  ["{{ humanizeDuration $value }}", 123456789, "1428d 21h 33m 9s"],
  ["{{ humanizePercentage $value }}", 0, "0%"],
  ["{{ humanizePercentage $value }}", 0.5, "50%"],
  ["{{ humanizePercentage $value }}", 0.12345, "12.35%"],
  ["{{ humanizePercentage $value }}", 1, "100%"],
  ["{{ humanizePercentage $value }}", 0.000001234, "0.0001234%"],
  ["{{ humanizePercentage $value }}", NaN, "NaN%"],
  ["{{ humanizeTimestamp $value }}", 0, "1970-01-01 00:00:00 +0000 UTC"],
  ["{{ humanizeTimestamp $value }}", 1.5, "1970-01-01 00:00:01.5 +0000 UTC"],
  ["{{ humanizeTimestamp $value }}", 1435065584.128, "2015-06-23 13:19:44.128 +0000 UTC"],
  ["{{ humanizeTimestamp $value }}", 1700000000, "2023-11-14 22:13:20 +0000 UTC"],
  ["{{ humanizeTimestamp $value }}", NaN, "NaN"],
  ["{{ humanizeTimestamp $value }}", -1.5, "1969-12-31 23:59:58.5 +0000 UTC"],
  ["{{ humanizeTimestamp $value }}", 0.0005, "1970-01-01 00:00:00 +0000 UTC"],
  ["{{ humanizeTimestamp $value }}", 1e10, "<error expanding template: error executing template __alert_A58: template: __alert_A58:1:115: executing \"__alert_A58\" at <humanizeTimestamp $value>: error calling humanizeTimestamp: 1e+10 cannot be represented as a nanoseconds timestamp since it overflows int64>", {name: "__alert_A58"}],
  ["{{ printf \"%s|%v|%d|%f|%.2f|%e|%g|%q|%x|%%\" \"ab\" $value 42 $value $value $value $value \"a\\\"b\" \"hi\" }}", 1234.5678, "ab|1234.5678|42|1234.567800|1234.57|1.234568e+03|1234.5678|\"a\\\"b\"|6869|%"],
  ["{{ printf \"%d\" $value }}", 1234.5678, "%!d(float64=1234.5678)"],
  ["{{ printf \"%s\" $value }}", 1234.5678, "%!s(float64=1234.5678)"],
  ["{{ printf \"%s %s\" \"a\" }}", 1234.5678, "a %!s(MISSING)"],
  ["{{ printf \"%s\" \"a\" \"b\" 3 }}", 1234.5678, "a%!(EXTRA string=b, int=3)"],
  ["{{ printf \"[%5s][%-5s][%05d][%+d][%8.3f][%-8.2f][% d][%x][%X][%o][%b][%c][%U]\" \"ab\" \"ab\" 42 42 $value $value 42 255 255 8 5 65 65 }}", 1234.5678, "[   ab][ab   ][00042][+42][1234.568][1234.57 ][ 42][ff][FF][10][101][A][U+0041]"],
  ["{{ printf \"%.3s|%q|%+q|%#q|%t|%v|%5t\" \"abcdef\" \"héllo\\n\" \"héllo\" \"x`y\" true nil false }}", 1234.5678, "abc|\"héllo\\n\"|\"h\\u00e9llo\"|\"x`y\"|true|<nil>|false"],
  ["{{ printf \"%10.4e|%G|%E|%.0f|%.0f|%.1f|%.3g|%#g|%+.2e\" $value 1e-7 1e21 2.5 3.5 0.25 100000.0 1.0 -0.000123 }}", 1234.5678, "1.2346e+03|1E-07|1.000000E+21|2|4|0.2|1e+05|1.00000|-1.23e-04"],
  ["{{ printf \"%v %v %v %v\" 1e21 1e20 1e-5 0.0001 }}", 1234.5678, "1e+21 1e+20 1e-05 0.0001"],
  ["{{ printf \"%x|%X|%.3x\" \"héllo\" \"ab\" \"abcdef\" }}", 1234.5678, "68c3a96c6c6f|6162|616263"],
  ["{{ printf \"%6.2f%%\" 99.5 }}", 1234.5678, " 99.50%"],
  ["{{ printf \"%v\" .Labels }}|{{ . }}", 1234.5678, "map[__name__:m70 instance:host:9090 job:j]|{map[__name__:m70 instance:host:9090 job:j] map[]  1234.5678}", {metric: "m70"}],
  ["{{ printf \"%d %s\" .Labels .Labels }}", 1234.5678, "map[%!d(string=__name__):%!d(string=m71) %!d(string=instance):%!d(string=host:9090) %!d(string=job):%!d(string=j)] map[__name__:m71 instance:host:9090 job:j]", {metric: "m71"}],
  ["{{ printf \"%*d|%-*d|%.*f\" 5 42 4 7 2 3.14159 }}", 1234.5678, "   42|7   |3.14"],
  ["{{ printf \"%[2]s %[1]s\" \"a\" \"b\" }}", 1234.5678, "b a"],
  ["{{ printf \"%!\" }}|{{ printf \"%z\" 3 }}|{{ printf \"%\" }}", 1234.5678, "%!!(MISSING)|%!z(int=3)|%!(NOVERB)"],
  ["{{ printf \"%v|%v|%.2v|%10v|%-10v|\" $value true $value \"x\" 3 }}", 1234.5678, "1234.5678|true|1.2e+03|         x|3         |"],
  ["{{ printf \"%+v|%#v|%#v|%#v\" . 3 \"s\" 1.0 }}", 1234.5678, "{Labels:map[__name__:m76 instance:host:9090 job:j] ExternalLabels:map[] ExternalURL: Value:1234.5678}|3|\"s\"|1", {metric: "m76"}],
  ["{{ print 1 2 \"a\" \"b\" 3 $value true }}|{{ println \"a\" 1 }}|{{ print }}|{{ print nil }}", 1234.5678, "1 2ab3 1234.5678 true|a 1\n||<nil>"],
  ["{{ len \"héllo\" }} {{ len .Labels }} {{ index .Labels \"job\" }}[{{ index .Labels \"nope\" }}] {{ index \"abc\" 1 }}", 1234.5678, "6 3 j[] 98", { metric: "m78" }],
  ["{{ not 0 }} {{ not \"\" }} {{ not \"a\" }} {{ not $value }} {{ and 1 0 2 }} {{ and 1 2 }} {{ or 0 \"\" }} {{ or 0 \"x\" 3 }} {{ and }}", 1234.5678, "<error expanding template: error executing template __alert_A79: template: __alert_A79:1:232: executing \"__alert_A79\" at <and>: wrong number of args for and: want at least 1 got 0>", {name: "__alert_A79"}],
  ["{{ eq 1 1 }} {{ eq \"a\" \"b\" \"a\" }} {{ ne 1 2 }} {{ lt 1 2 }} {{ le 2 2 }} {{ gt \"b\" \"a\" }} {{ ge 1.5 2.5 }} {{ eq $value 1234.5678 }}", 1234.5678, "true true true true true true false true"],
  ["{{ gt $value 5 }}", 1234.5678, "<error expanding template: error executing template __alert_A81: template: __alert_A81:1:115: executing \"__alert_A81\" at <gt $value 5>: error calling gt: incompatible types for comparison>", {name: "__alert_A81"}],
  ["{{ eq 1 \"a\" }}", 1234.5678, "<error expanding template: error executing template __alert_A82: template: __alert_A82:1:115: executing \"__alert_A82\" at <eq 1 \"a\">: error calling eq: incompatible types for comparison>", {name: "__alert_A82"}],
  ["{{ toUpper \"héllo ß\" }} {{ toLower \"HÉLLO\" }} {{ title \"hello wOrld foo-bar o'neil x_y 3d\" }}", 1234.5678, "HÉLLO ß héllo Hello WOrld Foo-Bar O'Neil X_y 3d"],
  ["{{ match \"^h.*0$\" \"host:9090\" }} {{ match \"x\" \"abc\" }} {{ reReplaceAll \"(h)(o)\" \"$2$1_${1}x$1x$$\" \"host\" }} {{ reReplaceAll \"(?P<a>o)\" \"[$a]\" \"foo\" }}", 1234.5678, "true false ohx$st f[o][o]"],
  ["{{ stripPort \"host:9090\" }} {{ stripPort \"host\" }} {{ stripPort \"[::1]:80\" }} {{ stripPort \"::1\" }} {{ stripPort \"a:\" }} {{ stripPort \"[::1]\" }}", 1234.5678, "host host ::1 ::1 a [::1]"],
  ["{{ safeHtml \"<b>\" }} {{ args 1 \"x\" }} {{ (args 1 \"x\").arg1 }} {{ (args 1).arg5 }} {{ $a := args 2 }}{{ $a.arg0 }}", 1234.5678, "<b> map[arg0:1 arg1:x] x <no value> 2"],
  ["{{ toUpper $value }}", 1234.5678, "<error expanding template: error executing template __alert_A87: template: __alert_A87:1:123: executing \"__alert_A87\" at <$value>: wrong type for value; expected string; got float64>", {name: "__alert_A87"}],
  ["{{ humanize \"abc\" }}", 1234.5678, "<error expanding template: error executing template __alert_A88: template: __alert_A88:1:115: executing \"__alert_A88\" at <humanize \"abc\">: error calling humanize: strconv.ParseFloat: parsing \"abc\": invalid syntax>", {name: "__alert_A88"}],
  ["{{ humanize \"1234\" }} {{ humanize 1234 }} {{ humanize true }}", 1234.5678, "<error expanding template: error executing template __alert_A89: template: __alert_A89:1:157: executing \"__alert_A89\" at <humanize true>: error calling humanize: can't convert bool to float>", {name: "__alert_A89"}],
  ["{{ .Foo }}", 1234.5678, "<error expanding template: error executing template __alert_A90: template: __alert_A90:1:115: executing \"__alert_A90\" at <.Foo>: can't evaluate field Foo in type struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value float64 }>", {name: "__alert_A90"}],
  ["{{ .Value.Foo }}", 1234.5678, "<error expanding template: error executing template __alert_A91: template: __alert_A91:1:121: executing \"__alert_A91\" at <.Value.Foo>: can't evaluate field Foo in type float64>", {name: "__alert_A91"}],
  ["{{ $labels.job.x }}", 1234.5678, "<error expanding template: error executing template __alert_A92: template: __alert_A92:1:122: executing \"__alert_A92\" at <$labels.job.x>: can't evaluate field x in type string>", {name: "__alert_A92"}],
  ["{{ index $value 1 }}", 1234.5678, "<error expanding template: error executing template __alert_A93: template: __alert_A93:1:115: executing \"__alert_A93\" at <index $value 1>: error calling index: can't index item of type float64>", {name: "__alert_A93"}],
  ["{{ range 5 }}x{{ end }}", 1234.5678, "<error expanding template: error executing template __alert_A94: template: __alert_A94:1:121: executing \"__alert_A94\" at <5>: range can't iterate over 5>", {name: "__alert_A94"}],
  ["{{ len 3 }}", 1234.5678, "<error expanding template: error executing template __alert_A95: template: __alert_A95:1:115: executing \"__alert_A95\" at <len 3>: error calling len: len of type int>", {name: "__alert_A95"}],
  ["{{ humanize }}", 1234.5678, "<error expanding template: error executing template __alert_A96: template: __alert_A96:1:115: executing \"__alert_A96\" at <humanize>: wrong number of args for humanize: want 1 got 0>", {name: "__alert_A96"}],
  ["{{ toTime 1.5 }}|{{ parseDuration \"1h30m\" }}", 1234.5678, "1970-01-01 00:00:01.5 +0000 UTC|5400"],
  ["{{ index .Labels 1 }}", 1234.5678, "<error expanding template: error executing template __alert_A99: template: __alert_A99:1:115: executing \"__alert_A99\" at <index .Labels 1>: error calling index: value has type int; should be string>", {name: "__alert_A99"}],
  ["{{ 3 | printf \"%d-%s\" \"x\" }}", 1234.5678, "%!d(string=x)-%!s(int=3)"],
  ["{{ \"a\" 1 }}", 1234.5678, "<error expanding template: error executing template __alert_A101: template: __alert_A101:1:115: executing \"__alert_A101\" at <\"a\">: can't give argument to non-function \"a\">", {name: "__alert_A101"}],
  ["{{ $labels 1 }}", 1234.5678, "<error expanding template: error executing template __alert_A102: template: __alert_A102:1:115: executing \"__alert_A102\" at <$labels>: can't give argument to non-function $labels>", {name: "__alert_A102"}],
  ["{{ .Labels.job 1 }}", 1234.5678, "<error expanding template: error executing template __alert_A103: template: __alert_A103:1:122: executing \"__alert_A103\" at <.Labels.job>: job is not a method but has arguments>", {name: "__alert_A103"}],
  ["{{ not 0 }} {{ not \"\" }} {{ not \"a\" }} {{ not $value }} {{ and 1 0 2 }} {{ and 1 2 }} {{ or 0 \"\" }} {{ or 0 \"x\" 3 }} {{ 0 | and 1 }} {{ not nil }}", NaN, "true true false false 0 2  x 0 true"],
  ["{{ graphLink \"up == 0\" }}|{{ tableLink \"a{b=\\\"c\\\"}\" }}", 1, "/graph?g0.expr=up+%3D%3D+0&g0.tab=0|/graph?g0.expr=a%7Bb%3D%22c%22%7D&g0.tab=1"],
  ["{{- range $k, $v := $labels }}\n  {{ $k }}={{ $v -}} ;\n{{- else }}none{{ end }}|{{ range $i, $c := \"ab\" }}{{ $i }}{{ end }}", 1, "<error expanding template: error executing template __alert_A3: template: __alert_A3:3:44: executing \"__alert_A3\" at <\"ab\">: range can't iterate over ab>", {name: "__alert_A3"}],
  ["{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ $y := 3 }}{{ end }}{{ $x }}|{{ with $labels.job }}[{{ . }}]{{ else }}no{{ end }}|{{ with $labels.nope }}[{{ . }}]{{ else }}no{{ end }}|{{ if eq $labels.job \"x\" }}a{{ else if eq $labels.job \"j\" }}b{{ else }}c{{ end }}|{{/* hi */}}|{{- /* trimmed */ -}} |{{ \"\\x41\\u00e9\\t\" }}{{ `raw\\n` }}{{ 0x1F }} {{ 1_000 }} {{ 'a' }} {{ 1e3 }} {{ -2.50 }} {{ true }} {{ .ExternalURL }}.", 1, "2|[j]|no|b|||Aé\traw\\n31 1000 97 1000 -2.5 true ."],
  ["{{ range $i, $x := args 5 6 }}{{ $i }}:{{ $x }},{{ end }}{{ range args }}x{{ else }}empty{{ end }}{{ range $labels }}{{ if eq . \"j\" }}{{ break }}{{ end }}{{ . }};{{ end }}", 1, "arg0:5,arg1:6,emptym5;host:9090;", {metric: "m5"}],
  ["{{ (printf \"%s-%s\" \"a\" \"b\") | toUpper | printf \"<%s>\" }} {{ (args 1 2).arg0 }} {{ len (printf \"abc\") }} {{ $ | printf \"%T\" }}", 1, "<A-B> 1 3 struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value float64 }"],
  ["{{ $value | humanize }} {{ $value | printf \"%.1f\" }} {{ $labels.instance | stripPort | toUpper }}", 4321.5, "4.322k 4321.5 HOST"],
];

test('expansion matches promtool 2.42 byte for byte', () => {
  for (const [template, value, expected, options = {}] of CASES) {
    const labels: Record<string, string> = options.noLabels ? {} : { instance: 'host:9090', job: 'j' };
    if (options.metric) labels.__name__ = options.metric;
    const got = expandTemplate(template, { labels, externalLabels: {}, externalURL: '', value }, options.name ?? '__alert_T');
    assert.equal(got, expected, `${template} with $value ${value}`);
  }
});

test('parse errors are reported as Prometheus reports them at rule load', () => {
  const errors: [string, string][] = [
    ['{{ foo }}', 'function "foo" not defined'],
    ['{{ if', 'unclosed action'],
    ['{{ if true }}x', 'unexpected EOF'],
    ['{{ end }}', 'unexpected {{end}}'],
    ['{{ $x }}', 'undefined variable "$x"'],
    ['{{ "a" | "b" }}', 'non executable command in pipeline stage 2'],
    ['{{ . | printf }}x{{ else }}', 'unexpected {{else}}'],
    ['{{ )}}', 'unexpected ")" in command'],
    ['{{ 3x }}', 'bad number syntax: "3x"'],
    ['{{ "abc }}', 'unterminated quoted string'],
    ['{{/* x */ }}', 'comment ends before closing delimiter'],
    ['{{ range $a, $b, $c := . }}{{end}}', 'too many declarations in range'],
  ];
  for (const [template, message] of errors) assert.equal(checkTemplate(template, '__alert_T'), `template: __alert_T:1: ${message}`, template);
  assert.equal(checkTemplate('a\n{{ if }}', '__alert_T'), 'template: __alert_T:2: missing value for if');
  assert.equal(checkTemplate('{{ $labels.instance | humanize }}{{ $externalLabels.x }}{{ $externalURL }}'), undefined);
});

test('a parse error expands to the error text, as Prometheus does when expanding', () => {
  assert.equal(
    expandTemplate('{{ foo }}', { labels: {}, externalLabels: {}, externalURL: '', value: 0 }, '__alert_T'),
    '<error expanding template: error parsing template __alert_T: template: __alert_T:1: function "foo" not defined>',
  );
});

test('functions that need query results are refused with a clear message', () => {
  for (const f of ['query "up"', 'first', 'label "x" .', 'value .', 'sortByLabel "x" .', 'strvalue .']) {
    const problem = checkTemplate(`{{ ${f} }}`);
    assert.match(problem ?? '', /needs PromQL query results, which sluice's alert templates do not support/, f);
  }
});

test('external labels, the external URL and URL helpers', () => {
  const data = { labels: { instance: 'a:1' }, externalLabels: { cluster: 'eu-1' }, externalURL: 'https://prom.example.com/sub', value: 1 };
  assert.equal(expandTemplate('{{ $externalLabels.cluster }} {{ .ExternalLabels.cluster }} {{ $externalURL }} {{ externalURL }} {{ pathPrefix }}', data), 'eu-1 eu-1 https://prom.example.com/sub https://prom.example.com/sub /sub');
  // Verified with promtool: graphLink and tableLink query-escape the expression.
  assert.equal(expandTemplate('{{ graphLink "up == 0" }}|{{ tableLink "a{b=\\"c\\"}" }}', data), '/graph?g0.expr=up+%3D%3D+0&g0.tab=0|/graph?g0.expr=a%7Bb%3D%22c%22%7D&g0.tab=1');
});

test('a compiled template is reused across evaluations with new data', () => {
  const t = compileTemplate('{{ $labels.instance }} is at {{ $value | humanizePercentage }}');
  assert.equal(t.execute({ labels: { instance: 'a' }, externalLabels: {}, externalURL: '', value: 0.5 }), 'a is at 50%');
  assert.equal(t.execute({ labels: { instance: 'b' }, externalLabels: {}, externalURL: '', value: 0.25 }), 'b is at 25%');
  assert.throws(() => compileTemplate('{{ nope }}'), /function "nope" not defined/);
});

// Also confirmed with promtool: {{ printf "%v|%v|%.0f|%.2f|%.2f|%.4g|%.4g|%.2e|%v" 5e-324 -0.0 2.5 0.125 1.005 12345.0 999.96 0.00001234 1e21 }}.
test('Go float formatting', () => {
  // %v is the shortest form, in exponent notation when the exponent is < -4 or >= 6 (not 21 as in JavaScript).
  assert.equal(formatFloat(1e21, 'g', -1), '1e+21');
  assert.equal(formatFloat(100000, 'g', -1), '100000');
  assert.equal(formatFloat(1000000, 'g', -1), '1e+06');
  assert.equal(formatFloat(5e-324, 'g', -1), '5e-324');
  assert.equal(formatFloat(-0, 'g', -1), '-0');
  // Ties round to even on the exact binary value.
  assert.equal(formatFloat(2.5, 'f', 0), '2');
  assert.equal(formatFloat(0.125, 'f', 2), '0.12');
  assert.equal(formatFloat(1.005, 'f', 2), '1.00');
  assert.equal(formatFloat(12345, 'g', 4), '1.234e+04');
  assert.equal(formatFloat(999.96, 'g', 4), '1000');
  assert.equal(formatFloat(0.00001234, 'e', 2), '1.23e-05');
});
