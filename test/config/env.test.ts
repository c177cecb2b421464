import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandEnv } from '../../src/config/env.js';

const env = { HOST: 'collector', PORT: '4317', LIST: '[a, b]', EMPTY: '' };

test('a whole reference takes the YAML type of its value only when typed', () => {
  assert.deepEqual(expandEnv('${env:PORT}', env, true), { value: 4317, unset: [], problems: [] });
  assert.deepEqual(expandEnv('${env:PORT}', env, false).value, '4317');
  assert.deepEqual(expandEnv('${LIST}', env, true).value, ['a', 'b']);
  assert.equal(expandEnv('${env:EMPTY}', env, true).value, '');
  assert.equal(expandEnv('${env:PORT}${env:PORT}', env, true).value, '43174317');
});

test('defaults may hold colons; $$ is a literal dollar; a lone $ stays', () => {
  assert.equal(expandEnv('${env:NOPE:-http://localhost:4318}', env, true).value, 'http://localhost:4318');
  assert.equal(expandEnv('$${HOST} costs $$5 or $5', env, false).value, '${HOST} costs $5 or $5');
});

test('unset variables expand to "" and are named; malformed references are kept and reported', () => {
  assert.deepEqual(expandEnv('x${env:NOPE}y', env, false), { value: 'xy', unset: ['NOPE'], problems: [] });
  assert.deepEqual(expandEnv('${env:1BAD} and ${HOST', env, false), {
    value: '${env:1BAD} and ${HOST',
    unset: [],
    problems: ['invalid environment variable name "1BAD" in "${env:1BAD}"', 'unterminated reference "${HOST"'],
  });
});
