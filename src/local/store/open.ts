/**
 * Opening a proxy's store: the data directory, the lock that keeps a second server off it, the
 * SQLite file with its schema. The server (`dev`, `serve`) opens it with openServerQueue (lock, then
 * hand in-flight messages out again); a `--local` runbook command opens the file alone (openStoreDb).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { localStoreFromOptions, type LocalStore } from '../../commands/local-options.js';
import { CliError } from '../../errors.js';
import { acquireDataDir, type DataDirLock } from './data-dir.js';
import { applySchema, type SyncMode } from './schema.js';
import { SqliteQueue, type SqliteQueueOptions } from './sqlite-queue.js';
import { loadSqlite, type Database } from './sqlite.js';

export const STORE_FILE = 'queue.db';

export interface OpenStoreOptions {
  dataDir: string;
  sync?: SyncMode;
}

export async function openStoreDb(options: OpenStoreOptions): Promise<Database> {
  const Sqlite = await loadSqlite();
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const db = new Sqlite(join(options.dataDir, STORE_FILE));
  try {
    applySchema(db, options.sync ?? 'normal');
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

export type DiskStore = Extract<LocalStore, { kind: 'disk' }>;

/** What a start on an existing data directory found: `inFlight` of the `queued` were handed out again. */
export interface Resumed {
  queued: number;
  inFlight: number;
  deadLettered: number;
}

/** No store given (an embedder calling startDev): the contract's defaults for the proxy `default`. */
export function defaultDiskStore(): DiskStore {
  return localStoreFromOptions({}) as DiskStore;
}

/**
 * Load SQLite (a CliError with the fix when it cannot be), take the directory's lock (refused while
 * another server holds it), open the file and hand the messages a killed process had in flight out
 * again: only the lock holder may, or it would steal a running server's leases.
 */
export async function openServerQueue(
  store: DiskStore,
  options: Pick<SqliteQueueOptions, 'visibilityTimeout' | 'maxReceiveCount'>,
): Promise<{ queue: SqliteQueue; lock: DataDirLock; resumed: Resumed }> {
  await loadSqlite();
  const lock = acquireDataDir(store.dataDir);
  try {
    const db = await openStoreDb({ dataDir: store.dataDir, sync: store.sync });
    const queue = new SqliteQueue(db, {
      ...options,
      maxQueueBytes: store.maxQueueBytes,
      name: `webhook-proxy-${store.name}`,
    });
    const inFlight = queue.releaseLeases();
    const s = await queue.stats();
    return {
      queue,
      lock,
      resumed: { queued: s.visible + s.inFlight + s.delayed, inFlight, deadLettered: s.dlq ?? 0 },
    };
  } catch (err) {
    lock.release();
    if (err instanceof CliError) throw err;
    throw new CliError(
      `Could not open the local store in ${store.dataDir}: ${err instanceof Error ? err.message : String(err)}`,
      'Check that the directory is yours and writable, or use another with --data-dir.',
      { cause: err },
    );
  }
}
