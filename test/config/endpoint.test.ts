import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEndpoint } from '../../src/config/endpoint.js';

test('host:port forms the Collector accepts', () => {
  assert.deepEqual(parseEndpoint('0.0.0.0:4317'), { host: '0.0.0.0', port: 4317 });
  assert.deepEqual(parseEndpoint('localhost:4318'), { host: 'localhost', port: 4318 });
  assert.deepEqual(parseEndpoint('[::1]:13133'), { host: '::1', port: 13133 });
  assert.deepEqual(parseEndpoint(':8888'), { host: '0.0.0.0', port: 8888 });
});

test('malformed endpoints are errors that say what is expected', () => {
  for (const bad of ['4317', 'host', 'host:port', 'a:99999', '[::1]', 'http://x:1']) {
    assert.throws(() => parseEndpoint(bad), /invalid endpoint .*(expected host:port|above 65535)/, bad);
  }
});
