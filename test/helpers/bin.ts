/**
 * The built CLI (`bin/webhook-proxy.js`, run from the repository root) as a user runs it: a child
 * process of this Node, with CI=1 (no interactive UI) on top of this process's environment and `env`.
 * `npm test` builds first; run alone, a test file that awaits e2e/dev-harness.ts's ensureBuilt builds
 * if dist/ is older than src/.
 */
import { spawn, spawnSync, type ChildProcessByStdio, type SpawnSyncReturns } from 'node:child_process';
import type { Readable } from 'node:stream';
import { withDataDir } from './data-dir.js';

const BIN = 'bin/webhook-proxy.js';
// Each run its own data directory (helpers/data-dir.ts): a dev started here never shares a store.
const binEnv = (env: Record<string, string>) => ({ ...process.env, CI: '1', ...withDataDir(env) });

/** Run to the end; a `timeout` (ms) kills it (status null) rather than hang the test file. */
export function runBin(
  args: string[],
  env: Record<string, string> = {},
  o: { timeout?: number } = {},
): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: binEnv(env), ...o });
}

/** Start it and leave it running: stdin is closed, stdout and stderr are pipes. */
export function spawnBin(
  args: string[],
  env: Record<string, string> = {},
): ChildProcessByStdio<null, Readable, Readable> {
  return spawn(process.execPath, [BIN, ...args], { env: binEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
}

/** runBin without blocking this test file's event loop (its timers, vitest's timeout) meanwhile. */
export function runBinAsync(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawnBin(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
