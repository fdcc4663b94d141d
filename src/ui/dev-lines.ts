/**
 * `dev` events as text: NDJSON lines for --json (stdout, one event per line) and plain lines for logs
 * and pipes (stderr). The ink dashboard (dev-dashboard.tsx) is the third renderer.
 */
import type { DevEvent } from '../local/runtime.js';

/**
 * The NDJSON line for an event, or undefined for diagnostics (dev writes those to stderr as text).
 * `serve` logs: every event is a line (warnings too) and starts with its time, for log collectors that
 * do not stamp lines themselves.
 */
export function devEventJson(e: DevEvent, log?: { time: Date }): string | undefined {
  if (log) return JSON.stringify({ time: log.time.toISOString(), ...e });
  if (e.event === 'warning') return undefined;
  return JSON.stringify(e);
}

const seconds = (s: number) => (s < 10 ? `${Number(s.toFixed(2))} s` : `${Math.round(s)} s`);

export function devEventLine(e: DevEvent): string {
  switch (e.event) {
    case 'listening':
      return `listening on ${e.url} → delivering to ${e.upstream}`;
    case 'delivered':
      return `delivered ${e.id} → ${e.status} (attempt ${e.attempt}, ${e.ms} ms)`;
    case 'retry':
      return (
        `retry ${e.id}: attempt ${e.attempt} failed (${e.status !== undefined ? `HTTP ${e.status}` : e.error}), ` +
        `next try in ${seconds(e.retryInSeconds)}`
      );
    case 'dead-lettered':
      return `dead-lettered ${e.id} after ${e.attempts} attempts${e.reason ? ` (${e.reason})` : ''}`;
    case 'outage':
      return 'the upstream is down: webhooks are held (their attempts not counted), probing once a second';
    case 'recovered':
      return 'the upstream answers again: delivery ramps up from one at a time';
    case 'rejected':
      return `rejected a webhook with ${e.status}: ${e.reason}`;
    case 'warning':
      return `warning: ${e.message}`;
    case 'settings':
      return e.paused
        ? `delivery paused: webhooks are accepted and wait in the queue; "${e.resume ?? 'webhook-proxy resume --local'}" restarts delivery`
        : `delivering at concurrency ${e.concurrency}, ${e.rate === null ? 'unpaced' : `at most ${e.rate}/s`}` +
            `${e.adaptive ? ', adaptive (ceilings)' : ''} (settings changed live)`;
    case 'stopped':
      return stoppedLine(e);
  }
}

type Stopped = Extract<DevEvent, { event: 'stopped' }>;
type Listening = Extract<DevEvent, { event: 'listening' }>;

const webhooks = (n: number) => (n === 1 ? '1 webhook' : `${n} webhooks`);

/** The last word of every stop: what is still queued and dead-lettered, and where it is (or that it is lost). */
export function stoppedLine(e: Pick<Stopped, 'queued' | 'deadLettered' | 'lost' | 'dataDir'>): string {
  const dead = e.deadLettered ?? 0;
  const parts = [
    ...(e.queued ? [`${webhooks(e.queued)} still queued`] : []),
    ...(dead ? [`${webhooks(dead)} dead-lettered`] : []),
  ];
  if (!parts.length) {
    return e.dataDir
      ? `Stopped. Nothing was left in the queue or the DLQ (${e.dataDir}).`
      : e.deadLettered === null
        ? 'Stopped. Nothing was left in the queue.'
        : 'Stopped. Nothing was left in the queue or the DLQ.';
  }
  const what = parts.join(' and ');
  const many = e.queued + dead !== 1;
  if (e.lost) {
    return (
      `Stopped. ${what}: ${many ? 'they are' : 'it is'} lost, the queue lived in memory (--memory). ` +
      'Without --memory dev keeps them on disk.'
    );
  }
  if (e.dataDir) {
    return (
      `Stopped. ${what}: kept in ${e.dataDir}. ` +
      'Started again on it, dev resumes the queue; the DLQ stays until you redrive or purge it.'
    );
  }
  return `Stopped. ${what} in SQS; they will be delivered when dev (or the deployed proxy) runs again.`;
}

/** Said once at start: what the queue is, what a start found in it, and what a stop will do to it. */
/**
 * The notices of queueNotice that are warnings (what a stop or a failing webhook loses), by their
 * `--json` code; the others are information.
 */
export function queueWarningCode(e: Pick<Listening, 'queue' | 'maxAttempts'>): string | undefined {
  if (e.queue === 'memory') return 'queue_in_memory';
  if (e.queue !== 'sqlite' && e.maxAttempts === null) return 'queue_without_dlq';
  return undefined;
}

export function queueNotice(e: Pick<Listening, 'queue' | 'maxAttempts' | 'dataDir' | 'resumed'>): string {
  const { queue: kind, maxAttempts } = e;
  if (kind === 'memory') {
    return (
      'The queue lives in memory only (--memory): webhooks still queued or dead-lettered when dev stops ' +
      'or crashes are lost. Without --memory they are kept on disk.'
    );
  }
  if (kind === 'sqlite') {
    const r = e.resumed;
    const found =
      r && (r.queued || r.deadLettered)
        ? ` Resumed: ${webhooks(r.queued)} queued` +
          (r.inFlight ? ` (${r.inFlight} of them in flight at the last stop, delivered again)` : '') +
          `, ${webhooks(r.deadLettered)} in the DLQ.`
        : '';
    return (
      `Webhooks are kept on disk in ${e.dataDir ?? 'the data directory'} until delivered: a restart (even after a crash) resumes where it stopped` +
      (maxAttempts === null
        ? '.'
        : `; after ${maxAttempts} attempt${maxAttempts === 1 ? '' : 's'} a webhook moves to the dead-letter queue, kept too.`) +
      found
    );
  }
  return maxAttempts === null
    ? 'Using the SQS queue from --queue-url. It has no dead-letter queue: failing webhooks are retried until SQS retention drops them.'
    : `Using the SQS queue from --queue-url; its redrive policy moves a webhook to the DLQ after ${maxAttempts} attempts.`;
}
