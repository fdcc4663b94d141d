/**
 * What `deliver` has found on AWS (status's `delivery.found`). Each Lambda container logs its control
 * snapshot once per invocation (`{msg:"deliver", event:"control", adaptive, state, limit, ceiling, …}`,
 * deliver.ts) when it is adaptive or holds an outage; each container writes its own log stream, so the
 * latest such line per stream is that container's state. The containers seen in the last minutes are
 * summed: a container's `limit` is its share of one delivery slot, so the sum is the concurrency the
 * proxy runs at now. Read only for an adaptive proxy (one FilterLogEvents call, a few pages at most),
 * so a fixed proxy's status costs what it did.
 */
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { Aws } from '../aws/clients.js';
import { handlerLine } from './logs/parse.js';
import { resourceNames } from './names.js';

export interface DeliveryFound {
  /** Containers that logged their control in the window. */
  containers: number;
  /** The sum of their shares: the concurrency deliver runs at now, at most the ceiling. */
  concurrency: number;
  /** Of them, how many hold an outage (their breaker is open). */
  outage: number;
  /** The window read, seconds. */
  windowSeconds: number;
}

export const FOUND_WINDOW_SECONDS = 300;
const MAX_PAGES = 5;

/** The latest control line per container in the window; null when none logged one (or unreadable). */
export async function readFound(
  aws: Aws,
  name: string,
  now = Date.now(),
  windowSeconds = FOUND_WINDOW_SECONDS,
): Promise<DeliveryFound | null> {
  const latest = new Map<string, { t: number; limit: number; outage: boolean }>();
  try {
    const logs = await aws.logs();
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await logs.send(
        new FilterLogEventsCommand({
          logGroupName: resourceNames(name).deliverLogGroup,
          startTime: now - windowSeconds * 1000,
          // A term, so both of Lambda's log formats match; the line is checked below.
          filterPattern: '"control"',
          ...(nextToken ? { nextToken } : {}),
        }),
      );
      for (const ev of page.events ?? []) {
        const line = ev.message ? handlerLine(ev.message) : undefined;
        if (!line || line.event !== 'control' || typeof line.limit !== 'number') continue;
        const stream = ev.logStreamName ?? '';
        const t = ev.timestamp ?? 0;
        const was = latest.get(stream);
        if (!was || t >= was.t) latest.set(stream, { t, limit: line.limit, outage: line.state === 'outage' });
      }
      nextToken = page.nextToken;
    } while (nextToken && ++pages < MAX_PAGES);
  } catch {
    return null; // status still answers without it: no log group yet, or no logs:FilterLogEvents
  }
  if (!latest.size) return null;
  const all = [...latest.values()];
  return {
    containers: all.length,
    concurrency: Math.round(all.reduce((s, c) => s + c.limit, 0) * 100) / 100,
    outage: all.filter((c) => c.outage).length,
    windowSeconds,
  };
}
