/**
 * Read the ingest and deliver functions' log groups: FilterLogEvents on both (paged), merged in time
 * order, or a local proxy's event log (dev --event-log), which holds the same lines.
 * `--follow` polls: each round asks again from the last event's time and drops the events already
 * shown (FilterLogEvents gives each an eventId). Polling, not StartLiveTail: live tail needs an
 * HTTP/2 event stream, which emulators do not offer, and a few seconds of delay is fine here.
 */
import { readFile } from 'node:fs/promises';
import { FilterLogEventsCommand, type FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import type { Aws } from '../../aws/clients.js';
import { isNotFound } from '../../aws/errors.js';
import { CliError } from '../../errors.js';
import { resourceNames } from '../names.js';
import { parseLogEvent, type LogEntry } from './parse.js';

export interface LogQuery {
  /** Milliseconds since the epoch. */
  since: number;
  id?: string;
}

/** A page cap: a runaway window never reads forever (10,000 events a page at most). */
const MAX_PAGES = 50;

async function readGroup(aws: Aws, group: string, q: LogQuery, seen: Set<string>): Promise<LogEntry[]> {
  const logs = await aws.logs();
  const out: LogEntry[] = [];
  let nextToken: string | undefined;
  let pages = 0;
  do {
    const page = await logs.send(
      new FilterLogEventsCommand({
        logGroupName: group,
        startTime: q.since,
        // A quoted term matches the id anywhere in the line, whatever the log format.
        ...(q.id ? { filterPattern: `"${q.id}"` } : {}),
        ...(nextToken ? { nextToken } : {}),
      }),
    );
    for (const ev of page.events ?? ([] as FilteredLogEvent[])) {
      const key = ev.eventId ?? `${ev.logStreamName}:${ev.timestamp}:${ev.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const e = parseLogEvent(ev);
      if (e) out.push(e);
    }
    nextToken = page.nextToken;
  } while (nextToken && ++pages < MAX_PAGES);
  return out;
}

/** Both functions' lines since `q.since`, oldest first. `seen` carries over between polls. */
export async function readProxyLogs(
  aws: Aws,
  name: string,
  q: LogQuery,
  seen = new Set<string>(),
): Promise<LogEntry[]> {
  const names = resourceNames(name);
  const groups = [names.ingestLogGroup, names.deliverLogGroup];
  const found = await Promise.all(
    groups.map(async (g) => {
      try {
        return await readGroup(aws, g, q, seen);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    }),
  );
  if (found.every((f) => f === undefined)) {
    throw new CliError(
      `Proxy "${name}" has no log groups in ${aws.settings.region} (${groups.join(', ')}).`,
      `Check the name and --region ("webhook-proxy list --region ${aws.settings.region}" shows the proxies there).`,
    );
  }
  return found
    .flatMap((f) => f ?? [])
    .filter((e) => !q.id || e.id === q.id)
    .sort((a, b) => a.time - b.time);
}

/**
 * A local proxy's event log: one JSON object per line, `{"timestamp": ms, "message": "<handler line>"}`,
 * as dev and serve write it (src/local/event-log.ts). `skip` lines already read (for --follow);
 * `missingOk`: a file not there (yet) has no lines.
 */
export async function readLocalLog(
  file: string,
  q: LogQuery,
  skip = 0,
  o: { missingOk?: boolean } = {},
): Promise<{ entries: LogEntry[]; lines: number }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      if (o.missingOk) return { entries: [], lines: 0 };
      throw new CliError(
        `There is no event log at ${file}.`,
        'Check the path given to "dev --event-log FILE" (or serve\'s), or leave --event-log out: ' +
          '"webhook-proxy logs --local NAME" reads the log dev and serve keep in their data directory.',
      );
    }
    throw err;
  }
  // A line still being written (no newline yet) is read on the next round.
  const lines = text.split('\n');
  const complete = lines.slice(0, -1);
  const entries: LogEntry[] = [];
  for (const raw of complete.slice(skip)) {
    let ev: { timestamp?: number; message?: string } | undefined;
    try {
      ev = JSON.parse(raw) as { timestamp?: number; message?: string };
    } catch {
      continue;
    }
    const e = parseLogEvent(ev);
    if (e && e.time >= q.since && (!q.id || e.id === q.id)) entries.push(e);
  }
  return { entries, lines: complete.length };
}
