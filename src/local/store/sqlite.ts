/**
 * better-sqlite3 is a native addon: it is loaded here, on first use, by the commands that keep a local
 * store (so `--help` and the AWS commands never pay for it, and a machine where it failed to build can
 * still run them). When it cannot be loaded, the error says why and how to fix it.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { CliError } from '../../errors.js';

export type Database = BetterSqlite3.Database;
export type DatabaseConstructor = typeof BetterSqlite3;

let loaded: DatabaseConstructor | undefined;

export async function loadSqlite(): Promise<DatabaseConstructor> {
  if (loaded) return loaded;
  try {
    const mod = (await import('better-sqlite3')) as unknown as { default: DatabaseConstructor };
    loaded = mod.default;
    // Opening a database is what loads the .node file: a missing or mismatched build fails here, not later.
    new loaded(':memory:').close();
    return loaded;
  } catch (err) {
    loaded = undefined;
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new CliError(
      `The local store needs the native module better-sqlite3, which could not be loaded (${reason}).`,
      'Rebuild it where webhook-proxy is installed: `npm rebuild better-sqlite3 --allow-scripts=better-sqlite3` ' +
        '(it needs python3, make and a C++ compiler when no prebuilt binary fits this Node.js), ' +
        'or run with --memory to keep the queue in memory only (a stop or crash then loses it).',
      { cause: err },
    );
  }
}
