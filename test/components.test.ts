// The registry: every registered type loads a factory of that kind and type, and a config loads
// only the factories of the types it names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allFactories, componentTypes, describeComponents, factoriesFor } from '../src/components.js';

test('every registered type loads the factory of that kind and type, each once', async () => {
  const factories = await allFactories();
  assert.deepEqual(
    factories.map((f) => `${f.kind}/${f.type}`),
    componentTypes.map((t) => `${t.kind}/${t.type}`),
  );
  assert.equal(new Set(componentTypes.map((t) => `${t.kind}/${t.type}`)).size, componentTypes.length);
  assert.match(describeComponents(factories), /exporters:\n(.|\n)*awscloudwatchlogs/);
});

test('a config loads only the factories of the types it names, by kind; unknown types are left to validation', async () => {
  const factories = await factoriesFor({
    receivers: { otlp: {}, 'otlp/second': {} },
    processors: { batch: {}, 'nosuch/x': {} },
    exporters: { 'otlp/tempo': {}, debug: null },
    connectors: 'not a map',
    service: { pipelines: {} },
  });
  assert.deepEqual(factories.map((f) => `${f.kind}/${f.type}`).sort(), ['exporter/debug', 'exporter/otlp', 'processor/batch', 'receiver/otlp']);
});
