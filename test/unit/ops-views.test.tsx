/**
 * The ink views of status --watch and drain, rendered with ink-testing-library.
 */
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { stallReport, statusOf } from '../../src/proxy/inspect.js';
import { DrainView } from '../../src/ui/drain-progress.js';
import { StatusDashboard } from '../../src/ui/status-dashboard.js';

const status = (state: string, visible: number) =>
  statusOf(
    {
      name: 'sendgrid',
      region: 'us-east-1',
      ordered: false,
      endpoint: 'https://abc.execute-api.us-east-1.amazonaws.com',
      deliver: { name: 'd', arn: 'a', timeout: 60, env: { WP_UPSTREAM: 'https://app.example.com/hooks' } },
      mapping: { uuid: 'u', state, maximumConcurrency: 4, batchSize: 10 },
      queue: { url: 'u', name: 'q', arn: 'a', attributes: { ApproximateNumberOfMessages: String(visible) } },
      dlq: { url: 'u2', name: 'q2', arn: 'a2', attributes: { ApproximateNumberOfMessages: '3' } },
    },
    90,
  );

describe('StatusDashboard', () => {
  it('shows depth over time, the drain rate and the time until empty', () => {
    const samples = [0, 1, 2, 3].map((i) => ({ t: i * 5000, depth: 400 - 50 * i }));
    const { lastFrame } = render(
      <StatusDashboard status={status('Enabled', 250)} samples={samples} interval={5} />,
    );
    const f = lastFrame()!;
    expect(f).toContain('sendgrid');
    expect(f).toContain('enabled, concurrency 4, unpaced');
    expect(f).toContain('250 waiting');
    expect(f).toContain('oldest 1m 30s');
    expect(f).toContain('depth █▇▆▅ 250');
    expect(f).toContain('drain 10.0/s');
    expect(f).toContain('empty in 25s at the last 15 s rate');
    expect(f).toContain('dlq 3');
  });
  it('says plainly when delivery is paused', () => {
    const samples = [0, 1].map((i) => ({ t: i * 5000, depth: 250 }));
    const { lastFrame } = render(
      <StatusDashboard status={status('Disabled', 250)} samples={samples} interval={5} />,
    );
    expect(lastFrame()).toContain('PAUSED');
    expect(lastFrame()).toContain('will not empty while paused');
    expect(lastFrame()).not.toContain('empty in never');
  });
  it('shows a stall with the command to run next, and a failed refresh without losing the numbers', () => {
    const samples = [0, 1, 2].map((i) => ({ t: i * 5000, depth: 250 }));
    const stalled = {
      ...status('Enabled', 250),
      stall: stallReport('sendgrid', 'us-east-1', 250, { seconds: 180, basis: 'readings' }),
    };
    const { lastFrame } = render(
      <StatusDashboard status={stalled} samples={samples} interval={5} error="refresh failed at 12:00:05" />,
    );
    const f = lastFrame()!;
    expect(f).toContain('STALLED: ');
    expect(f).toContain('3m');
    expect(f).toContain('next: webhook-proxy logs sendgrid');
    expect(f).toContain('--failed');
    expect(f).toContain('refresh failed at 12:00:05');
    expect(f).toContain('250 waiting');
  });
});

describe('DrainView', () => {
  it('shows a progress bar, what is left and the ETA', () => {
    const { lastFrame } = render(
      <DrainView
        name="sendgrid"
        notes={['Concurrency raised from 2 to 20 for the drain; it is restored afterwards.']}
        p={{
          counts: { visible: 40, inFlight: 10, delayed: 0 },
          total: 50,
          initial: 100,
          elapsedSeconds: 12,
          rate: 5,
          rateBasisSeconds: 60,
          etaSeconds: 10,
        }}
      />,
    );
    const f = lastFrame()!;
    expect(f).toContain('raised from 2 to 20');
    expect(f).toContain('███████████████░░░░░░░░░░░░░░░ 50 left');
    expect(f).toContain('5.0/s · ETA 10s at the last 60 s rate');
  });
});
