/**
 * The `dev` dashboard on a terminal: what came in, what waits, what is being delivered, what failed,
 * and how fast it is going, refreshed a few times a second.
 */
import { Box, render, Text } from 'ink';
import type { DevSnapshot } from '../local/stats.js';

export interface DevDashboardInfo {
  url: string;
  upstream: string;
  queue: 'memory' | 'sqlite' | 'sqs';
  concurrency: number;
  rate?: number;
  maxAttempts: number | null;
}

function Stat({ label, value, color }: { label: string; value: string | number; color?: string }) {
  return (
    <Box flexDirection="column" marginRight={3}>
      <Text dimColor>{label}</Text>
      <Text bold {...(color ? { color } : {})}>
        {value}
      </Text>
    </Box>
  );
}

const rate = (r: number) => (r >= 10 ? r.toFixed(0) : r.toFixed(1));

export function DevDashboard({
  info,
  snapshot,
  notes = [],
  stopping = false,
}: {
  info: DevDashboardInfo;
  snapshot: DevSnapshot;
  /** Warnings and refusals, newest first. */
  notes?: string[];
  stopping?: boolean;
}) {
  const limits =
    `concurrency ${info.concurrency}, ` +
    (info.rate ? `at most ${info.rate}/s` : 'unpaced') +
    (info.maxAttempts === null ? ', no DLQ' : `, DLQ after ${info.maxAttempts} attempts`);
  return (
    <Box flexDirection="column">
      <Text>
        <Text bold>webhook-proxy dev</Text> {info.url} <Text dimColor>→</Text> {info.upstream}
      </Text>
      <Text dimColor>
        {info.queue === 'memory'
          ? 'queue in memory (lost on exit)'
          : info.queue === 'sqlite'
            ? 'queue on disk (kept on exit)'
            : 'queue in SQS'}{' '}
        · {limits}
      </Text>
      <Box marginTop={1}>
        <Stat label="received" value={snapshot.received} />
        <Stat label="queued" value={snapshot.queued} />
        <Stat label="in flight" value={snapshot.inFlight} color="cyan" />
        <Stat label="delivered" value={snapshot.delivered} color="green" />
        <Stat label="retrying" value={snapshot.retrying} color={snapshot.retrying ? 'yellow' : undefined} />
        <Stat
          label="dead-lettered"
          value={snapshot.deadLettered}
          color={snapshot.deadLettered ? 'red' : undefined}
        />
        <Stat label="rate" value={`${rate(snapshot.ratePerSecond)}/s`} />
        {snapshot.control?.adaptive && (
          <Stat
            label="found"
            value={`${Math.floor(snapshot.control.limit)} of ${snapshot.control.ceiling}${
              snapshot.control.baselineMs !== undefined
                ? ` · ${Math.round(snapshot.control.baselineMs)} ms`
                : ''
            }`}
            color="cyan"
          />
        )}
      </Box>
      {snapshot.control?.state === 'outage' && (
        <Text color="red">
          upstream down since {snapshot.control.outageSince?.slice(11, 19)}: webhooks held (attempts not
          counted), probing once a second
        </Text>
      )}
      {snapshot.lastErrors.length > 0 && (
        <Box flexDirection="column" marginTop={1}>
          <Text dimColor>last errors</Text>
          {snapshot.lastErrors.map((e) => (
            <Text key={`${e.id}-${e.attempt}-${e.at}`}>
              <Text color="yellow">{new Date(e.at).toISOString().slice(11, 19)}</Text> {e.id} attempt{' '}
              {e.attempt}: {e.problem}
            </Text>
          ))}
        </Box>
      )}
      {notes.length > 0 && (
        <Box flexDirection="column" marginTop={1}>
          {notes.map((n, i) => (
            <Text key={i} color="yellow">
              {n}
            </Text>
          ))}
        </Box>
      )}
      <Box marginTop={1}>
        <Text dimColor>
          {stopping ? 'stopping: finishing the deliveries on the wire…' : 'Ctrl-C to stop'}
        </Text>
      </Box>
    </Box>
  );
}

/** Mount the dashboard on `stream` (stderr: stdout stays for results) and refresh it from `poll`. */
export function mountDevDashboard(
  info: DevDashboardInfo,
  poll: () => Promise<DevSnapshot>,
  notes: () => string[] = () => [],
  stream: NodeJS.WriteStream = process.stderr,
) {
  let stopping = false;
  const empty: DevSnapshot = {
    received: 0,
    queued: 0,
    inFlight: 0,
    delivered: 0,
    retrying: 0,
    deadLettered: 0,
    ratePerSecond: 0,
    lastErrors: [],
    dlq: undefined,
  };
  let last = empty;
  // No useInput: ink then leaves stdin alone, and Ctrl-C reaches the command as SIGINT.
  const app = render(<DevDashboard info={info} snapshot={last} />, {
    stdout: stream,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  const refresh = async () => {
    last = await poll().catch(() => last);
    app.rerender(<DevDashboard info={info} snapshot={last} notes={[...notes()]} stopping={stopping} />);
  };
  const timer = setInterval(() => void refresh(), 250);
  return {
    stopping() {
      stopping = true;
      void refresh();
    },
    async unmount() {
      clearInterval(timer);
      await refresh();
      app.unmount();
    },
  };
}
