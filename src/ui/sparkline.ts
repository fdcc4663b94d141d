/**
 * A one-line chart of a series with block characters (status --watch). Scaled from 0 to the series'
 * maximum, so an empty queue reads as a flat floor rather than as noise around a small number.
 */
const BARS = '▁▂▃▄▅▆▇█';

export function sparkline(values: number[], width = 40): string {
  const tail = values.slice(-width);
  if (tail.length === 0) return '';
  const max = Math.max(...tail);
  if (max <= 0) return BARS[0]!.repeat(tail.length);
  return tail
    .map((v) => BARS[Math.min(BARS.length - 1, Math.round((Math.max(0, v) / max) * (BARS.length - 1)))]!)
    .join('');
}
