/**
 * The SQLite file of a local proxy: its queue, its DLQ and its runtime settings, readable with the
 * `sqlite3` tool (README, "The local store"). Versioned with `PRAGMA user_version`.
 *
 * messages   one row per message. queue 0 = the queue, 1 = the DLQ. visible_at (ms since the epoch)
 *            is when it may be received again: > now means in flight, backing off, or delayed.
 *            leased = 1 while a receive holds it (not yet deleted, released or backed off): what a
 *            restart hands out again. receipt is the latest receipt handle's token; body is the
 *            envelope JSON, stored as received. In the DLQ (never received from: redrive moves
 *            rows back with receive_count 0) receive_count is the attempts the webhook was given.
 * counts     per queue: how many messages, their body bytes, and how many were never received
 *            (receive_count = 0: waiting or delayed sends, redriven ones), kept by triggers, so stats
 *            and the --max-queue-bytes check never scan the table (and stay right when another
 *            process, a `--local` runbook command, changes the file). counts.ts says how.
 * settings   key → JSON value: what runbook commands write for a running server (paused, concurrency…).
 */
import { CliError } from '../../errors.js';
import type { Database } from './sqlite.js';

export const SCHEMA_VERSION = 1;
export const MAIN = 0;
export const DLQ = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS messages (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
  queue INTEGER NOT NULL,
  body TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  sent_at INTEGER NOT NULL,
  visible_at INTEGER NOT NULL,
  receive_count INTEGER NOT NULL DEFAULT 0,
  first_receive_at INTEGER NOT NULL DEFAULT 0,
  leased INTEGER NOT NULL DEFAULT 0,
  receipt TEXT
);
CREATE INDEX IF NOT EXISTS messages_by_visibility ON messages (queue, visible_at, receive_count);
CREATE TABLE IF NOT EXISTS counts (
  queue INTEGER PRIMARY KEY,
  messages INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  unreceived INTEGER NOT NULL DEFAULT 0
);
INSERT OR IGNORE INTO counts (queue, messages, bytes) VALUES (0, 0, 0), (1, 0, 0);
CREATE TRIGGER IF NOT EXISTS messages_insert AFTER INSERT ON messages BEGIN
  UPDATE counts SET messages = messages + 1, bytes = bytes + NEW.bytes,
    unreceived = unreceived + (NEW.receive_count = 0) WHERE queue = NEW.queue;
END;
CREATE TRIGGER IF NOT EXISTS messages_delete AFTER DELETE ON messages BEGIN
  UPDATE counts SET messages = messages - 1, bytes = bytes - OLD.bytes,
    unreceived = unreceived - (OLD.receive_count = 0) WHERE queue = OLD.queue;
END;
CREATE TRIGGER IF NOT EXISTS messages_move AFTER UPDATE OF queue ON messages WHEN OLD.queue <> NEW.queue BEGIN
  UPDATE counts SET messages = messages - 1, bytes = bytes - OLD.bytes,
    unreceived = unreceived - (OLD.receive_count = 0) WHERE queue = OLD.queue;
  UPDATE counts SET messages = messages + 1, bytes = bytes + NEW.bytes,
    unreceived = unreceived + (NEW.receive_count = 0) WHERE queue = NEW.queue;
END;
CREATE TRIGGER IF NOT EXISTS messages_receive AFTER UPDATE OF receive_count ON messages
WHEN OLD.queue = NEW.queue AND (OLD.receive_count = 0) <> (NEW.receive_count = 0) BEGIN
  UPDATE counts SET unreceived = unreceived + (NEW.receive_count = 0) - (OLD.receive_count = 0)
    WHERE queue = NEW.queue;
END;
CREATE TABLE IF NOT EXISTS settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
`;

export type SyncMode = 'normal' | 'full';

/** The page cache's bound (KiB) and the WAL size kept after a checkpoint: see applySchema. */
export const CACHE_KIB = 8192;
export const JOURNAL_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * WAL, and synchronous=NORMAL unless told `full` (https://www.sqlite.org/pragma.html#pragma_synchronous,
 * https://www.sqlite.org/wal.html): in WAL mode NORMAL syncs only at checkpoints, so a commit is safe from
 * a process crash (kill -9, OOM) at once — the WAL write is in the OS's page cache — but the transactions
 * committed since the last checkpoint may roll back after a power loss or an OS crash; the file is never
 * corrupted. FULL syncs the WAL on every commit (one fsync per group commit, not per webhook).
 */
export function applySchema(db: Database, sync: SyncMode, file = 'the local store'): void {
  // Read before anything writes: journal_mode = WAL and the CREATEs below would change a newer store.
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) throw storeTooNew(file, version);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${sync === 'full' ? 'FULL' : 'NORMAL'}`);
  // A runbook command writing while the server commits waits for the lock instead of failing at once.
  db.pragma('busy_timeout = 5000');
  // Memory that stays flat however deep the queue (issue 13: 150 MB RSS with a million 1 KB webhooks),
  // set here rather than left to how SQLite was built (https://www.sqlite.org/pragma.html):
  // - a bounded page cache, 8 MiB: the queue's working set is the two ends of the table and of its
  //   index (appends at the tail, receives and deletes at the head), not the whole file; the cache
  //   is SQLite's biggest use of memory, and better-sqlite3's build defaults to 16 MiB, others to 2;
  db.pragma(`cache_size = -${CACHE_KIB}`);
  // - no memory-mapped I/O: every page read through a mapping counts in the process's RSS, up to the
  //   whole file (over 1 GB at a million webhooks); reads go through the bounded cache instead;
  db.pragma('mmap_size = 0');
  // - a checkpoint every 1,000 pages (about 4 MB of WAL, SQLite's default, made explicit): the WAL's
  //   index (the -shm file, mapped into memory) grows with the WAL, so the WAL is kept short;
  db.pragma('wal_autocheckpoint = 1000');
  // - and a WAL file cut back to 64 MiB after a checkpoint: one that grew while a runbook command
  //   held a read open (no checkpoint can pass a reader) does not keep its size on disk for good.
  db.pragma(`journal_size_limit = ${JOURNAL_LIMIT_BYTES}`);
  // One transaction: a runbook command opening the file meanwhile sees the old schema or the new one.
  db.transaction(() => {
    addUnreceivedCount(db);
    db.exec(SCHEMA);
  }).immediate();
  if (version < SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
}

/**
 * A store written before counts.unreceived: the column added, counted once, and the triggers that
 * did not keep it dropped (SCHEMA creates them again). No version change: an older webhook-proxy
 * opening the file keeps using it as before (its CREATE ... IF NOT EXISTS leave the new triggers,
 * which keep the column right through its writes too).
 */
function addUnreceivedCount(db: Database): void {
  const columns = db.pragma('table_info(counts)') as { name: string }[];
  if (!columns.length || columns.some((c) => c.name === 'unreceived')) return;
  db.exec(`
ALTER TABLE counts ADD COLUMN unreceived INTEGER NOT NULL DEFAULT 0;
UPDATE counts SET unreceived = (SELECT count(*) FROM messages m WHERE m.queue = counts.queue AND m.receive_count = 0);
DROP TRIGGER IF EXISTS messages_insert;
DROP TRIGGER IF EXISTS messages_delete;
DROP TRIGGER IF EXISTS messages_move;
`);
}

/** A store a newer webhook-proxy wrote: left exactly as it is (its schema may mean things this one does not know). */
function storeTooNew(file: string, version: number): CliError {
  return new CliError(
    `${file} was written by a newer webhook-proxy (store schema version ${version}; this one knows up to ${SCHEMA_VERSION}). Nothing in it was changed.`,
    'Upgrade webhook-proxy to the version that wrote it (npm install -g webhook-proxy@latest), ' +
      'or point this one at another directory with --data-dir DIR.',
    { code: 'store_too_new' },
  );
}
