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
import { readSettings, writeSettings, writtenAt } from './store/settings.js';
import type { Database } from './store/sqlite.js';

export interface LiveDelivery {
  paused: boolean;
  concurrency: number;
  rate: number | null;
  /** Adaptive delivery: concurrency and rate are ceilings, the control law finds what the upstream takes. */
  adaptive: boolean;
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
  /** Apply a change; the next poll waits for it. */
  apply: (next: LiveDelivery, previous: LiveDelivery) => Promise<void>;
  onError?: (err: unknown) => void;
  intervalMs?: number;
}

export const SETTINGS_POLL_MS = 500;

export async function watchSettings(o: WatchOptions): Promise<SettingsWatch> {
  const { openStoreDb } = await import('./store/open.js');
  const db: Database = await openStoreDb({ dataDir: o.dataDir });
  const stored = readSettings(db);
  // Adaptive: --adaptive at start, else what `scale --local` last set (kept across restarts, as on
  // AWS). Never written here: a plain start after a `dev --adaptive` is not adaptive. Only a write
  // since the start is applied live (by its time: the same value written again counts), so
  // --adaptive is not undone by an old false, and `scale --local --no-adaptive` still undoes it.
  let adaptiveWrittenAt = writtenAt(db, 'adaptive');
  let current: LiveDelivery = {
    paused: stored.paused,
    ...o.start,
    adaptive: o.start.adaptive || stored.adaptive === true,
  };
  // Only `applied` after this: writing the limits back would undo a command's write racing an apply.
  const report = () =>
    writeSettings(db, {
      applied: {
        ...current,
        pid: process.pid,
        at: Date.now(),
        upstream: o.upstream,
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
      adaptive: current.adaptive,
    };
    const stamp = writtenAt(db, 'adaptive');
    if (stamp !== adaptiveWrittenAt && s.adaptive !== undefined) next.adaptive = s.adaptive;
    adaptiveWrittenAt = stamp;
    if (
      next.paused === current.paused &&
      next.concurrency === current.concurrency &&
      next.rate === current.rate &&
      next.adaptive === current.adaptive
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
