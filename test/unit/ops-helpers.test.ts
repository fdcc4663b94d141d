/**
 * The pure helpers behind status --watch, drain and peek: drain rate and ETA, sparkline, previews,
 * status text, and the "is this API unsupported here" test redrive uses to pick its path.
 */
import { describe, expect, it } from 'vitest';
import { encodeEnvelope } from '../../src/envelope.js';
import type { ProxyStatus } from '../../src/proxy/inspect.js';
import { deliveryState, rateOf, statusOf } from '../../src/proxy/inspect.js';
import { fifoIdsFor, isUnsupported } from '../../src/proxy/ops/redrive.js';
import { bodyPreview, formatPeeked, previewMessage } from '../../src/proxy/preview.js';
import { drainRate, etaSeconds, formatDuration } from '../../src/proxy/trend.js';
import { progressBar } from '../../src/ui/drain-lines.js';
import { sparkline } from '../../src/ui/sparkline.js';
import { formatList, formatStatus } from '../../src/ui/status-text.js';
import { testEnvelope } from '../helpers/proxy-fixture.js';

describe('drain rate and ETA', () => {
  it('measures a steady drain as a positive rate', () => {
    const s = [0, 1, 2, 3, 4].map((i) => ({ t: i * 1000, depth: 100 - 10 * i }));
    expect(drainRate(s)).toBeCloseTo(10);
    expect(etaSeconds(60, drainRate(s))).toBe(6);
  });
  it('a growing queue has a negative rate and no ETA', () => {
    const s = [0, 1, 2].map((i) => ({ t: i * 1000, depth: 10 + 5 * i }));
    expect(drainRate(s)).toBeCloseTo(-5);
    expect(etaSeconds(20, drainRate(s))).toBeNull();
  });
  it('needs two samples, and uses only the recent window', () => {
    expect(drainRate([{ t: 0, depth: 5 }])).toBeNull();
    const old = [{ t: 0, depth: 1000 }];
    const recent = [0, 1, 2].map((i) => ({ t: 100_000 + i * 1000, depth: 50 - i }));
    expect(drainRate([...old, ...recent], 10_000)).toBeCloseTo(1);
  });
  it('ETA 0 when empty, durations read well', () => {
    expect(etaSeconds(0, null)).toBe(0);
    expect(formatDuration(42)).toBe('42s');
    expect(formatDuration(185)).toBe('3m 05s');
    expect(formatDuration(7800)).toBe('2h 10m');
    expect(formatDuration(null)).toBe('unknown');
  });
});

describe('sparkline and progress bar', () => {
  it('scales from 0 to the max', () => {
    expect(sparkline([0, 4, 8])).toBe('▁▅█');
    expect(sparkline([0, 0])).toBe('▁▁');
    expect(sparkline([])).toBe('');
    expect(sparkline([1, 2, 3, 4, 5], 3)).toHaveLength(3);
  });
  it('fills the bar with progress', () => {
    expect(progressBar(5, 10, 10)).toBe('█████░░░░░');
    expect(progressBar(0, 0, 4)).toBe('████');
  });
});

describe('previews', () => {
  it('decodes an envelope', () => {
    const e = testEnvelope({ rawQueryString: 'a=1' });
    const p = previewMessage({
      MessageId: 'm1',
      Body: encodeEnvelope(e),
      Attributes: { ApproximateReceiveCount: '3' },
    });
    expect(p).toMatchObject({ id: e.id, attempts: 3, method: 'POST', path: '/hooks/stripe?a=1' });
    expect(formatPeeked([p], 'queue')).toContain(`${e.id}  attempts 3`);
  });
  it('shows binary as a size, escapes control characters, cuts long text', () => {
    expect(bodyPreview(Buffer.from([0xff, 0x00]))).toBe('<binary, 2 bytes>');
    expect(bodyPreview(Buffer.from('a\u001b[2Jb\nc'))).toBe('a\\u001b[2Jb⏎c');
    const long = bodyPreview(Buffer.from('x'.repeat(500)), 10);
    expect(long).toBe('xxxxxxxxxx… (500 bytes)');
  });
  it('keeps a message that is not an envelope, with the reason', () => {
    const p = previewMessage({ MessageId: 'm2', Body: 'hello', Attributes: { SentTimestamp: '0' } });
    expect(p.id).toBe('m2');
    expect(p.error).toContain('not a webhook-proxy envelope');
  });
});

describe('status', () => {
  const base = statusOf(
    {
      name: 'stripe',
      region: 'eu-west-1',
      ordered: false,
      endpoint: 'https://x.example',
      deliver: { name: 'd', arn: 'a', timeout: 60, env: { WP_UPSTREAM: 'https://app/hooks', WP_RATE: '50' } },
      mapping: { uuid: 'u', state: 'Disabled', maximumConcurrency: 5, batchSize: 10 },
      queue: {
        url: 'u',
        name: 'q',
        arn: 'a',
        attributes: {
          ApproximateNumberOfMessages: '120',
          ApproximateNumberOfMessagesNotVisible: '5',
          ApproximateNumberOfMessagesDelayed: '1',
        },
      },
      dlq: { url: 'u2', name: 'q2', arn: 'a2', attributes: { ApproximateNumberOfMessages: '2' } },
    },
    null,
  );
  it('maps mapping states', () => {
    expect(deliveryState('Enabled')).toBe('enabled');
    expect(deliveryState('Disabled')).toBe('paused');
    expect(deliveryState('Disabling')).toBe('transitioning');
    expect(deliveryState(undefined)).toBe('missing');
    expect(rateOf({ WP_RATE: '' })).toBeNull();
  });
  it('renders text plainly', () => {
    const s: ProxyStatus = base;
    const text = formatStatus(s);
    expect(text).toContain('PAUSED');
    expect(text).toContain('120 waiting, 5 in flight, 1 delayed; oldest unknown');
    expect(text).toContain('concurrency 5, at most 50/s');
    expect(text).toContain('dlq        2');
    expect(formatList([], 'eu-west-1')).toBe('No webhook proxies in eu-west-1.');
  });
});

describe('redrive helpers', () => {
  it('recognises emulators without the move-task API, not real refusals', () => {
    expect(isUnsupported({ name: 'SyntaxError', $metadata: { httpStatusCode: 500 } })).toBe(true);
    expect(isUnsupported({ name: 'UnsupportedOperation', $metadata: { httpStatusCode: 400 } })).toBe(true);
    expect(isUnsupported({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } })).toBe(false);
    expect(isUnsupported({ name: 'InvalidParameterValue', $metadata: { httpStatusCode: 400 } })).toBe(false);
  });
  it('a FIFO copy keeps the group and gets a dedup id distinct from ingest’s', () => {
    const e = testEnvelope();
    const ids = fifoIdsFor({
      MessageId: 'm',
      Body: encodeEnvelope(e),
      Attributes: { MessageGroupId: 'g1', ApproximateFirstReceiveTimestamp: '123' },
    });
    expect(ids).toEqual({ MessageGroupId: 'g1', MessageDeduplicationId: `${e.id}-r123` });
  });
});
