/**
 * A local proxy's data directory (LOCAL contract, issue 13). Minimal version for the `--local` runbook
 * commands; the i13-store branch owns this file (lock, server.json writing) and replaces it on merge.
 *   queue.db     the SQLite store (schema.ts)
 *   server.json  {pid, url, name, startedAt} while a dev/serve listens
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export const SERVER_FILE = 'server.json';
export const DEFAULT_NAME = 'default';
export const DATA_DIR_ENV = 'WEBHOOK_PROXY_DATA_DIR';

/**
 * `--data-dir` if given; else `$WEBHOOK_PROXY_DATA_DIR/<name>`, `$XDG_DATA_HOME/webhook-proxy/<name>`
 * or `~/.local/share/webhook-proxy/<name>` (the XDG base directory default).
 */
export function dataDirFor(
  name: string = DEFAULT_NAME,
  flagValue?: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (flagValue) return resolve(flagValue);
  if (env[DATA_DIR_ENV]) return resolve(env[DATA_DIR_ENV], name);
  const base = env.XDG_DATA_HOME ? env.XDG_DATA_HOME : join(homedir(), '.local', 'share');
  return resolve(base, 'webhook-proxy', name);
}

export interface ServerInfo {
  pid: number;
  url: string;
  name: string;
  startedAt: string;
}

/** Whether a process with this pid exists (EPERM: it does, owned by someone else). */
export function pidAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The running server of a data directory, if server.json names a live process. */
export function readServerInfo(dir: string): ServerInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(join(dir, SERVER_FILE), 'utf8')) as ServerInfo;
    return pidAlive(info.pid) ? info : undefined;
  } catch {
    return undefined;
  }
}
