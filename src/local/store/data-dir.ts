/**
 * A local proxy's data directory (LOCAL contract, issue 13): where it is, and who may serve from it.
 *   queue.db     the SQLite store (schema.ts)
 *   lock         {pid, startedAt} of the dev/serve that owns the directory; a second one is refused
 *   server.json  {pid, url, name, startedAt} once it listens, so `--local` commands can find it
 *   events.log   the handlers' log lines for `logs --local`, bounded (src/local/event-log.ts), and
 *                events.log.1 before it; kept across stops, like the store
 * Both files go on a clean stop; after a crash they stay, and the next start takes the lock over
 * because its pid is no longer alive. No native code here: the lock is a plain file, so this module
 * loads (and its refusal reads well) even where better-sqlite3 does not.
 */
import { mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { CliError } from '../../errors.js';

export const LOCK_FILE = 'lock';
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
  return resolve(dataRoot(env), name);
}

/** Where the proxies' directories are by default: `$WEBHOOK_PROXY_DATA_DIR`, else the XDG data home's webhook-proxy. */
export function dataRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env[DATA_DIR_ENV]) return resolve(env[DATA_DIR_ENV]);
  const base = env.XDG_DATA_HOME ? env.XDG_DATA_HOME : join(homedir(), '.local', 'share');
  return resolve(base, 'webhook-proxy');
}

/** Created owner-only: the webhooks in it may carry secrets and personal data. */
export function ensureDataDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

export interface ServerInfo {
  pid: number;
  url: string;
  name: string;
  startedAt: string;
}

export interface DataDirLock {
  readonly dataDir: string;
  readonly pid: number;
  readonly startedAt: string;
  /** Write server.json (once the server listens). */
  announce(info: { url: string; name: string }): void;
  /** Remove server.json and the lock (a clean stop). Only if they are still ours. */
  release(): void;
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

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

function readFileSafe(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The running server of a data directory, if server.json names a live process. */
export function readServerInfo(dir: string): ServerInfo | undefined {
  const info = readJson<ServerInfo>(join(dir, SERVER_FILE));
  return info && pidAlive(info.pid) ? info : undefined;
}

/**
 * Take the directory for this process, or refuse (exit 1) naming the pid that holds it. A lock whose
 * pid is dead (kill -9, a crash, a power loss) is taken over. The lock file is created with O_EXCL, so
 * of two servers starting at once exactly one gets it. Removing a stale lock is itself guarded by an
 * O_EXCL file (lock.takeover): without it, two takeovers racing could each remove the other's fresh lock.
 */
export function acquireDataDir(dir: string, pid = process.pid): DataDirLock {
  ensureDataDir(dir);
  const lockPath = join(dir, LOCK_FILE);
  const takeoverPath = `${lockPath}.takeover`;
  const startedAt = new Date().toISOString();
  const mine = JSON.stringify({ pid, startedAt });
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(lockPath, mine, { flag: 'wx', mode: 0o600 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const held = readJson<{ pid?: number }>(lockPath);
    if (!held && fileAgeMs(lockPath) < 2_000) {
      // Just created by another starter, its content not written yet: look again shortly.
      sleepSync(20);
      continue;
    }
    const holder = Number(held?.pid);
    if (pidAlive(holder)) {
      throw new CliError(
        `Another webhook-proxy (pid ${holder}) is already serving ${dir}.`,
        'Stop it first, or give this one its own directory with --name NAME or --data-dir DIR.',
      );
    }
    if (attempt >= 200) {
      throw new CliError(
        `Could not take over the stale lock ${lockPath}.`,
        `Remove ${takeoverPath} if it is there, then try again.`,
      );
    }
    takeOver(lockPath, takeoverPath);
  }
  const stillMine = () => readFileSafe(lockPath) === mine;
  return {
    dataDir: dir,
    pid,
    startedAt,
    announce({ url, name }) {
      const info: ServerInfo = { pid, url, name, startedAt };
      // Written whole, then renamed: a reader never sees half a file.
      const tmp = join(dir, `${SERVER_FILE}.${pid}.tmp`);
      writeFileSync(tmp, `${JSON.stringify(info)}\n`, { mode: 0o600 });
      renameSync(tmp, join(dir, SERVER_FILE));
    },
    release() {
      if (!stillMine()) return;
      removeIfThere(join(dir, SERVER_FILE));
      removeIfThere(lockPath);
    },
  };
}

/** Remove the lock if it is (still) stale, holding the takeover guard; a guard left by a crash expires. */
function takeOver(lockPath: string, takeoverPath: string): void {
  try {
    writeFileSync(takeoverPath, String(process.pid), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    if (fileAgeMs(takeoverPath) > 5_000) removeIfThere(takeoverPath);
    else sleepSync(20);
    return;
  }
  try {
    const holder = Number(readJson<{ pid?: number }>(lockPath)?.pid);
    if (!pidAlive(holder)) removeIfThere(lockPath);
  } finally {
    removeIfThere(takeoverPath);
  }
}

function fileAgeMs(path: string): number {
  const stat = statSync(path, { throwIfNoEntry: false });
  return stat ? Date.now() - stat.mtimeMs : 0;
}

function removeIfThere(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Startup only, a few times at most: a synchronous wait keeps acquireDataDir simple to call. */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
