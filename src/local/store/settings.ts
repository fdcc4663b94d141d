/**
 * The `settings` table (schema.ts): what a `--local` runbook command (pause, resume, scale, drain's
 * boost) writes for the server, and what the server reports back as applied. Values are JSON.
 *   paused       boolean
 *   concurrency  number
 *   rate         number | null (null: unpaced)
 *   adaptive     boolean: only `scale --local --adaptive|--no-adaptive` writes it; a server started
 *                without --adaptive follows it (settings-watch.ts)
 *   applied      {paused, concurrency, rate, pid, at, upstream}: written by the running server once it applied
 *                the others, so a command can say the change holds instead of hoping it will.
 */
import type { Database } from './sqlite.js';

export interface DeliverySettings {
  paused: boolean;
  /** undefined: never written (no server has run with this store since the settings existed). */
  concurrency?: number;
  /** null: unpaced; undefined: never written. */
  rate?: number | null;
  /** undefined: never written (the server's --adaptive flag, or its absence, decides). */
  adaptive?: boolean;
}

export interface AppliedSettings {
  paused: boolean;
  concurrency: number;
  rate: number | null;
  pid: number;
  at: number;
  /** The server's upstream (server.json does not carry it). */
  upstream?: string;
  /** Whether it runs with --adaptive (concurrency and rate are then ceilings). */
  adaptive?: boolean;
}

function readRaw(db: Database): Map<string, unknown> {
  const rows = db.prepare('SELECT key, value FROM settings').all() as { key: string; value: string }[];
  const out = new Map<string, unknown>();
  for (const r of rows) {
    try {
      out.set(r.key, JSON.parse(r.value));
    } catch {
      // A hand-edited value that is not JSON is ignored, not fatal: the defaults apply.
    }
  }
  return out;
}

export function readSettings(db: Database): DeliverySettings & { applied?: AppliedSettings } {
  const raw = readRaw(db);
  const concurrency = raw.get('concurrency');
  const rate = raw.get('rate');
  const applied = raw.get('applied') as AppliedSettings | undefined;
  const adaptive = raw.get('adaptive');
  return {
    paused: raw.get('paused') === true,
    ...(typeof concurrency === 'number' && Number.isSafeInteger(concurrency) && concurrency >= 1
      ? { concurrency }
      : {}),
    ...(rate === null || (typeof rate === 'number' && rate > 0) ? { rate: rate as number | null } : {}),
    ...(typeof adaptive === 'boolean' ? { adaptive } : {}),
    ...(applied && typeof applied === 'object' ? { applied } : {}),
  };
}

/** When a key was last written (ms since the epoch), undefined if never: a write of the same value shows too. */
export function writtenAt(db: Database, key: string): number | undefined {
  const row = db.prepare('SELECT updated_at FROM settings WHERE key = ?').get(key) as
    { updated_at: number } | undefined;
  return row?.updated_at;
}

/** Write the given keys in one transaction (undefined ones are left as they are). */
export function writeSettings(
  db: Database,
  values: Partial<DeliverySettings> & { applied?: AppliedSettings },
): void {
  const put = db.prepare(
    'INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ' +
      'ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
  );
  const now = Date.now();
  db.transaction(() => {
    for (const [key, value] of Object.entries(values)) {
      if (value !== undefined) put.run(key, JSON.stringify(value), now);
    }
  })();
}
