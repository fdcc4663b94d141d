/**
 * `drain` on a terminal: a progress bar of the queue emptying, with the rate and the time left.
 * Loaded only in ink mode; the plain line is in drain-lines.ts.
 */
import { Box, Text } from 'ink';
import type { DrainProgress } from '../proxy/ops/drain.js';
import { formatDuration } from '../proxy/trend.js';
import { etaBasis, progressBar } from './drain-lines.js';

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
            {p.rate === null ? 'measuring rate…' : `${p.rate.toFixed(1)}/s`} · {etaBasis(p)} ·{' '}
            {formatDuration(p.elapsedSeconds)} elapsed
          </Text>
        </>
      ) : (
        <Text>reading the queue…</Text>
      )}
    </Box>
  );
}
