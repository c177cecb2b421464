// The OTTL condition subset: what each context can address, operators and their type rules, and
// syntax errors that give the column and what was expected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Long from 'long';
import { compileCondition, compileRouteStatement, OttlSyntaxError, type OttlItem } from '../../src/ottl/condition.js';
import type { KeyValue } from '../../src/pdata/types.js';

const kv = (key: string, value: KeyValue['value']): KeyValue => ({ key, value });
const resource = { attributes: [kv('service.name', { stringValue: 'cart' }), kv('tenant', { stringValue: 'acme' }), kv('replicas', { intValue: Long.fromNumber(3) })] };
const span = {
  name: 'GET /cart',
  kind: 2,
  status: { code: 2, message: 'boom' },
  traceId: Uint8Array.from(Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex')),
  attributes: [kv('http.status_code', { intValue: 503 }), kv('retry', { boolValue: true }), kv('ratio', { doubleValue: 0.25 })],
  events: [],
  links: [],
};
const log = { severityNumber: 17, severityText: 'ERROR', body: { stringValue: 'disk full' }, attributes: [kv('region', { stringValue: 'east' })] };
const spanItem: OttlItem = { resource, scope: { name: 'express', version: '4.1', attributes: [] }, span };
const logItem: OttlItem = { resource, log };

test('resource context: attributes and resource.attributes both address the resource', () => {
  assert.equal(compileCondition('attributes["tenant"] == "acme"', 'resource')({ resource }), true);
  assert.equal(compileCondition('resource.attributes["tenant"] != "acme"', 'resource')({ resource }), false);
  assert.equal(compileCondition('attributes["replicas"] >= 3 and attributes["replicas"] < 4', 'resource')({ resource }), true);
  assert.equal(compileCondition('attributes["missing"] == nil', 'resource')({ resource }), true);
  assert.equal(compileCondition('attributes["missing"] == ""', 'resource')({ resource }), false);
});

test('span context: fields, enums, converters, boolean logic and precedence', () => {
  const check = (source: string) => compileCondition(source, 'span')(spanItem);
  assert.equal(check('kind == SPAN_KIND_SERVER and status.code == STATUS_CODE_ERROR'), true);
  assert.equal(check('name == "GET /cart" and attributes["http.status_code"] >= 500'), true);
  assert.equal(check('IsMatch(name, "^GET ")'), true);
  assert.equal(check('not IsMatch(name, "^POST ")'), true);
  assert.equal(check('attributes["retry"] == true and attributes["ratio"] < 0.5'), true);
  assert.equal(check('resource.attributes["service.name"] == "cart"'), true);
  assert.equal(check('instrumentation_scope.name == "express"'), true);
  assert.equal(check('trace_id.string == "0af7651916cd43dd8448eb211c80319c"'), true);
  // and binds tighter than or
  assert.equal(check('name == "x" and kind == 2 or status.message == "boom"'), true);
  assert.equal(check('name == "x" and (kind == 2 or status.message == "boom")'), false);
  // Different types are never equal and never ordered, as OTTL defines it.
  assert.equal(check('attributes["http.status_code"] == "503"'), false);
  assert.equal(check('attributes["http.status_code"] != "503"'), true);
  assert.equal(check('name > 3'), false);
  assert.equal(check('IsString(name) and IsInt(attributes["http.status_code"]) and IsBool(attributes["retry"]) and IsDouble(attributes["ratio"])'), true);
});

test('log context: severity enums, body, attributes', () => {
  const check = (source: string) => compileCondition(source, 'log')(logItem);
  assert.equal(check('severity_number >= SEVERITY_NUMBER_ERROR'), true);
  assert.equal(check('severity_number < SEVERITY_NUMBER_WARN'), false);
  assert.equal(check('severity_text == "ERROR" and body == "disk full" and attributes["region"] == "east"'), true);
});

test('request context: metadata keys match header names case-insensitively', () => {
  const metadata = new Map([['x-tenant', ['acme', 'second']]]);
  assert.equal(compileCondition('request["X-Tenant"] == "acme"', 'request')({ metadata }), true);
  assert.equal(compileCondition('request["x-tenant"] != "acme"', 'request')({ metadata }), false);
  assert.equal(compileCondition('request["x-other"] == nil', 'request')({ metadata }), true);
});

test('route() where <condition>, and route() alone matching everything', () => {
  assert.equal(compileRouteStatement('route() where attributes["tenant"] == "acme"', 'resource')({ resource }), true);
  assert.equal(compileRouteStatement('route()', 'resource')({ resource }), true);
});

test('syntax errors name the column and what was expected', () => {
  const fails = (source: string, context: 'resource' | 'span' | 'request', message: RegExp) =>
    assert.throws(() => compileCondition(source, context), (err: Error) => err instanceof OttlSyntaxError && message.test(err.message), source);
  fails('attributes["a"] = "b"', 'resource', /unexpected character "=" \(column 17\)/);
  fails('attributes["a"] == "b" and', 'resource', /expected a value .* found end of input \(column 27\)/);
  fails('name == "x"', 'resource', /"name" is not a path of the resource context; it has attributes\["key"\]/);
  fails('request["x"] == "a" and attributes["b"] == "c"', 'request', /"attributes\[...\]" is not a path of the request context; it has request\["key"\] \(column 25\)/);
  fails('IsMatch(attributes["a"], "(")', 'resource', /invalid regular expression/);
  fails('Upper(attributes["a"]) == "B"', 'resource', /unknown converter "Upper"; supported: IsMatch/);
  fails('attributes["a"] == "unterminated', 'resource', /unterminated string \(column 20\)/);
  fails('(attributes["a"] == "b"', 'resource', /expected "\)", found end of input/);
  assert.throws(() => compileRouteStatement('attributes["a"] == "b"', 'resource'), /expected "route\(\) where <condition>"/);
});
