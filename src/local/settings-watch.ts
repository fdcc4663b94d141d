/**
 * The running server's side of the `--local` runbook commands: poll the store's settings table
 * (store/settings.ts) about every 500 ms and apply what changed — paused, concurrency, rate — then
 * write back `applied`, so `pause --local` can tell its user the pause holds.
 *
 * At start the server's own flags (--concurrency, --rate) are its limits and are written to the table
 * (what `status --local` shows); `paused` is kept from before, as a disabled event source mapping stays
 * disabled: a pause survives a restart until `resume`. A second SQLite connection of its own (WAL: the
 * queue's writes and these never block each other for long), closed on stop.
 */
import { readSettings, writeSettings } from './store/settings.js';
import type { Database } from './store/sqlite.js';

export interface LiveDelivery {
  paused: boolean;
  concurrency: number;
  rate: number | null;
}

export interface SettingsWatch {
  /** What holds now (the start values, then every change applied). */
  readonly current: LiveDelivery;
  /** Stop polling (waiting for a change being applied) and close the connection. */
  stop(): Promise<void>;
}

export interface WatchOptions {
  dataDir: string;
  /** The server's start limits (its flags). */
  start: Omit<LiveDelivery, 'paused'>;
  /** The upstream, recorded with what was applied (status --local shows it). */
  upstream: string;
  /** --adaptive, recorded with the rest (status --local shows it). */
  adaptive?: boolean;
  /** Apply a change; the next poll waits for it. */
  apply: (next: LiveDelivery, previous: LiveDelivery) => Promise<void>;
  onError?: (err: unknown) => void;
  intervalMs?: number;
}

export const SETTINGS_POLL_MS = 500;

export async function watchSettings(o: WatchOptions): Promise<SettingsWatch> {
  const { openStoreDb } = await import('./store/open.js');
  const db: Database = await openStoreDb({ dataDir: o.dataDir });
  let current: LiveDelivery = { paused: readSettings(db).paused, ...o.start };
  // Only `applied` after this: writing the limits back would undo a command's write racing an apply.
  const report = () =>
    writeSettings(db, {
      applied: {
        ...current,
        pid: process.pid,
        at: Date.now(),
        upstream: o.upstream,
        adaptive: Boolean(o.adaptive),
      },
    });
  writeSettings(db, { concurrency: current.concurrency, rate: current.rate });
  report();

  let closed = false;
  let busy: Promise<void> | undefined;
  const poll = async () => {
    const s = readSettings(db);
    const next: LiveDelivery = {
      paused: s.paused,
      concurrency: s.concurrency ?? current.concurrency,
      rate: s.rate === undefined ? current.rate : s.rate,
    };
    if (
      next.paused === current.paused &&
      next.concurrency === current.concurrency &&
      next.rate === current.rate
    ) {
      return;
    }
    const previous = current;
    await o.apply(next, previous);
    current = next;
    if (!closed) report();
  };
  const timer = setInterval(() => {
    if (busy || closed) return;
    busy = poll()
      .catch((err) => o.onError?.(err))
      .finally(() => (busy = undefined));
  }, o.intervalMs ?? SETTINGS_POLL_MS);
  timer.unref();
  return {
    get current() {
      return current;
    },
    async stop() {
      closed = true;
      clearInterval(timer);
      await busy;
      db.close();
    },
  };
}
