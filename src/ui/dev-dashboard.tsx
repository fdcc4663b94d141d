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

/** The terminal's size; a counter row wraps, and errors and notes are cut, to fit it. */
export interface TerminalSize {
  columns: number;
  rows: number;
}

/** The smallest terminal the dashboard is laid out for (and the size when the stream has none). */
export const MIN_SIZE: TerminalSize = { columns: 80, rows: 24 };

function Stat({ label, value, color }: { label: string; value: string | number; color?: string }) {
  return (
    <Box flexDirection="column" marginRight={3} flexShrink={0}>
      <Text dimColor>{label}</Text>
      <Text bold {...(color ? { color } : {})}>
        {value}
      </Text>
    </Box>
  );
}

const rate = (r: number) => (r >= 10 ? r.toFixed(0) : r.toFixed(1));

/**
 * The counters, in their order on screen. One list for what is drawn and for the widths the layout
 * reckons with, so a counter added here is also counted when deciding whether the row wraps.
 */
const COUNTERS: {
  label: string;
  value: (s: DevSnapshot) => string | number;
  color?: (s: DevSnapshot) => string | undefined;
}[] = [
  { label: 'received', value: (s) => s.received },
  { label: 'queued', value: (s) => s.queued },
  { label: 'delayed', value: (s) => s.delayed },
  { label: 'in flight', value: (s) => s.inFlight, color: () => 'cyan' },
  { label: 'delivered', value: (s) => s.delivered, color: () => 'green' },
  { label: 'retrying', value: (s) => s.retrying, color: (s) => (s.retrying ? 'yellow' : undefined) },
  {
    label: 'dead-lettered',
    value: (s) => s.deadLettered,
    color: (s) => (s.deadLettered ? 'red' : undefined),
  },
  { label: 'rate', value: (s) => `${rate(s.ratePerSecond)}/s` },
];

/** Widths of the counters (label or a 7-digit value, whichever is wider, plus the margin). */
const STAT_WIDTHS = COUNTERS.map(({ label }) => Math.max(label.length, 7) + 3);

export function DevDashboard({
  info,
  snapshot,
  notes = [],
  stopping = false,
  size,
}: {
  info: DevDashboardInfo;
  snapshot: DevSnapshot;
  /** Warnings and refusals, newest first. */
  notes?: string[];
  stopping?: boolean;
  /** The terminal's size; absent: not fitted to one (a test's frame, say). */
  size?: TerminalSize;
}) {
  // ink redraws in place only while the frame fits the terminal; a taller one scrolls, and the
  // counters at the top are what would scroll away. So the counters wrap onto a second row when the
  // width asks, every other line is one line (cut at the width), and the errors and notes get what
  // height is left, newest first, with a count of the rest.
  const width = size ? Math.max(20, size.columns - 1) : Infinity;
  const statsWidth = STAT_WIDTHS.reduce((a, b) => a + b, 0) + (snapshot.control?.adaptive ? 20 : 0);
  const statRows = statsWidth <= width ? 1 : 2;
  const outage = snapshot.control?.state === 'outage' ? 1 : 0;
  const limits =
    `concurrency ${info.concurrency}, ` +
    (info.rate ? `at most ${info.rate}/s` : 'unpaced') +
    (info.maxAttempts === null ? ', no DLQ' : `, DLQ after ${info.maxAttempts} attempts`);
  const setup =
    (info.queue === 'memory'
      ? 'queue in memory (lost on exit)'
      : info.queue === 'sqlite'
        ? 'queue on disk (kept on exit)'
        : 'queue in SQS') + ` · ${limits}`;
  // The setup line is worth its second line on a narrow terminal (it wraps; nothing else does).
  const setupLines = size ? Math.ceil(setup.length / width) : 1;
  // title, setup, margin + counters (2 lines a row), outage, margin + footer.
  const fixed = 1 + setupLines + 1 + 2 * statRows + outage + 2;
  let room = size ? Math.max(0, size.rows - 1 - fixed) : Infinity;
  const errorsShown = fit(snapshot.lastErrors.length, room);
  room -= errorsShown.lines;
  const notesShown = fit(notes.length, room);
  return (
    <Box flexDirection="column" {...(size ? { width } : {})}>
      <Text wrap="truncate-end">
        <Text bold>webhook-proxy dev</Text> {info.url} <Text dimColor>→</Text> {info.upstream}
      </Text>
      <Text dimColor>{setup}</Text>
      <Box marginTop={1} flexWrap="wrap">
        {COUNTERS.map((c) => (
          <Stat key={c.label} label={c.label} value={c.value(snapshot)} color={c.color?.(snapshot)} />
        ))}
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
        <Text color="red" wrap="truncate-end">
          upstream down since {snapshot.control.outageSince?.slice(11, 19)}: webhooks held (attempts not
          counted), probing once a second
        </Text>
      )}
      {errorsShown.items > 0 && (
        <Box flexDirection="column" marginTop={1}>
          <Text dimColor>last errors</Text>
          {snapshot.lastErrors.slice(0, errorsShown.items).map((e) => (
            <Text key={`${e.id}-${e.attempt}-${e.at}`} wrap="truncate-end">
              <Text color="yellow">{new Date(e.at).toISOString().slice(11, 19)}</Text> {e.id} attempt{' '}
              {e.attempt}: {e.problem}
            </Text>
          ))}
          {errorsShown.more > 0 && <Text dimColor>… {errorsShown.more} more</Text>}
        </Box>
      )}
      {notesShown.items > 0 && (
        <Box flexDirection="column" marginTop={1}>
          {notes.slice(0, notesShown.items).map((n, i) => (
            <Text key={i} color="yellow" wrap="truncate-end">
              {n}
            </Text>
          ))}
          {notesShown.more > 0 && <Text dimColor>… {notesShown.more} more</Text>}
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

/**
 * How many of `count` one-line items fit in `room` lines, with a margin line and a heading or a
 * "… N more" line: `items` shown, `more` not, `lines` used.
 */
function fit(count: number, room: number): { items: number; more: number; lines: number } {
  if (count === 0 || room < 3) return { items: 0, more: 0, lines: 0 };
  // margin + heading (errors) or margin (notes; the same budget, so both are simple) + the items.
  const all = 2 + count;
  if (all <= room) return { items: count, more: 0, lines: all };
  const items = Math.max(1, room - 3);
  return { items, more: count - items, lines: 3 + items };
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
    delayed: 0,
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
  const size = (): TerminalSize => ({
    columns: stream.columns || MIN_SIZE.columns,
    rows: stream.rows || MIN_SIZE.rows,
  });
  const app = render(<DevDashboard info={info} snapshot={last} size={size()} />, {
    stdout: stream,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  const refresh = async () => {
    last = await poll().catch(() => last);
    app.rerender(
      <DevDashboard info={info} snapshot={last} notes={[...notes()]} stopping={stopping} size={size()} />,
    );
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
