import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AckJoin, createEnvelope, receiverContext, settleAll } from '../../src/pipeline/envelope.js';
import { PermanentError, RetryableError } from '../../src/pipeline/errors.js';
import type { TracesData } from '../../src/pdata/types.js';

const data = { resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'a' }, { name: 'b' }] }] }] } as unknown as TracesData;

function recorder() {
  const calls: string[] = [];
  return { calls, settler: { ack: () => calls.push('ack'), nack: (e: Error) => calls.push(`nack:${e.name}:${e.message}`) } };
}

test('an envelope counts its items and settles once', () => {
  const r = recorder();
  const env = createEnvelope('traces', data, receiverContext('otlp'), r.settler, 42);
  assert.equal(env.items, 2);
  assert.equal(env.bytes, 42);
  env.ack();
  env.nack(new Error('late'));
  env.ack();
  assert.deepEqual(r.calls, ['ack']);
  assert.equal(env.settled, true);
});

test('AckJoin settles the target after every share is released', () => {
  const r = recorder();
  const join = new AckJoin(r.settler);
  const a = join.retain();
  const b = join.retain();
  join.release();
  a.ack();
  assert.deepEqual(r.calls, []);
  b.ack();
  b.ack();
  assert.deepEqual(r.calls, ['ack']);
});

test('AckJoin reports a retryable failure over a permanent one, so the client retries instead of losing data', () => {
  const r = recorder();
  const join = new AckJoin(r.settler);
  const a = join.retain();
  const b = join.retain();
  const c = join.retain();
  join.release();
  a.nack(new PermanentError('bad'));
  b.ack();
  c.nack(new RetryableError('queue full'));
  assert.deepEqual(r.calls, ['nack:RetryableError:queue full']);
});

test('settleAll forwards one outcome to every parent', () => {
  const r1 = recorder();
  const r2 = recorder();
  settleAll([r1.settler, r2.settler]).nack(new PermanentError('x'));
  assert.deepEqual(r1.calls, ['nack:PermanentError:x']);
  assert.deepEqual(r2.calls, ['nack:PermanentError:x']);
});

test('a partial item count survives one failing share, and is dropped where it cannot apply', () => {
  const counts: Array<number | undefined> = [];
  const target = { ack: () => counts.push(-1), nack: (e: Error) => counts.push((e as PermanentError).rejectedItems) };
  const single = new AckJoin(target);
  single.retain().nack(new PermanentError('2 too old', 2));
  single.release();
  const double = new AckJoin(target);
  const [a, b] = [double.retain(), double.retain()];
  double.release();
  a.nack(new PermanentError('2 too old', 2));
  b.nack(new PermanentError('1 too old', 1));
  settleAll([target, target]).nack(new PermanentError('3 too old', 3));
  assert.deepEqual(counts, [2, undefined, undefined, undefined]);
});
