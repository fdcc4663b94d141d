/**
 * What every `--local` runbook command does first: find the proxy's data directory (by name, or
 * --data-dir), open its queue.db directly (no server needed: WAL lets this process and a running
 * dev/serve write the same file), and see whether a server is running on it (server.json, pid alive).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from '../../errors.js';
import { validateName } from '../../proxy/names.js';
import { dataDirFor, dataRoot, readServerInfo, SERVER_FILE, type ServerInfo } from '../store/data-dir.js';
import { storeCounts } from '../store/counts.js';
import type { Database } from '../store/sqlite.js';
import { STORE_FILE } from '../store/open.js';

export const LOCAL_REGION = 'local';

export interface LocalServer extends ServerInfo {
  /** When the server writes it into server.json (not part of the contract's minimum). */
  upstream?: string;
}

export interface LocalProxy {
  name: string;
  /** Where-shaped (proxy/suggest.ts): suggested commands say --local or --data-dir, not --region. */
  region: typeof LOCAL_REGION;
  local: { dataDir: string };
  dataDir: string;
  db: Database;
  /** The dev/serve running on this directory, if any. */
  server: LocalServer | undefined;
  close(): void;
}

export interface LocalCounts {
  visible: number;
  inFlight: number;
  delayed: number;
}

/** The flags that make a runbook command act on a local proxy (`--local`, or `--data-dir DIR`). */
export interface LocalFlags {
  local?: boolean;
  dataDir?: string;
}

export const isLocal = (o: LocalFlags): boolean => Boolean(o.local || o.dataDir);

export async function openLocalProxy(name: string | undefined, flags: LocalFlags): Promise<LocalProxy> {
  const checked = validateName(name ?? 'default');
  const dataDir = dataDirFor(checked, flags.dataDir);
  if (!existsSync(join(dataDir, STORE_FILE))) {
    const named = flags.dataDir ? `--data-dir ${dataDir}` : checked === 'default' ? '' : `--name ${checked}`;
    throw new CliError(
      `No local proxy "${checked}": there is no ${STORE_FILE} in ${dataDir}.`,
      `Start one with "webhook-proxy dev ${named ? `${named} ` : ''}--upstream URL" (it creates the store there), ` +
        'or point at the directory a running one uses with --data-dir DIR.',
    );
  }
  const { openStoreDb } = await import('../store/open.js');
  const db = await openStoreDb({ dataDir });
  return {
    name: checked,
    region: LOCAL_REGION,
    local: { dataDir },
    dataDir,
    db,
    server: readServer(dataDir),
    close: () => db.close(),
  };
}

/**
 * Every local proxy under the default data root (`status --local` and `list --local` without a name):
 * the directories there that hold a store and whose name is a proxy name, sorted by name. Those made
 * with --data-dir elsewhere are not found (nothing records them); name them with --data-dir DIR.
 */
export function listLocalProxies(env: NodeJS.ProcessEnv = process.env): { root: string; names: string[] } {
  const root = dataRoot(env);
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(root, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { root, names: [] };
    throw err;
  }
  const names = entries
    .filter((e) => e.isDirectory() && existsSync(join(root, e.name, STORE_FILE)))
    .map((e) => e.name)
    .filter((name) => {
      try {
        return validateName(name) === name;
      } catch {
        return false; // not a directory dev made (dev names it after a valid proxy name)
      }
    })
    .sort();
  return { root, names };
}

/** Open, run, close (also on errors): the store is never left open by a command. */
export async function withLocalProxy<T>(
  name: string | undefined,
  flags: LocalFlags,
  fn: (p: LocalProxy) => Promise<T> | T,
): Promise<T> {
  const p = await openLocalProxy(name, flags);
  try {
    return await fn(p);
  } finally {
    p.close();
  }
}

function readServer(dataDir: string): LocalServer | undefined {
  const info = readServerInfo(dataDir);
  if (!info) return undefined;
  // readServerInfo gives the contract's fields; an upstream, when the server wrote one, is shown too.
  try {
    const raw = JSON.parse(readFileSync(join(dataDir, SERVER_FILE), 'utf8')) as { upstream?: unknown };
    return typeof raw.upstream === 'string' ? { ...info, upstream: raw.upstream } : info;
  } catch {
    return info;
  }
}

/** Queue counts as SQS reports them, exact and cheap however deep the queue (store/counts.ts). */
export function localCounts(db: Database, now = Date.now()): LocalCounts & { dlq: number } {
  const { visible, inFlight, delayed, dlq } = storeCounts(db, now);
  return { visible, inFlight, delayed, dlq };
}
