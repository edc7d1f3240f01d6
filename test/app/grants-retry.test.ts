// withConflictRetry: lost write races are retried with backoff, a bounded number of times.
import { describe, expect, it } from 'vitest';
import { withConflictRetry } from '../../lib/app/deps.js';
import { StateConflictError } from '../../lib/domain/errors.js';
import { ConcurrentUpdateError } from '../../lib/domain/ports.js';

/** A pause that records what it was asked to wait, and waits not at all. */
const recording = () => {
  const slept: number[] = [];
  return { slept, pause: { sleep: async (ms: number) => void slept.push(ms), random: () => 0.5 } };
};

describe('withConflictRetry', () => {
  it('retries ConcurrentUpdateError until the operation succeeds, with full-jitter exponential backoff', async () => {
    let calls = 0;
    const { slept, pause } = recording();
    const result = await withConflictRetry(
      { pause },
      async () => {
        calls += 1;
        if (calls < 4) throw new ConcurrentUpdateError('lost');
        return 'done';
      },
      { baseDelayMs: 10, maxDelayMs: 50 },
    );
    expect({ result, calls }).toEqual({ result: 'done', calls: 4 });
    // random 0.5 × min(max, base × 2^attempt) after attempts 1, 2 and 3
    expect(slept).toEqual([10, 20, 25]);
  });

  it('gives up after the configured attempts with the last conflict', async () => {
    let calls = 0;
    const attempt = withConflictRetry(
      recording(),
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
    const attempt = withConflictRetry(recording(), async () => {
      calls += 1;
      throw new StateConflictError('grant.not-pending', 'no');
    });
    await expect(attempt).rejects.toBeInstanceOf(StateConflictError);
    expect(calls).toBe(1);
  });
});
