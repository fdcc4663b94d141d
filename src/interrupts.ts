/**
 * Ctrl-C (SIGINT), SIGTERM and SIGHUP for a command that must put something back before it ends
 * (`drain --concurrency` restoring the old concurrency) or leave the terminal clean (`status --watch`).
 *
 * The signal aborts the command's AbortSignal; the command finishes its `finally` (the restore), and
 * the entry point exits with 128 + the signal's number (130 for Ctrl-C). The listeners stay on until
 * the command disposes of them, after it has unmounted ink, and that is what the fix is about: ink 6
 * unmounts on exit through signal-exit (ink/build/ink.js: `signalExit(this.unmount, {alwaysLast:
 * false})`), and signal-exit 3's own SIGINT listener, when it finds no other listener left
 * (`process.listeners(sig).length === emitter.count`), unmounts and re-raises the signal with
 * `process.kill(process.pid, sig)`, which kills the process before any `finally` runs. A
 * `process.once('SIGINT')` listener has removed itself by the time signal-exit looks, so the first
 * Ctrl-C used to kill a boosted drain and leave the concurrency boosted. ink itself reads Ctrl-C only
 * from stdin in raw mode (exitOnCtrlC, App.js); our views never take raw mode (no useInput), so the
 * terminal turns Ctrl-C into SIGINT for the whole process group.
 */

export const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
export type StopSignal = keyof typeof SIGNAL_EXIT_CODES;
const SIGNALS = Object.keys(SIGNAL_EXIT_CODES) as StopSignal[];

export interface Interrupts {
  /** Aborted by the first signal; its `reason` is that signal's exit code. */
  signal: AbortSignal;
  /** The exit code for the signal received (130 for SIGINT), or undefined. */
  exitCode(): number | undefined;
  /** Remove the listeners: call it last, after ink has unmounted. */
  dispose(): void;
}

/** The exit code an aborted signal stands for (an AbortSignal from trapInterrupts, or any other: 130). */
export function interruptExitCode(signal: AbortSignal | undefined): number {
  return typeof signal?.reason === 'number' ? signal.reason : SIGNAL_EXIT_CODES.SIGINT;
}

export function trapInterrupts(o: { onRepeat?: (signal: StopSignal) => void } = {}): Interrupts {
  const ac = new AbortController();
  let received: StopSignal | undefined;
  const ignoreWriteErrors = () => undefined;
  const on = (sig: StopSignal) => {
    if (sig === 'SIGHUP') {
      // The terminal is gone: writing the progress to it would fail (EIO) and crash the restore.
      process.stdout.on('error', ignoreWriteErrors);
      process.stderr.on('error', ignoreWriteErrors);
    }
    if (received) {
      o.onRepeat?.(sig);
      return;
    }
    received = sig;
    ac.abort(SIGNAL_EXIT_CODES[sig]);
  };
  const listeners = SIGNALS.map((sig) => [sig, () => on(sig)] as const);
  for (const [sig, fn] of listeners) process.on(sig, fn);
  return {
    signal: ac.signal,
    exitCode: () => (received ? SIGNAL_EXIT_CODES[received] : undefined),
    dispose: () => {
      for (const [sig, fn] of listeners) process.off(sig, fn);
    },
  };
}
