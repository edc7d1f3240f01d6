// withConflictRetry: lost write races are retried with backoff, a bounded number of times.
import { describe, expect, it } from 'vitest';
import { withConflictRetry } from '../../lib/app/deps.js';
import { StateConflictError } from '../../lib/domain/errors.js';
import { ConcurrentUpdateError } from '../../lib/domain/ports.js';

describe('withConflictRetry', () => {
  it('retries ConcurrentUpdateError until the operation succeeds', async () => {
    let calls = 0;
    const result = await withConflictRetry(
      async () => {
        calls += 1;
        if (calls < 4) throw new ConcurrentUpdateError('lost');
        return 'done';
      },
      { baseDelayMs: 1, maxDelayMs: 2 },
    );
    expect({ result, calls }).toEqual({ result: 'done', calls: 4 });
  });

  it('gives up after the configured attempts with the last conflict', async () => {
    let calls = 0;
    const attempt = withConflictRetry(
      async () => {
        calls += 1;
        throw new ConcurrentUpdateError(`lost ${calls}`);
      },
      { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
    );
    await expect(attempt).rejects.toThrow('lost 3');
    expect(calls).toBe(3);
  });

  it('never retries other errors', async () => {
    let calls = 0;
    const attempt = withConflictRetry(async () => {
      calls += 1;
      throw new StateConflictError('grant.not-pending', 'no');
    });
    await expect(attempt).rejects.toBeInstanceOf(StateConflictError);
    expect(calls).toBe(1);
  });
});
