/**
 * A wait that an abort ends early (drain's and status --watch's polling loops): Ctrl-C must not sit
 * out the rest of a poll interval. It resolves, never rejects, so the loop itself decides what an
 * abort means (a report, an exit code) instead of every caller catching an AbortError.
 */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done);
  });
}
