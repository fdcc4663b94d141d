/**
 * `status --watch` on a terminal: the proxy's state, its depth over time as a sparkline, the measured
 * drain rate and the time until the queue is empty (with what that rests on), a stall in red with the
 * command to run next, refreshed every --interval seconds. Several proxies: one compact block each
 * (StatusBoard). Loaded only in ink mode (src/ui/status-watch.ts imports it lazily).
 */
import { Box, Text } from 'ink';
import type { ProxyStatus } from '../proxy/inspect.js';
import { drainRate, type DepthSample } from '../proxy/trend.js';
import { sparkline } from './sparkline.js';
import { deliveryLine, depthOf, etaText, oldestText } from './status-text.js';

const rateText = (rate: number | null) =>
  rate === null
    ? 'measuring…'
    : rate > 0
      ? `${rate.toFixed(1)}/s`
      : rate < 0
        ? `growing ${(-rate).toFixed(1)}/s`
        : 'steady';

function StallLines({ status }: { status: ProxyStatus }) {
  if (!status.stall) return null;
  return (
    <>
      <Text color="red" bold>
        {status.stall.message}
      </Text>
      <Text>
        next: <Text bold>{status.stall.next}</Text>
      </Text>
    </>
  );
}

export function StatusDashboard({
  status,
  samples,
  interval,
  error,
}: {
  status: ProxyStatus;
  samples: DepthSample[];
  interval: number;
  /** The last refresh failed (shown with the time of the last good reading, whose numbers are kept). */
  error?: string;
}) {
  const q = status.queue;
  const depth = depthOf(status);
  const rate = drainRate(samples);
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
        <Text bold>{q.delayed}</Text> delayed · {oldestText(status)} · dlq{' '}
        <Text bold color={status.dlq.visible > 0 ? 'red' : undefined}>
          {status.dlq.visible}
        </Text>
      </Text>
      <Text>
        depth <Text color="cyan">{sparkline(samples.map((s) => s.depth))}</Text> {depth}
      </Text>
      <Text>
        drain {rateText(rate)} · {etaText(status, samples)}
      </Text>
      <StallLines status={status} />
      {error ? <Text color="red">{error}</Text> : null}
      <Text dimColor>refreshing every {interval}s · Ctrl-C to stop</Text>
    </Box>
  );
}

export interface BoardRow {
  status: ProxyStatus;
  samples: DepthSample[];
  error?: string;
}

/** Several proxies at once: three lines each (more when stalled or failing). */
export function StatusBoard({ rows, interval }: { rows: BoardRow[]; interval: number }) {
  return (
    <Box flexDirection="column">
      {rows.map(({ status, samples, error }) => {
        const q = status.queue;
        const state = status.delivery.state;
        return (
          <Box key={status.name} flexDirection="column" marginBottom={1}>
            <Text>
              <Text bold>{status.name}</Text> <Text dimColor>{status.region}</Text>{' '}
              <Text color={state === 'paused' ? 'yellow' : state === 'enabled' ? 'green' : 'red'}>
                {state}
              </Text>{' '}
              <Text dimColor>→</Text> {status.upstream ?? 'unknown upstream'}
            </Text>
            <Text>
              {q.visible} waiting · {q.inFlight} in flight · {q.delayed} delayed · dlq{' '}
              <Text color={status.dlq.visible > 0 ? 'red' : undefined}>{status.dlq.visible}</Text> ·{' '}
              <Text color="cyan">{sparkline(samples.map((s) => s.depth))}</Text>
            </Text>
            <Text>
              drain {rateText(drainRate(samples))} · {etaText(status, samples)}
            </Text>
            <StallLines status={status} />
            {error ? <Text color="red">{error}</Text> : null}
          </Box>
        );
      })}
      <Text dimColor>
        {rows.length} proxies · refreshing every {interval}s · Ctrl-C to stop
      </Text>
    </Box>
  );
}
