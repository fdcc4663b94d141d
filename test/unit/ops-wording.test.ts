/**
 * The wording of status, watch and drain (issue 15's rough edges): suggested commands carry the
 * proxy's name and region, counts have proper plurals, an empty queue has no "oldest unknown", a
 * paused proxy "will not empty" (not "empty in never"), and the ETA says what it rests on.
 */
import { describe, expect, it } from 'vitest';
import { statusOf } from '../../src/proxy/inspect.js';
import { plural, suggest } from '../../src/proxy/suggest.js';
import { etaBasis } from '../../src/ui/drain-lines.js';
import { etaText, formatStatus, watchLine } from '../../src/ui/status-text.js';

const proxy = (state: string, visible: number, dlq = 0) =>
  statusOf(
    {
      name: 'stripe',
      region: 'eu-west-1',
      ordered: false,
      endpoint: 'https://x.example',
      deliver: { name: 'd', arn: 'a', timeout: 60, env: { WP_UPSTREAM: 'https://app/hooks' } },
      mapping: { uuid: 'u', state, maximumConcurrency: 5, batchSize: 10 },
      queue: { url: 'u', name: 'q', arn: 'a', attributes: { ApproximateNumberOfMessages: String(visible) } },
      dlq: { url: 'u2', name: 'q2', arn: 'a2', attributes: { ApproximateNumberOfMessages: String(dlq) } },
    },
    null,
  );

describe('suggested commands', () => {
  it('name the proxy and its region', () => {
    expect(suggest('resume', { name: 'stripe', region: 'eu-west-1' })).toBe(
      'webhook-proxy resume stripe --region eu-west-1',
    );
    const paused = formatStatus(proxy('Disabled', 3, 2));
    expect(paused).toContain('"webhook-proxy resume stripe --region eu-west-1" restarts delivery');
    expect(paused).toContain('"webhook-proxy peek stripe --region eu-west-1 --dlq"');
    expect(paused).toContain('"webhook-proxy redrive stripe --region eu-west-1"');
    expect(paused).not.toMatch(/"webhook-proxy (resume|peek|redrive)"/);
  });
});

describe('wording', () => {
  it('plurals', () => {
    expect(plural(1, 'message')).toBe('1 message');
    expect(plural(0, 'message')).toBe('0 messages');
    expect(plural(2, 'message was', 'messages were')).toBe('2 messages were');
  });

  it('an empty queue has nothing waiting, not an unknown oldest', () => {
    const text = formatStatus(proxy('Enabled', 0));
    expect(text).toContain('0 waiting, 0 in flight, 0 delayed; nothing waiting');
    expect(text).not.toContain('oldest unknown');
    expect(formatStatus(proxy('Enabled', 4))).toContain('oldest unknown (no CloudWatch data yet)');
  });

  it('the ETA says what it rests on, and a paused proxy will not empty', () => {
    const samples = [0, 1, 2, 3].map((i) => ({ t: i * 10_000, depth: 100 - 10 * i }));
    expect(etaText(proxy('Enabled', 70), samples)).toBe('empty in 1m 10s at the last 30 s rate');
    expect(etaText(proxy('Disabled', 70), samples)).toBe('will not empty while paused');
    expect(etaText(proxy('Enabled', 0), samples)).toBe('empty now');
    const growing = samples.map((s, i) => ({ ...s, depth: 10 + i }));
    expect(etaText(proxy('Enabled', 13), growing)).toBe('will not empty at the last 30 s rate (growing)');
    expect(watchLine(proxy('Enabled', 70), samples, new Date(0))).toContain(
      'drain=1.0/s eta=1m 10s (rate over the last 30 s)',
    );
    const p = {
      counts: { visible: 50, inFlight: 0, delayed: 0 },
      total: 50,
      initial: 100,
      elapsedSeconds: 60,
      rate: 2,
      rateBasisSeconds: 45,
      etaSeconds: 25,
    };
    expect(etaBasis(p)).toBe('ETA 25s at the last 45 s rate');
    expect(etaBasis({ ...p, rate: null, etaSeconds: null })).toBe('ETA unknown (measuring the rate)');
  });
});
