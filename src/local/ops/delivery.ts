/**
 * `pause|resume|scale --local`: write the settings table (store/settings.ts). A running server polls
 * it (local/settings-watch.ts) and writes back what it applied; the command waits for that, briefly,
 * so "paused" on return means no delivery is in progress any more (the batches under way ran to their
 * end, as Lambda finishes the invocations in progress when a mapping is disabled). Without a server the setting
 * is kept, and the next dev/serve on the directory starts from it.
 */
import { DEFAULTS } from '../../handlers/ports.js';
import { readSettings, writeSettings, type DeliverySettings } from '../store/settings.js';
import type { LocalProxy } from './open.js';

/** applied: the running server holds it; pending: it has not said so in time; no-server: kept for the next one. */
export type Applied = 'applied' | 'pending' | 'no-server';

/** A server applies a change once its batches in progress have finished: seconds, at most the upstream timeout per message. */
const APPLY_WAIT_MS = 15_000;

export async function setLocalDelivery(
  p: LocalProxy,
  enabled: boolean,
): Promise<{ changed: boolean; state: 'enabled' | 'paused' | 'stopped'; applied: Applied }> {
  const before = readSettings(p.db);
  const changed = before.paused === enabled;
  if (changed) writeSettings(p.db, { paused: !enabled });
  const applied = await waitApplied(p, { paused: !enabled });
  return { changed, state: !enabled ? 'paused' : p.server ? 'enabled' : 'stopped', applied };
}

export interface LocalScaleResult {
  name: string;
  delivery: { concurrency: number; rate: number | null; adaptive: boolean };
  changed: string[];
  applied: Applied;
}

/**
 * What it is not told it keeps (as scale on AWS): the stored concurrency and rate, and adaptive as the
 * running server has it (else as stored). `adaptive` is written only when given: a server started
 * with --adaptive stays adaptive until told --no-adaptive.
 */
export async function scaleLocal(
  p: LocalProxy,
  req: { concurrency?: number; rate?: number | null; adaptive?: boolean },
): Promise<LocalScaleResult> {
  const before = readSettings(p.db);
  const concurrency = req.concurrency ?? before.concurrency ?? DEFAULTS.concurrency;
  const rate = req.rate === undefined ? (before.rate ?? null) : req.rate;
  const wasAdaptive = localAdaptive(p);
  const adaptive = req.adaptive ?? wasAdaptive;
  const changed =
    concurrency !== before.concurrency || rate !== (before.rate ?? null) || adaptive !== wasAdaptive
      ? ['settings']
      : [];
  // adaptive is written whenever given, even unchanged for the server: it is what the next start follows.
  if (changed.length || req.adaptive !== undefined) {
    writeSettings(p.db, { concurrency, rate, ...(req.adaptive !== undefined ? { adaptive } : {}) });
  }
  const applied = await waitApplied(p, { concurrency, rate, adaptive });
  return { name: p.name, delivery: { concurrency, rate, adaptive }, changed, applied };
}

/** Whether delivery is adaptive: as the running server applied it, else as the next start will have it. */
export function localAdaptive(p: LocalProxy): boolean {
  const s = readSettings(p.db);
  if (p.server && s.applied?.pid === p.server.pid) return Boolean(s.applied.adaptive);
  return s.adaptive ?? false;
}

/** Wait until the running server reports the wanted values as applied (it polls every ~500 ms). */
export async function waitApplied(
  p: LocalProxy,
  want: Partial<DeliverySettings>,
  timeoutMs = APPLY_WAIT_MS,
): Promise<Applied> {
  if (!p.server) return 'no-server';
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const a = readSettings(p.db).applied;
    if (
      a &&
      a.pid === p.server.pid &&
      (want.paused === undefined || a.paused === want.paused) &&
      (want.concurrency === undefined || a.concurrency === want.concurrency) &&
      (want.rate === undefined || a.rate === want.rate) &&
      (want.adaptive === undefined || Boolean(a.adaptive) === want.adaptive)
    ) {
      return 'applied';
    }
    if (Date.now() >= deadline) return 'pending';
    await new Promise((r) => setTimeout(r, 100));
  }
}
