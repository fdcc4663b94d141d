/**
 * Every `dev` a test starts gets its own data directory (WEBHOOK_PROXY_DATA_DIR, LOCAL contract), so
 * tests never share a store, never see another test's leftovers and never lock each other out; and
 * never touch the user's ~/.local/share. A test that restarts on the same store passes --data-dir.
 * The directories go when the test process exits.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];
process.once('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A new, empty directory. */
export function tempDataDir(prefix = 'wp-data-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** The environment for one child: a fresh WEBHOOK_PROXY_DATA_DIR, unless `env` already sets one. */
export function withDataDir(env: Record<string, string> = {}): Record<string, string> {
  return env.WEBHOOK_PROXY_DATA_DIR ? env : { WEBHOOK_PROXY_DATA_DIR: tempDataDir(), ...env };
}
