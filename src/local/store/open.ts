/**
 * Opening a proxy's store: the data directory, the lock that keeps a second server off it, the
 * SQLite file with its schema. The server (`dev`, `serve`) opens it with `serve: true` (lock + hand
 * in-flight messages out again); a `--local` runbook command opens it without.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { applySchema, type SyncMode } from './schema.js';
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
