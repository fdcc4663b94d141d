/**
 * A local proxy's data directory: where it is by default, the lock that keeps a second server off
 * it (taken over once its pid is dead), server.json, and the store flags dev and serve share.
 * Real files in a temp folder; real pids (this process's parent is alive, a finished child is not).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_QUEUE_BYTES,
  localStoreFromOptions,
  parseBytes,
} from '../../src/commands/local-options.js';
import { CliError, UsageError } from '../../src/errors.js';
import {
  acquireDataDir,
  dataDirFor,
  LOCK_FILE,
  readServerInfo,
  SERVER_FILE,
} from '../../src/local/store/data-dir.js';

let dir: string;
beforeEach(() => {
  dir = join(mkdtempSync(join(tmpdir(), 'wp-datadir-')), 'proxy');
});
afterEach(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

/** A pid that is certainly not running: a child that has exited (and been reaped). */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

describe('dataDirFor', () => {
  it('takes --data-dir first, then $WEBHOOK_PROXY_DATA_DIR/NAME, $XDG_DATA_HOME/webhook-proxy/NAME, ~/.local/share', () => {
    const env = { WEBHOOK_PROXY_DATA_DIR: '/data', XDG_DATA_HOME: '/xdg' };
    expect(dataDirFor('stripe', '/flag/dir', env)).toBe('/flag/dir');
    expect(dataDirFor('stripe', undefined, env)).toBe('/data/stripe');
    expect(dataDirFor('stripe', undefined, { XDG_DATA_HOME: '/xdg' })).toBe('/xdg/webhook-proxy/stripe');
    expect(dataDirFor('stripe', undefined, {})).toBe(join(homedir(), '.local/share/webhook-proxy/stripe'));
    expect(dataDirFor(undefined, undefined, {})).toBe(join(homedir(), '.local/share/webhook-proxy/default'));
  });
});

describe('acquireDataDir', () => {
  it('creates the directory owner-only, writes server.json on announce and removes both files on release', () => {
    const lock = acquireDataDir(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid });
    lock.announce({ url: 'http://127.0.0.1:8080', name: 'default' });
    const info = JSON.parse(readFileSync(join(dir, SERVER_FILE), 'utf8'));
    expect(info).toEqual({
      pid: process.pid,
      url: 'http://127.0.0.1:8080',
      name: 'default',
      startedAt: lock.startedAt,
    });
    expect(readServerInfo(dir)).toEqual(info);
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    expect(existsSync(join(dir, SERVER_FILE))).toBe(false);
    // Free again.
    acquireDataDir(dir).release();
  });

  it('refuses a second server while the holder is alive, naming its pid and the directory (exit 1)', () => {
    const held = acquireDataDir(dir, process.ppid);
    let error: unknown;
    try {
      acquireDataDir(dir);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CliError);
    expect(error).not.toBeInstanceOf(UsageError);
    expect((error as CliError).exitCode).toBe(1);
    expect((error as Error).message).toContain(`pid ${process.ppid}`);
    expect((error as Error).message).toContain(dir);
    // The refused one did not touch the holder's lock.
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.ppid);
    held.release();
  });

  it('takes over a lock whose pid is dead (kill -9, a crash), and server.json of a dead pid reads as not running', () => {
    const pid = deadPid();
    acquireDataDir(dir, pid).announce({ url: 'http://127.0.0.1:1', name: 'default' });
    expect(readServerInfo(dir)).toBeUndefined();
    const lock = acquireDataDir(dir);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('takes over an unreadable lock left by a crash mid-write, once it is not fresh', () => {
    acquireDataDir(dir).release();
    writeFileSync(join(dir, LOCK_FILE), '');
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(dir, LOCK_FILE), old, old);
    acquireDataDir(dir).release();
  });

  it('a release by a server whose lock was taken over leaves the new owner alone', () => {
    const stale = acquireDataDir(dir, deadPid());
    const current = acquireDataDir(dir);
    stale.release();
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    current.release();
  });
});

describe('the store flags', () => {
  it('parses sizes with or without a unit, and refuses nonsense', () => {
    const parse = parseBytes('--max-queue-bytes');
    expect(parse('4096')).toBe(4096);
    expect(parse('512MiB')).toBe(512 * 1024 ** 2);
    expect(parse('1GiB')).toBe(1024 ** 3);
    expect(parse('1g')).toBe(1024 ** 3);
    expect(parse('1.5GB')).toBe(1.5e9);
    for (const bad of ['', '0', '-1', '1 parsec', 'GiB', '1e3']) expect(() => parse(bad)).toThrow(UsageError);
  });

  it('defaults to the disk store named default, 1 GiB, sync normal; --memory and --queue-url exclude the disk flags', () => {
    expect(localStoreFromOptions({}, {})).toMatchObject({
      kind: 'disk',
      name: 'default',
      sync: 'normal',
      maxQueueBytes: DEFAULT_MAX_QUEUE_BYTES,
    });
    expect(DEFAULT_MAX_QUEUE_BYTES).toBe(1024 ** 3);
    expect(localStoreFromOptions({ name: 'stripe', dataDir: '/x' })).toMatchObject({ dataDir: '/x' });
    expect(localStoreFromOptions({ memory: true })).toEqual({ kind: 'memory', name: 'default' });
    expect(() => localStoreFromOptions({ memory: true, dataDir: '/x' })).toThrow(/--data-dir/);
    expect(() => localStoreFromOptions({ sync: 'full' }, { queueUrl: 'http://q' })).toThrow(/--sync/);
    expect(() => localStoreFromOptions({ name: '../etc' })).toThrow(UsageError);
  });
});
