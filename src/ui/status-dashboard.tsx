/**
 * `status --watch` on a terminal: the proxy's state, its depth over time as a sparkline, the measured
 * drain rate and the time until the queue is empty, refreshed every --interval seconds. Loaded only in
 * ink mode (src/ui/status-watch.ts imports it lazily).
 */
import { Box, Text } from 'ink';
import type { ProxyStatus } from '../proxy/inspect.js';
import { drainRate, etaSeconds, formatDuration, type DepthSample } from '../proxy/trend.js';
import { sparkline } from './sparkline.js';
import { deliveryLine, depthOf } from './status-text.js';

export function StatusDashboard({
  status,
  samples,
  interval,
  error,
}: {
  status: ProxyStatus;
  samples: DepthSample[];
  interval: number;
  /** The last refresh failed (shown, the previous numbers kept). */
  error?: string;
}) {
  const q = status.queue;
  const depth = depthOf(status);
  const rate = drainRate(samples);
  const eta = etaSeconds(depth, rate);
  const paused = status.delivery.state === 'paused';
  return (
    <Box flexDirection="column">
      <Text>
        <Text bold>{status.name}</Text> <Text dimColor>{status.region}</Text> {status.endpoint ?? ''}{' '}
        <Text dimColor>→</Text> {status.upstream ?? 'unknown upstream'}
      </Text>
      <Text color={paused ? 'yellow' : status.delivery.state === 'enabled' ? 'green' : 'red'}>
        delivery {deliveryLine(status)}
      </Text>
      <Text>
        queue <Text bold>{q.visible}</Text> waiting · <Text bold>{q.inFlight}</Text> in flight ·{' '}
        <Text bold>{q.delayed}</Text> delayed · oldest{' '}
        {q.oldestAgeSeconds === null ? 'unknown' : formatDuration(q.oldestAgeSeconds)} · dlq{' '}
        <Text bold color={status.dlq.visible > 0 ? 'red' : undefined}>
          {status.dlq.visible}
        </Text>
      </Text>
      <Text>
        depth <Text color="cyan">{sparkline(samples.map((s) => s.depth))}</Text> {depth}
      </Text>
      <Text>
        drain{' '}
        {rate === null
          ? 'measuring…'
          : rate > 0
            ? `${rate.toFixed(1)}/s`
            : rate < 0
              ? `growing ${(-rate).toFixed(1)}/s`
              : 'steady'}{' '}
        · empty in{' '}
        {depth === 0
          ? 'now (empty)'
          : paused
            ? 'never while paused'
            : eta === null
              ? 'unknown'
              : formatDuration(eta)}
      </Text>
      {error ? <Text color="red">refresh failed: {error}</Text> : null}
      <Text dimColor>refreshing every {interval}s · Ctrl-C to stop</Text>
    </Box>
  );
}
