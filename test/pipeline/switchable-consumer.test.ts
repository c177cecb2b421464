// The switchable consumer a kept receiver hands data to: a switch takes effect for the next
// envelope, envelopes already handed on stay where they went, and mutates follows the target.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SwitchableConsumer } from '../../src/pipeline/switchable-consumer.js';
import type { Consumer } from '../../src/pipeline/component.js';
import { createEnvelope, receiverContext, type Envelope } from '../../src/pipeline/envelope.js';

function recorder(mutates: boolean): Consumer & { got: Envelope[] } {
  const got: Envelope[] = [];
  return {
    mutates,
    got,
    consume(e) {
      got.push(e);
    },
  };
}

const envelope = () => createEnvelope('traces', { resourceSpans: [] }, receiverContext('otlp'), { ack: () => {}, nack: () => {} });

test('consumes into its target until switched, then into the new one', () => {
  const old = recorder(false);
  const next = recorder(true);
  const switchable = new SwitchableConsumer(old);
  const first = envelope();
  switchable.consume(first);
  assert.equal(switchable.mutates, false);
  switchable.switchTo(next);
  const second = envelope();
  switchable.consume(second);
  assert.deepEqual(old.got, [first]);
  assert.deepEqual(next.got, [second]);
  assert.equal(switchable.mutates, true, 'mutates is the current target’s');
});
