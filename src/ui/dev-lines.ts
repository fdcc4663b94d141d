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
    case 'stopped':
      return stoppedLine(e.queued, e.lost, e.deadLettered);
  }
}

const were = (n: number) => (n === 1 ? '1 webhook was' : `${n} webhooks were`);

export function stoppedLine(queued: number, lost: boolean, deadLettered = 0): string {
  if (queued === 0 && deadLettered === 0) {
    return 'Stopped. Nothing was left in the queue or the dead-letter queue.';
  }
  const what = queued
    ? `${were(queued)} still queued${deadLettered ? ` and ${deadLettered} dead-lettered` : ''}`
    : `${were(deadLettered)} in the dead-letter queue`;
  const they = queued + deadLettered === 1 ? 'it is' : 'they are';
  return lost
    ? `Stopped. ${what}; ${they} lost: the embedded queue lived in memory (use --queue-url to keep them).`
    : `Stopped. ${what} in SQS; ${they} kept there` +
        (queued ? ' and delivered when dev (or the deployed proxy) runs again.' : '.');
}

/** Said once at start: what the queue is and what a stop will do to it. */
export function queueNotice(kind: 'memory' | 'sqlite' | 'sqs', maxAttempts: number | null): string {
  if (kind === 'memory') {
    return (
      // dev does not use the on-disk store yet (src/local/store/ is built, not wired): say what is true today.
      'The embedded queue lives in memory: webhooks still queued when dev stops are lost. ' +
      'Use --queue-url with an SQS queue to keep them across restarts.'
    );
  }
  if (kind === 'sqlite') {
    return (
      'Webhooks are kept on disk until delivered: a restart (even after a crash) resumes where it stopped' +
      (maxAttempts === null
        ? '.'
        : `; after ${maxAttempts} attempts a webhook moves to the dead-letter queue, kept too.`)
    );
  }
  return maxAttempts === null
    ? 'Using the SQS queue from --queue-url. It has no dead-letter queue: failing webhooks are retried until SQS retention drops them.'
    : `Using the SQS queue from --queue-url; its redrive policy moves a webhook to the DLQ after ${maxAttempts} attempts.`;
}
