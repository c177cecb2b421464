// pipelines/tempo.yaml: the example validates with the real registry and both of its Tempo
// exporters carry the tenant header (the header's arrival is shown in otlp.test.ts and otlphttp.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { grpcTarget, type OtlpExporterConfig } from '../../src/exporters/otlp/factory.js';
import { signalUrl, type OtlpHttpExporterConfig } from '../../src/exporters/otlphttp/factory.js';
import { loadConfig } from '../../src/config/load.js';
import { validateConfig } from '../../src/config/validate.js';
import { factories } from '../../src/components.js';

test('pipelines/tempo.yaml validates: both Tempo exporters carry the tenant header', () => {
  const loaded = loadConfig([fileURLToPath(new URL('../../pipelines/tempo.yaml', import.meta.url))]);
  assert.deepEqual(loaded.issues, []);
  const result = validateConfig(loaded.raw!, factories);
  assert.deepEqual(result.issues, []);
  const grpcConfig = result.config!.exporters.get('otlp/tempo')!.config as OtlpExporterConfig;
  assert.deepEqual(grpcConfig.headers, { 'X-Scope-OrgID': 'tenant-a' });
  assert.deepEqual(grpcTarget(grpcConfig.endpoint, grpcConfig.tls), { target: 'tempo:4317', secure: false });
  const httpConfig = result.config!.exporters.get('otlphttp/tempo')!.config as OtlpHttpExporterConfig;
  assert.deepEqual(httpConfig.headers, { 'X-Scope-OrgID': 'tenant-a' });
  assert.equal(signalUrl(httpConfig, 'traces').href, 'http://tempo:4318/v1/traces');
  assert.deepEqual(
    result.config!.service.pipelines.map((p) => [p.id, p.exporters]),
    [
      ['traces', ['otlp/tempo']],
      ['traces/http', ['otlphttp/tempo']],
    ],
  );
});
