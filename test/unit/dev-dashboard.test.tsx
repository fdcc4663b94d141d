/**
 * The `dev` dashboard (ink) and its text renderers.
 */
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { DeliveryStats, type DevSnapshot } from '../../src/local/stats.js';
import { DevDashboard } from '../../src/ui/dev-dashboard.js';
import { devEventJson, devEventLine, queueNotice, stoppedLine } from '../../src/ui/dev-lines.js';

const info = {
  url: 'http://127.0.0.1:8080',
  upstream: 'http://localhost:3000/webhooks',
  queue: 'memory' as const,
  concurrency: 4,
  rate: 50,
  maxAttempts: 10,
};

const snapshot: DevSnapshot = {
  received: 1234,
  queued: 800,
  delayed: 61,
  inFlight: 4,
  delivered: 420,
  retrying: 7,
  deadLettered: 3,
  ratePerSecond: 7.3, // unlike any other figure on screen, so the counter itself is what is found
  lastErrors: [{ at: Date.UTC(2026, 10, 25, 9, 0, 1), id: 'wh_abc', attempt: 2, problem: 'HTTP 503' }],
  dlq: 3,
};

describe('DevDashboard', () => {
  it('shows every counter, the limits, the queue kind and the last errors', () => {
    const { lastFrame } = render(
      <DevDashboard info={info} snapshot={snapshot} notes={['warning: upstream down']} />,
    );
    const frame = lastFrame()!;
    for (const label of [
      'received',
      'queued',
      'delayed',
      'in flight',
      'delivered',
      'retrying',
      'dead-lettered',
      'rate',
    ]) {
      expect(frame).toContain(label);
    }
    for (const value of ['1234', '800', '61', '420']) expect(frame).toContain(value);
    expect(frame).toContain('7.3/s');
    expect(frame).toContain('queue in memory (lost on exit)');
    expect(frame).toContain('concurrency 4, at most 50/s, DLQ after 10 attempts');
    expect(frame).toContain('09:00:01 wh_abc attempt 2: HTTP 503');
    expect(frame).toContain('warning: upstream down');
    expect(frame).toContain('Ctrl-C to stop');
  });

  it('says when it is stopping, and shows an SQS queue without a DLQ', () => {
    const { lastFrame } = render(
      <DevDashboard
        info={{ ...info, queue: 'sqs', rate: undefined, maxAttempts: null }}
        snapshot={{ ...snapshot, lastErrors: [] }}
        stopping
      />,
    );
    expect(lastFrame()).toContain('queue in SQS · concurrency 4, unpaced, no DLQ');
    expect(lastFrame()).toContain('stopping');
    expect(lastFrame()).not.toContain('last errors');
  });
});

describe('DevDashboard at 80 × 24', () => {
  // ink-testing-library's terminal is 100 columns; the dashboard is told the size, as mountDevDashboard
  // tells it the stream's. A frame taller than the terminal scrolls, and the counters would go first.
  const busy: DevSnapshot = {
    ...snapshot,
    received: 1_234_567,
    queued: 1_000_000,
    delivered: 234_560,
    ratePerSecond: 412.5,
    control: {
      adaptive: true,
      limit: 3,
      ceiling: 50,
      baselineMs: 41,
      state: 'outage',
      outageSince: '2026-11-25T09:00:00.000Z',
    } as DevSnapshot['control'],
    lastErrors: Array.from({ length: 5 }, (_x, i) => ({
      at: Date.UTC(2026, 10, 25, 9, 0, i),
      id: `wh_${'x'.repeat(24)}${i}`,
      attempt: i + 1,
      problem: `connect ECONNREFUSED 127.0.0.1:3000 while sending a very long request number ${i}`,
    })),
  };
  const notes = Array.from(
    { length: 12 },
    (_x, i) => `warning ${i}: the upstream http://localhost:3000/a/rather/long/path/to/webhooks answered 503`,
  );

  it('keeps every counter visible, no line wider than 80 and no more than 24 lines', () => {
    const { lastFrame } = render(
      <DevDashboard
        info={{ ...info, upstream: `http://localhost:3000/${'very-long-path/'.repeat(8)}` }}
        snapshot={busy}
        notes={notes}
        size={{ columns: 80, rows: 24 }}
      />,
    );
    const frame = lastFrame()!;
    const lines = frame.split('\n');
    expect(lines.length, frame).toBeLessThanOrEqual(23);
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(80);
    for (const label of [
      'received',
      'queued',
      'delayed',
      'in flight',
      'delivered',
      'retrying',
      'dead-lettered',
      'rate',
    ]) {
      expect(frame).toContain(label);
    }
    for (const value of ['1234567', '1000000', '234560', '413/s']) expect(frame).toContain(value);
    expect(frame).toContain('Ctrl-C to stop');
    // What did not fit is counted, newest first.
    expect(frame).toContain('warning 0:');
    expect(frame).toMatch(/… \d+ more/);
  });
});

describe('DeliveryStats', () => {
  it('counts in flight on the wire (the rest of a batch is queued), retries as the queue holds them, and the rate over the last 5 s', () => {
    let now = 1_000_000;
    const s = new DeliveryStats(() => now);
    s.received();
    s.received();
    s.received();
    s.invoked(0, 3);
    // Handed out but not yet sent: waiting, so queued, not in flight.
    expect(s.snapshot({ visible: 5, inFlight: 3, delayed: 0, dlq: 0 })).toMatchObject({
      inFlight: 0,
      queued: 8,
      retrying: 0,
    });
    s.wire(1);
    s.wire(-1);
    s.settled(0);
    s.delivered();
    s.wire(1);
    s.wire(-1);
    s.settled(0);
    s.failed('b', 1, 'HTTP 503');
    s.backingOff(0);
    s.wire(1);
    // The batch's 3 records are all still received in the queue (the delivered one until the batch
    // ends): the one backing off is retrying already.
    let snap = s.snapshot({ visible: 5, inFlight: 3, delayed: 0, dlq: 0 });
    expect(snap).toMatchObject({
      received: 3,
      inFlight: 1,
      retrying: 1,
      delivered: 1,
      queued: 5,
      ratePerSecond: 0.2,
    });
    s.wire(-1);
    s.settled(0);
    s.delivered();
    s.invocationDone(0);
    // The batch ended: its delivered records are deleted, the failed one waits hidden in the queue.
    expect(s.snapshot({ visible: 5, inFlight: 1, delayed: 0, dlq: 0 })).toMatchObject({
      inFlight: 0,
      retrying: 1,
      queued: 5,
    });
    now += 6000;
    snap = s.snapshot({ visible: 0, inFlight: 0, delayed: 0, dlq: 0 });
    expect(snap).toMatchObject({ inFlight: 0, retrying: 0, delivered: 2, ratePerSecond: 0 });
    expect(snap.lastErrors).toEqual([{ at: 1_000_000, id: 'b', attempt: 1, problem: 'HTTP 503' }]);
  });

  it('shows held (delayed) webhooks apart from queued, and retries a restart found in the store', () => {
    const s = new DeliveryStats(() => 0);
    // A fresh process: nothing reported yet, the store holds 4 backing off and 7 held copies.
    expect(s.snapshot({ visible: 2, inFlight: 4, delayed: 7, dlq: 1 })).toMatchObject({
      queued: 2,
      delayed: 7,
      retrying: 4,
      dlq: 1,
    });
  });
});

describe('dev text renderers', () => {
  it('writes the contract NDJSON events, and plain lines for people', () => {
    expect(
      JSON.parse(devEventJson({ event: 'delivered', id: 'wh_1', status: 200, attempt: 1, ms: 3 })!),
    ).toEqual({
      event: 'delivered',
      id: 'wh_1',
      status: 200,
      attempt: 1,
      ms: 3,
    });
    expect(devEventJson({ event: 'warning', message: 'x' })).toBeUndefined();
    expect(devEventLine({ event: 'retry', id: 'wh_1', attempt: 2, status: 503, retryInSeconds: 0.1 })).toBe(
      'retry wh_1: attempt 2 failed (HTTP 503), next try in 0.1 s',
    );
    expect(devEventLine({ event: 'dead-lettered', id: 'wh_1', attempts: 3 })).toBe(
      'dead-lettered wh_1 after 3 attempts',
    );
    expect(stoppedLine({ queued: 2, deadLettered: 1, lost: true })).toBe(
      'Stopped. 2 webhooks still queued and 1 webhook dead-lettered: they are lost, the queue lived in memory (--memory). Without --memory dev keeps them on disk.',
    );
    expect(stoppedLine({ queued: 1, deadLettered: null, lost: false })).toContain(
      '1 webhook still queued in SQS',
    );
    expect(stoppedLine({ queued: 3, deadLettered: 2, lost: false, dataDir: '/d/default' })).toContain(
      '3 webhooks still queued and 2 webhooks dead-lettered: kept in /d/default.',
    );
    expect(stoppedLine({ queued: 0, deadLettered: 0, lost: false, dataDir: '/d' })).toBe(
      'Stopped. Nothing was left in the queue or the DLQ (/d).',
    );
    expect(queueNotice({ queue: 'memory', maxAttempts: 10 })).toContain('lives in memory only (--memory)');
    expect(
      queueNotice({
        queue: 'sqlite',
        maxAttempts: 10,
        dataDir: '/d',
        resumed: { queued: 5, inFlight: 2, deadLettered: 1 },
      }),
    ).toContain('in /d until delivered');
    expect(
      queueNotice({ queue: 'sqlite', maxAttempts: 10, resumed: { queued: 5, inFlight: 2, deadLettered: 1 } }),
    ).toContain(
      'Resumed: 5 webhooks queued (2 of them in flight at the last stop, delivered again), 1 webhook in the DLQ.',
    );
  });
});
