/**
 * Drain rate and time-to-empty from depth samples (status --watch, drain). Pure, so it is tested on
 * its own. The rate is a least-squares slope over the recent window rather than the last two points:
 * SQS counts are approximate and jump, a slope over several samples is steadier.
 */

export interface DepthSample {
  /** Milliseconds (any monotonic clock). */
  t: number;
  /** visible + in flight + delayed */
  depth: number;
}

/** The window the drain rate is measured over. */
export const RATE_WINDOW_MS = 60_000;

/** Messages per second leaving the queue (positive when draining, negative when growing); null with < 2 samples. */
export function drainRate(samples: DepthSample[], windowMs = RATE_WINDOW_MS): number | null {
  if (samples.length < 2) return null;
  const last = samples[samples.length - 1]!.t;
  const recent = samples.filter((s) => s.t >= last - windowMs);
  const pts = recent.length >= 2 ? recent : samples.slice(-2);
  const n = pts.length;
  const mt = pts.reduce((a, s) => a + s.t, 0) / n;
  const md = pts.reduce((a, s) => a + s.depth, 0) / n;
  let num = 0;
  let den = 0;
  for (const s of pts) {
    num += (s.t - mt) * (s.depth - md);
    den += (s.t - mt) ** 2;
  }
  if (den === 0) return null;
  return -(num / den) * 1000;
}

/** The seconds of readings the drain rate rests on: the rate window, or less while it fills up. */
export function rateBasisSeconds(samples: DepthSample[]): number {
  if (samples.length < 2) return 0;
  const last = samples[samples.length - 1]!.t;
  const first = samples.find((x) => x.t >= last - RATE_WINDOW_MS) ?? samples[0]!;
  return Math.round((last - (first.t === last ? samples[samples.length - 2]!.t : first.t)) / 1000);
}

/** Seconds until empty at this rate; 0 when already empty; null when not draining or unknown. */
export function etaSeconds(depth: number, rate: number | null): number | null {
  if (depth <= 0) return 0;
  if (rate === null || rate <= 0) return null;
  return Math.ceil(depth / rate);
}

/** "42s", "3m 05s", "2h 10m". */
export function formatDuration(seconds: number | null): string {
  if (seconds === null) return 'unknown';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Seconds to a tenth, as a drain reports how long it took (more digits are noise at its poll interval). */
export const roundTenths = (s: number) => Math.round(s * 10) / 10;
