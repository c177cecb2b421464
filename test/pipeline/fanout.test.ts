import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fanOut } from '../../src/pipeline/fanout.js';
import { createEnvelope, receiverContext, type Envelope } from '../../src/pipeline/envelope.js';
import { RetryableError } from '../../src/pipeline/errors.js';
import type { Consumer } from '../../src/pipeline/component.js';
import type { TracesData } from '../../src/pdata/types.js';
import Long from 'long';

function makeData(): TracesData {
  return {
    resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans: [{ name: 'op', startTimeUnixNano: Long.fromString('1700000000000000001', true), traceId: new Uint8Array(16).fill(3), attributes: [], events: [], links: [] }] }] }],
  } as unknown as TracesData;
}

function consumer(mutates: boolean, seen: Envelope[], settle: (e: Envelope) => void = (e) => e.ack()): Consumer {
  return {
    mutates,
    consume(e) {
      seen.push(e);
      if (mutates) (e.data as TracesData).resourceSpans[0]!.scopeSpans[0]!.spans[0]!.name = 'changed';
      settle(e);
    },
  };
}

test('read-only branches share the data; a mutating branch gets its own copy', () => {
  const ro1: Envelope[] = [];
  const ro2: Envelope[] = [];
  const mut: Envelope[] = [];
  const calls: string[] = [];
  const data = makeData();
  fanOut([consumer(false, ro1), consumer(true, mut), consumer(false, ro2)]).consume(
    createEnvelope('traces', data, receiverContext('otlp'), { ack: () => calls.push('ack'), nack: () => calls.push('nack') }),
  );
  assert.equal(ro1[0]!.data, data);
  assert.equal(ro2[0]!.data, data);
  assert.notEqual(mut[0]!.data, data);
  assert.equal(data.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.name, 'op', 'readers never see the mutation');
  assert.equal((mut[0]!.data as TracesData).resourceSpans[0]!.scopeSpans[0]!.spans[0]!.name, 'changed');
  assert.equal(String((mut[0]!.data as TracesData).resourceSpans[0]!.scopeSpans[0]!.spans[0]!.startTimeUnixNano), '1700000000000000001');
  assert.deepEqual(calls, ['ack']);
});

test('the received encoding goes to read-only branches only: a mutating branch, even one keeping the original data, gets none', () => {
  const ro: Envelope[] = [];
  const mut1: Envelope[] = [];
  const mut2: Envelope[] = [];
  const otlp = new Uint8Array([1, 2, 3]);
  const envelope = () => createEnvelope('traces', makeData(), receiverContext('otlp'), { ack: () => {}, nack: () => {} }, 0, undefined, otlp);
  fanOut([consumer(false, ro), consumer(true, mut1)]).consume(envelope());
  assert.equal(ro[0]!.otlp, otlp);
  assert.equal(mut1[0]!.otlp, undefined);
  fanOut([consumer(true, mut1), consumer(true, mut2)]).consume(envelope());
  assert.equal(mut2[0]!.otlp, undefined, 'the last mutating branch keeps the data object but will change it');
});

test('a fan-out whose every branch mutates says it mutates, so a fan-out upstream copies for it and its readers keep the data and its encoding', () => {
  assert.equal(fanOut([consumer(true, []), consumer(true, [])]).mutates, true);
  assert.equal(fanOut([consumer(false, []), consumer(true, [])]).mutates, false);
  const ro: Envelope[] = [];
  const otlp = new Uint8Array([1, 2, 3]);
  const data = makeData();
  // As a forward connector into two pipelines that both change data, next to a read-only exporter.
  fanOut([fanOut([consumer(true, []), consumer(true, [])]), consumer(false, ro)]).consume(createEnvelope('traces', data, receiverContext('otlp'), { ack: () => {}, nack: () => {} }, 0, undefined, otlp));
  assert.equal(ro[0]!.data, data);
  assert.equal(data.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.name, 'op', 'the reader\'s data was not changed under it');
  assert.equal(ro[0]!.otlp, otlp);
});

test('when every branch mutates, the last keeps the original and the rest get copies', () => {
  const a: Envelope[] = [];
  const b: Envelope[] = [];
  const data = makeData();
  fanOut([consumer(true, a), consumer(true, b)]).consume(createEnvelope('traces', data, receiverContext('otlp'), { ack() {}, nack() {} }));
  assert.notEqual(a[0]!.data, data);
  assert.equal(b[0]!.data, data);
});

test('the parent is nacked when one branch refuses, after all branches settle', () => {
  const pending: Envelope[] = [];
  const calls: string[] = [];
  fanOut([consumer(false, [], (e) => pending.push(e)), consumer(false, [], (e) => e.nack(new RetryableError('full')))]).consume(
    createEnvelope('traces', makeData(), receiverContext('otlp'), { ack: () => calls.push('ack'), nack: (e) => calls.push(e.message) }),
  );
  assert.deepEqual(calls, []);
  pending[0]!.ack();
  assert.deepEqual(calls, ['full']);
});

test('a consumer that throws fails its envelope, not the fan-out', () => {
  const calls: string[] = [];
  const ok: Envelope[] = [];
  const throwing: Consumer = {
    mutates: false,
    consume() {
      throw new Error('bug');
    },
  };
  fanOut([throwing, consumer(false, ok)]).consume(createEnvelope('traces', makeData(), receiverContext('otlp'), { ack: () => calls.push('ack'), nack: (e) => calls.push(e.message) }));
  assert.equal(ok.length, 1);
  assert.deepEqual(calls, ['bug']);
});
