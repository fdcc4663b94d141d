/**
 * One webhook's story from its log lines: received (size, source, verified by), each attempt (status,
 * latency, error) and where it is now: delivered, queued with its next attempt, or in the DLQ.
 */
import type { LogEntry } from './parse.js';

export type Whereabouts = 'delivered' | 'queued' | 'dead-lettered' | 'rejected' | 'unknown';

export interface History {
  id: string;
  received?: LogEntry;
  attempts: LogEntry[];
  now: {
    state: Whereabouts;
    /** When the next attempt is due (queued after a failed attempt). */
    nextAttemptAt?: string;
    summary: string;
    /** The command that helps next, when there is one. */
    next?: string;
  };
}

export function buildHistory(
  id: string,
  entries: LogEntry[],
  ctx: {
    name: string;
    region?: string;
    /**
     * A local proxy's flags for the commands `next` suggests, instead of --region: `ops` for peek and
     * redrive (--local, --data-dir DIR), `logs` for logs (the same, or --event-log FILE).
     */
    local?: { ops: string; logs: string };
    searchedSince: number;
    now?: number;
  },
): History {
  const mine = entries.filter((e) => e.id === id).sort((a, b) => a.time - b.time);
  const received = mine.find((e) => e.source === 'ingest');
  const attempts = mine.filter(
    (e) => e.kind === 'delivered' || e.kind === 'failed' || e.kind === 'dead-lettered',
  );
  const last = attempts.at(-1);
  const where = ctx.local ? ` ${ctx.local.ops}` : ctx.region ? ` --region ${ctx.region}` : '';
  const logsWhere = ctx.local ? ` ${ctx.local.logs}` : where;
  const since = new Date(ctx.searchedSince).toISOString();
  let now: History['now'];
  if (last?.kind === 'delivered') {
    now = {
      state: 'delivered',
      summary: `delivered on attempt ${last.attempt ?? '?'} (HTTP ${last.status ?? '?'})`,
    };
  } else if (last?.kind === 'dead-lettered') {
    now = {
      state: 'dead-lettered',
      summary: `in the dead-letter queue: all ${last.attempt ?? '?'} attempts failed (kept, not lost)`,
      next: `webhook-proxy peek ${ctx.name} --dlq${where}, then webhook-proxy redrive ${ctx.name}${where} once the upstream is fixed`,
    };
  } else if (last?.kind === 'failed') {
    const at = last.time + (last.retryInSeconds ?? 0) * 1000;
    now = {
      state: 'queued',
      nextAttemptAt: new Date(at).toISOString(),
      summary: `queued: attempt ${(last.attempt ?? 0) + 1} due ${at <= (ctx.now ?? Date.now()) ? 'now' : 'at'} ${new Date(at).toISOString()}`,
      next: `webhook-proxy logs ${ctx.name} --id ${id} --follow${logsWhere}`,
    };
  } else if (received && received.kind === 'rejected') {
    now = {
      state: 'rejected',
      summary: `not stored: ingest answered ${received.status ?? '?'}${received.error ? ` (${received.error})` : ''}`,
    };
  } else if (received) {
    now = { state: 'queued', summary: 'queued: not attempted yet (delivery may be paused: see status)' };
  } else {
    now = {
      state: 'unknown',
      summary: `no log line for ${id} since ${since}`,
      next: `webhook-proxy logs ${ctx.name} --id ${id} --since 14d${logsWhere}`,
    };
  }
  return { id, ...(received ? { received } : {}), attempts, now };
}
