import { describe, expect, it } from 'vitest';
import { retryWhileBusy } from '../../src/aws/retry.js';

const busy = () => Object.assign(new Error('busy'), { name: 'ResourceInUseException' });
const isBusy = (err: unknown) => (err as Error).name === 'ResourceInUseException';

describe('retryWhileBusy', () => {
  it('retries only the busy errors, with growing delays, until the call passes', async () => {
    const at: number[] = [];
    let calls = 0;
    const out = await retryWhileBusy(
      async () => {
        at.push(Date.now());
        if (++calls < 4) throw busy();
        return 'done';
      },
      { isBusy, maxWaitMs: 10_000, firstDelayMs: 10, maxDelayMs: 40 },
    );
    expect(out).toBe('done');
    expect(calls).toBe(4);
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    // 10, 20, 40 ms (timers may fire a little late, never early)
    expect(gaps[0]).toBeGreaterThanOrEqual(9);
    expect(gaps[2]).toBeGreaterThanOrEqual(39);

    calls = 0;
    await expect(
      retryWhileBusy(
        async () => {
          calls++;
          throw new Error('no');
        },
        { isBusy, maxWaitMs: 10_000, firstDelayMs: 1, maxDelayMs: 1 },
      ),
    ).rejects.toThrow('no');
    expect(calls).toBe(1);
  });

  it('stops at its time bound with the last error, the last wait ending at the bound', async () => {
    const started = Date.now();
    let calls = 0;
    const err = await retryWhileBusy(
      async () => {
        calls++;
        throw busy();
      },
      { isBusy, maxWaitMs: 60, firstDelayMs: 1000, maxDelayMs: 1000 },
    ).catch((e: unknown) => e);
    expect((err as Error).name).toBe('ResourceInUseException');
    // One try at once, one at the bound (60 ms), not a whole first delay (1 s) later.
    expect(calls).toBe(2);
    expect(Date.now() - started).toBeLessThan(900);
  });

  it('stops after its attempts when it has a count', async () => {
    let calls = 0;
    await expect(
      retryWhileBusy(
        async () => {
          calls++;
          throw busy();
        },
        { isBusy, maxWaitMs: Infinity, attempts: 3, firstDelayMs: 1, maxDelayMs: 1 },
      ),
    ).rejects.toThrow('busy');
    expect(calls).toBe(3);
  });
});
