/**
 * The built CLI under a real pseudo-terminal (test/helpers/run_in_pty.py, on python3's pty module), for what
 * only a terminal shows: ink's dashboards, and Ctrl-C typed as a person types it (the terminal sends
 * SIGINT to the whole process group). Unlike bin.ts, CI is not set, so the CLI renders with ink.
 */
import { spawn } from 'node:child_process';

const BIN = 'bin/webhook-proxy.js';

export interface PtyStep {
  /** Wait until the terminal's text (ANSI escapes removed) matches this. */
  when: RegExp;
  /** Then type this ("\u0003" is Ctrl-C). */
  send: string;
}

export interface PtyResult {
  /** The exit code, or null when a signal killed it. */
  status: number | null;
  signal: number | null;
  /** Everything the terminal showed, escapes included. */
  output: string;
  timedOut: boolean;
  /** The `when`s never seen. */
  stepsLeft: string[];
}

export const CTRL_C = '\u0003';

/** Strip ANSI escapes, for matching what a person reads. */
export const plainText = (s: string) =>
  // eslint-disable-next-line no-control-regex
  s.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[()][A-Z0-9]/g, '');

export function runInPty(
  args: string[],
  env: Record<string, string>,
  steps: PtyStep[],
  timeoutSeconds = 90,
): Promise<PtyResult> {
  const childEnv: Record<string, string> = { ...(process.env as Record<string, string>), ...env };
  delete childEnv.CI;
  childEnv.TERM = 'xterm-256color';
  const cfg = {
    argv: [process.execPath, BIN, ...args],
    env: childEnv,
    steps: steps.map((s) => ({ when: s.when.source, send: s.send })),
    timeout: timeoutSeconds,
  };
  return new Promise((resolve, reject) => {
    const py = spawn('python3', ['test/helpers/run_in_pty.py', JSON.stringify(cfg)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    py.stdout.on('data', (c: Buffer) => (out += c.toString()));
    py.stderr.on('data', (c: Buffer) => (err += c.toString()));
    py.on('error', reject);
    py.on('close', (code) => {
      if (code !== 0) return reject(new Error(`pty.py exited ${code}: ${err}`));
      resolve(JSON.parse(out) as PtyResult);
    });
  });
}
