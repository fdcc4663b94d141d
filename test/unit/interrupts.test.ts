import { describe, expect, it } from 'vitest';
import { interruptExitCode, trapInterrupts } from '../../src/interrupts.js';

describe('trapInterrupts', () => {
  it('aborts on the first signal with its exit code, reports repeats, and stays on until disposed', () => {
    const before = process.listenerCount('SIGINT');
    const repeats: string[] = [];
    const t = trapInterrupts({ onRepeat: (sig) => repeats.push(sig) });
    expect(process.listenerCount('SIGINT')).toBe(before + 1);
    process.emit('SIGTERM');
    expect(t.signal.aborted).toBe(true);
    expect(interruptExitCode(t.signal)).toBe(143);
    expect(t.exitCode()).toBe(143);
    process.emit('SIGINT');
    // Still listening after the signal (a `once` listener would be gone, and ink's signal-exit would
    // then re-raise the signal and kill the process): the repeat is reported, the code is the first's.
    expect(process.listenerCount('SIGINT')).toBe(before + 1);
    expect(repeats).toEqual(['SIGINT']);
    expect(t.exitCode()).toBe(143);
    t.dispose();
    expect(process.listenerCount('SIGINT')).toBe(before);
  });

  it('an AbortSignal of another kind (a test, a caller) stands for Ctrl-C: 130', () => {
    const ac = new AbortController();
    ac.abort();
    expect(interruptExitCode(ac.signal)).toBe(130);
  });
});
