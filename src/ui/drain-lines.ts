/**
 * `drain` progress as text: the bar the ink view draws and the plain line printed periodically when
 * stderr is not a terminal. Plain strings, so the plain and --json paths never load ink or react.
 */
import type { DrainProgress } from '../proxy/ops/drain.js';
import { formatDuration } from '../proxy/trend.js';

export function progressBar(done: number, total: number, width = 30): string {
  const frac = total <= 0 ? 1 : Math.min(1, Math.max(0, done / total));
  const full = Math.round(frac * width);
  return `${'█'.repeat(full)}${'░'.repeat(width - full)}`;
}

/** "ETA 3m 05s at the last 60 s rate", or why there is none yet. */
export function etaBasis(p: DrainProgress): string {
  if (p.total === 0) return 'empty';
  if (p.rate === null) return 'ETA unknown (measuring the rate)';
  if (p.etaSeconds === null) return `no ETA: not draining at the last ${p.rateBasisSeconds} s rate`;
  return `ETA ${formatDuration(p.etaSeconds)} at the last ${p.rateBasisSeconds} s rate`;
}

/** The plain line printed periodically when stderr is not a terminal. */
export function drainLine(name: string, p: DrainProgress): string {
  return (
    `drain ${name}: ${p.total} left (${p.counts.visible} waiting, ${p.counts.inFlight} in flight, ` +
    `${p.counts.delayed} delayed), ${p.rate === null ? 'rate unknown' : `${p.rate.toFixed(1)}/s`}, ` +
    `${etaBasis(p)}, ${formatDuration(p.elapsedSeconds)} elapsed`
  );
}
