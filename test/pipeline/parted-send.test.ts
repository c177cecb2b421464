// PartedSend: a batch sent as several requests is split once, a retry resumes at the part that
// failed, and parts refused for good are reported together with their item count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PartedSend } from '../../src/pipeline/parted-send.js';
import { PermanentError, RetryableError } from '../../src/pipeline/errors.js';

test('split once per batch; a retry resumes at the failed part; permanent refusals are collected', async () => {
  const parted = new PartedSend<string[]>((part) => part.length);
  const data = {};
  let splits = 0;
  const split = () => {
    splits++;
    return [['a1', 'a2'], ['b1'], ['c1', 'c2', 'c3'], ['d1']];
  };
  const posted: string[] = [];
  const answers: Array<Error | undefined> = [undefined, new RetryableError('busy'), undefined, new PermanentError('bad c'), undefined];
  const post = async (part: string[]) => {
    posted.push(part[0]!);
    const answer = answers.shift();
    if (answer) throw answer;
  };
  await assert.rejects(parted.send(data, split, post), (err: Error) => err instanceof RetryableError);
  await assert.rejects(parted.send(data, split, post), (err: Error) => err instanceof PermanentError && err.message === 'bad c' && (err as PermanentError).rejectedItems === 3);
  assert.deepEqual(posted, ['a1', 'b1', 'b1', 'c1', 'd1'], 'a1 is not sent again; d1 still goes after c was refused');
  assert.equal(splits, 1);

  // Finished batches are forgotten: the same object sent again starts over.
  answers.length = 0;
  posted.length = 0;
  await parted.send(data, split, post);
  assert.deepEqual(posted, ['a1', 'b1', 'c1', 'd1']);
  assert.equal(splits, 2);
});
