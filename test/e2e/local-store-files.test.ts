/**
 * The local store's files (issue 13): owner-only whatever the umask, and a store written by a newer
 * webhook-proxy refused without being touched. The built binary, on real files.
 */
import { chmodSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openStoreDb } from '../../src/local/store/open.js';
import { runBinAsync } from '../helpers/bin.js';
import { tempDataDir } from '../helpers/data-dir.js';
import { startUpstream } from '../helpers/upstream.js';
import { ensureBuilt, post, startDev } from './dev-harness.js';

beforeAll(ensureBuilt, 180_000);

const mode = (path: string) => statSync(path).mode & 0o777;
/** Every entry of the directory with its mode, e.g. {"queue.db": 0o600}. */
const modes = (dir: string) => Object.fromEntries(readdirSync(dir).map((f) => [f, mode(join(dir, f))]));

describe('the data directory under a permissive umask', () => {
  // The children inherit it (vitest runs test files in forks, where process.umask can be set).
  let saved: number | undefined;
  afterEach(() => {
    if (saved !== undefined) process.umask(saved);
    saved = undefined;
  });

  it('is 0700 and every file in it 0600 while dev runs, queue.db, -wal and -shm included', async () => {
    saved = process.umask(0);
    const upstream = await startUpstream((_req, res) => res.end('ok'));
    const dataDir = join(tempDataDir(), 'nested', 'stripe');
    const dev = await startDev(['--upstream', upstream.url, '--data-dir', dataDir]);
    try {
      expect((await post(dev.url, '{"a":1}')).status).toBe(200);
      await dev.waitFor((e) => e.event === 'delivered');
      const running = modes(dataDir);
      expect(Object.keys(running)).toEqual(
        expect.arrayContaining(['queue.db', 'queue.db-wal', 'queue.db-shm', 'lock', 'server.json']),
      );
      for (const [file, m] of Object.entries(running)) expect([file, m.toString(8)]).toEqual([file, '600']);
      expect(mode(dataDir).toString(8)).toBe('700');
      expect(mode(join(dataDir, '..')).toString(8)).toBe('700');
    } finally {
      expect(await dev.stop('SIGTERM')).toBe(0);
      await upstream.close();
    }
    for (const [file, m] of Object.entries(modes(dataDir)))
      expect([file, m.toString(8)]).toEqual([file, '600']);
  });

  it('narrows a store an older version left world-readable when a runbook command opens it', async () => {
    saved = process.umask(0o022);
    const base = tempDataDir();
    const dataDir = join(base, 'default');
    // What an older version left: SQLite's own 0644 for the file.
    (await openStoreDb({ dataDir })).close();
    chmodSync(join(dataDir, 'queue.db'), 0o644);
    process.umask(0);
    const r = await runBinAsync(['status', '--local', '--json'], { WEBHOOK_PROXY_DATA_DIR: base });
    expect(r.code).toBe(0);
    for (const [file, m] of Object.entries(modes(dataDir)))
      expect([file, m.toString(8)]).toEqual([file, '600']);
  });
});

describe('a store written by a newer webhook-proxy', () => {
  /** A store of schema version 2 in rollback-journal mode, with a table this version does not know. */
  function futureStore(): { base: string; dataDir: string; file: string } {
    const base = tempDataDir();
    const dataDir = join(base, 'default');
    const file = join(dataDir, 'queue.db');
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const db = new Database(file);
    db.exec("CREATE TABLE future (x TEXT); INSERT INTO future VALUES ('kept');");
    db.pragma('user_version = 2');
    db.close();
    return { base, dataDir, file };
  }

  /** What the file holds: its version, its journal mode, its tables, and the row. */
  function contents(file: string) {
    const db = new Database(file, { readonly: true });
    try {
      return {
        version: db.pragma('user_version', { simple: true }),
        journal: db.pragma('journal_mode', { simple: true }),
        tables: (
          db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]
        )
          .map((t) => t.name)
          .sort(),
        rows: db.prepare('SELECT x FROM future').all(),
      };
    } finally {
      db.close();
    }
  }

  const untouched = { version: 2, journal: 'delete', tables: ['future'], rows: [{ x: 'kept' }] };

  it('is refused by a runbook command: exit 1, code store_too_new, which version and what to do; nothing changed', async () => {
    const { base, dataDir, file } = futureStore();
    const r = await runBinAsync(['status', '--local', '--json'], { WEBHOOK_PROXY_DATA_DIR: base });
    expect(r.code).toBe(1);
    const error = JSON.parse(r.stderr).error;
    expect(error.code).toBe('store_too_new');
    expect(error.message).toContain(file);
    expect(error.message).toContain('schema version 2');
    expect(error.message).toContain('knows up to 1');
    expect(error.hint).toContain('Upgrade webhook-proxy');
    expect(contents(file)).toEqual(untouched);
    expect(readdirSync(dataDir)).toEqual(['queue.db']);
  });

  it('is refused by dev too, in plain text, and the lock is not left behind', async () => {
    const { dataDir, file } = futureStore();
    const r = await runBinAsync([
      'dev',
      '--port',
      '0',
      '--upstream',
      'http://127.0.0.1:9',
      '--data-dir',
      dataDir,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('newer webhook-proxy (store schema version 2');
    expect(r.stderr).toContain('Upgrade webhook-proxy');
    expect(contents(file)).toEqual(untouched);
    expect(readdirSync(dataDir)).toEqual(['queue.db']);
  });
});
