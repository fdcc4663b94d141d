/**
 * `drain` on a terminal: a progress bar of the queue emptying, with the rate and the time left.
 */
import { Box, Text } from 'ink';
import type { DrainProgress } from '../proxy/ops/drain.js';
import { formatDuration } from '../proxy/trend.js';

export function progressBar(done: number, total: number, width = 30): string {
  const frac = total <= 0 ? 1 : Math.min(1, Math.max(0, done / total));
  const full = Math.round(frac * width);
  return `${'█'.repeat(full)}${'░'.repeat(width - full)}`;
}

export function DrainView({
  name,
  p,
  notes,
}: {
  name: string;
  p: DrainProgress | undefined;
  notes: string[];
}) {
  return (
    <Box flexDirection="column">
      {notes.map((n, i) => (
        <Text key={i} dimColor>
          {n}
        </Text>
      ))}
      {p ? (
        <>
          <Text>
            draining <Text bold>{name}</Text> {progressBar(p.initial - p.total, p.initial)}{' '}
            {p.total === 0 ? 'empty' : `${p.total} left`}
          </Text>
          <Text dimColor>
            {p.counts.visible} waiting · {p.counts.inFlight} in flight · {p.counts.delayed} delayed ·{' '}
            {p.rate === null ? 'measuring rate…' : `${p.rate.toFixed(1)}/s`} · ETA{' '}
            {formatDuration(p.etaSeconds)} · {formatDuration(p.elapsedSeconds)} elapsed
          </Text>
        </>
      ) : (
        <Text>reading the queue…</Text>
      )}
    </Box>
  );
}

/** The plain line printed periodically when stderr is not a terminal. */
export function drainLine(name: string, p: DrainProgress): string {
  return (
    `drain ${name}: ${p.total} left (${p.counts.visible} waiting, ${p.counts.inFlight} in flight, ` +
    `${p.counts.delayed} delayed), ${p.rate === null ? 'rate unknown' : `${p.rate.toFixed(1)}/s`}, ` +
    `ETA ${formatDuration(p.etaSeconds)}, ${formatDuration(p.elapsedSeconds)} elapsed`
  );
}
