/**
 * The pure parts of provisioning: the functions' environment (the handler contract), the mapping's
 * settings, the deterministic deployment zip, the IAM-propagation retry, settling parallel steps,
 * and the destroy prompt.
 */
import { InvalidParameterValueException } from '@aws-sdk/client-lambda';
import { PassThrough } from 'node:stream';
import { unzipSync } from 'fflate';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { deliverConfigFromEnv } from '../../src/handlers/deliver.js';
import { ingestConfigFromEnv } from '../../src/handlers/ingest.js';
import { handlerBundlePath } from '../../src/paths.js';
import { handlerZip } from '../../src/proxy/provision/bundle.js';
import { deliverEnv, ingestEnv } from '../../src/proxy/provision/create.js';
import { isPropagationError, propagation, retryPropagation } from '../../src/proxy/provision/functions.js';
import { wantedMapping } from '../../src/proxy/provision/mapping.js';
import { settleAll } from '../../src/proxy/provision/settle.js';
import type { ProvisionSpec } from '../../src/proxy/provision/types.js';
import { confirm } from '../../src/ui/confirm.js';

const spec = (over: Partial<ProvisionSpec> = {}): ProvisionSpec => ({
  name: 'shop',
  upstream: 'https://app.example.com/hooks',
  concurrency: 4,
  batchSize: 10,
  timeout: 10,
  maxAttempts: 10,
  backoffBase: 5,
  backoffMax: 900,
  retentionDays: 14,
  responseStatus: 200,
  preservePath: false,
  ordered: false,
  vpcSubnets: [],
  vpcSecurityGroups: [],
  memory: 256,
  tags: {},
  accessLogs: true,
  ingestEnv: {},
  ...over,
});
const URL_ = 'https://sqs.eu-west-1.amazonaws.com/123456789012/webhook-proxy-shop';
const DLQ_ = 'https://sqs.eu-west-1.amazonaws.com/123456789012/webhook-proxy-shop-dlq';

describe('function environment', () => {
  it('is what the handlers read back (the contract, end to end)', () => {
    const s = spec({ rate: 40, preservePath: true, maxAttempts: 7 });
    expect(deliverConfigFromEnv(deliverEnv(s, URL_, DLQ_))).toMatchObject({
      upstream: s.upstream,
      preservePath: true,
      timeoutSeconds: 10,
      rate: 40,
      concurrency: 4,
      backoffBase: 5,
      backoffMax: 900,
      maxAttempts: 7,
    });
    expect(ingestConfigFromEnv(ingestEnv(spec({ responseStatus: 202 }), URL_))).toMatchObject({
      responseStatus: 202,
      fifo: false,
    });
  });

  it('carries --adaptive (only when on), --retry-window (the default when not given) and the DLQ', () => {
    const off = deliverEnv(spec(), URL_, DLQ_);
    expect(off).not.toHaveProperty('WP_ADAPTIVE');
    expect(off).toMatchObject({ WP_RETRY_WINDOW: '86400', WP_DLQ_URL: DLQ_ });
    const on = deliverEnv(spec({ adaptive: true, retryWindow: 3600 }), URL_, DLQ_);
    expect(on).toMatchObject({ WP_ADAPTIVE: '1', WP_RETRY_WINDOW: '3600' });
    expect(deliverConfigFromEnv(on)).toMatchObject({ adaptive: true, retryWindowSeconds: 3600 });
    expect(deliverConfigFromEnv(off)).toMatchObject({ adaptive: false, retryWindowSeconds: 86_400 });
  });

  it('unpaced without --rate; an ordered proxy is FIFO and paces as one invocation', () => {
    expect(deliverEnv(spec(), URL_, DLQ_)).not.toHaveProperty('WP_RATE');
    const ordered = spec({ ordered: true, concurrency: 2, rate: 5 });
    expect(deliverEnv(ordered, URL_, DLQ_)).toMatchObject({ WP_CONCURRENCY: '1', WP_RATE: '5' });
    expect(ingestEnv(ordered, URL_)).toMatchObject({ WP_FIFO: '1', WP_QUEUE_URL: URL_ });
    expect(ingestEnv(spec(), URL_)).not.toHaveProperty('WP_FIFO');
  });

  it('carries the handshake/verify settings to ingest only', () => {
    const s = spec({ ingestEnv: { WP_HANDSHAKES: 'slack' } });
    expect(ingestEnv(s, URL_).WP_HANDSHAKES).toBe('slack');
    expect(deliverEnv(s, URL_, DLQ_)).not.toHaveProperty('WP_HANDSHAKES');
  });
});

describe('event source mapping settings', () => {
  it('caps concurrency, reports partial failures, and opens a batching window only above 10', () => {
    expect(wantedMapping({ spec: spec() })).toEqual({
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 0,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 4 },
    });
    expect(wantedMapping({ spec: spec({ batchSize: 11 }) }).MaximumBatchingWindowInSeconds).toBe(1);
  });

  it('sends no batching window for a FIFO queue, and still a cap of at least 2', () => {
    const m = wantedMapping({ spec: spec({ ordered: true, concurrency: 2, batchSize: 10 }) });
    expect(m).not.toHaveProperty('MaximumBatchingWindowInSeconds');
    expect(m.ScalingConfig.MaximumConcurrency).toBe(2);
  });
});

describe('deployment zip', () => {
  const tz = process.env.TZ;
  afterEach(() => {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  });

  it('holds index.mjs, the built bundle, and has the same CodeSha256 in every time zone', () => {
    const hashes = ['UTC', 'America/Los_Angeles', 'Asia/Tokyo', 'Pacific/Kiritimati'].map((zone) => {
      process.env.TZ = zone;
      return handlerZip('deliver').sha256;
    });
    expect(new Set(hashes).size).toBe(1);
    const { zip, sha256 } = handlerZip('ingest');
    expect(sha256).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    const files = unzipSync(zip);
    expect(Object.keys(files)).toEqual(['index.mjs']);
    expect(Buffer.from(files['index.mjs']!).equals(readFileSync(handlerBundlePath('ingest')))).toBe(true);
  });
});

describe('IAM propagation retry', () => {
  const saved = { ...propagation };
  afterEach(() => Object.assign(propagation, saved));
  const notYet = () =>
    new InvalidParameterValueException({
      message: 'The role defined for the function cannot be assumed by Lambda.',
      $metadata: {},
    });

  it('recognises the propagation errors, and only those', () => {
    expect(isPropagationError(notYet())).toBe(true);
    expect(
      isPropagationError(
        new InvalidParameterValueException({
          message: 'The provided execution role does not have permissions to call ReceiveMessage on SQS',
          $metadata: {},
        }),
      ),
    ).toBe(true);
    expect(
      isPropagationError(
        new InvalidParameterValueException({ message: 'Unzipped size too big', $metadata: {} }),
      ),
    ).toBe(false);
    expect(isPropagationError(new Error('The role defined for the function cannot be assumed'))).toBe(false);
  });

  it('retries with growing delays until it passes, and gives up after its attempts', async () => {
    Object.assign(propagation, { attempts: 4, firstDelayMs: 1, maxDelayMs: 4 });
    let calls = 0;
    await expect(
      retryPropagation(async () => {
        if (++calls < 3) throw notYet();
        return 'ok';
      }),
    ).resolves.toBe('ok');
    expect(calls).toBe(3);

    calls = 0;
    await expect(
      retryPropagation(async () => {
        calls++;
        throw notYet();
      }),
    ).rejects.toThrow(/cannot be assumed/);
    expect(calls).toBe(4);

    calls = 0;
    await expect(
      retryPropagation(async () => {
        calls++;
        throw new Error('something else');
      }),
    ).rejects.toThrow('something else');
    expect(calls).toBe(1);
  });

  it('keeps the default schedule near a minute, as IAM can take 5–20 s and sometimes more', () => {
    let total = 0;
    for (let i = 1, d = saved.firstDelayMs; i < saved.attempts; i++, d = Math.min(saved.maxDelayMs, d * 2)) {
      total += d;
    }
    expect(total).toBeGreaterThanOrEqual(30_000);
    expect(total).toBeLessThanOrEqual(90_000);
  });
});

describe('settleAll', () => {
  it('reports a failure only after the steps beside it have finished', async () => {
    let siblingDone = false;
    const sibling = new Promise((r) => setTimeout(r, 30)).then(() => (siblingDone = true));
    await expect(settleAll([Promise.reject(new Error('step failed')), sibling])).rejects.toThrow(
      'step failed',
    );
    expect(siblingDone).toBe(true);
    await expect(settleAll([Promise.resolve(1), Promise.resolve('a')])).resolves.toEqual([1, 'a']);
  });
});

describe('confirm', () => {
  const tty = () => {
    const input = Object.assign(new PassThrough(), { isTTY: true });
    const output = Object.assign(new PassThrough(), { isTTY: true });
    let shown = '';
    output.on('data', (c) => (shown += String(c)));
    return { input, output, shown: () => shown };
  };

  it('without a terminal: undefined, so the caller refuses', async () => {
    const input = new PassThrough();
    const output = Object.assign(new PassThrough(), { isTTY: true });
    expect(await confirm('Delete?', { input, output })).toBeUndefined();
  });

  it.each([
    ['y', true],
    ['yes', true],
    ['YES', true],
    ['n', false],
    ['', false],
    ['yep', false],
  ])('answer %j → %s', async (answer, expected) => {
    const io = tty();
    const asked = confirm('Delete proxy "shop"?', io);
    io.input.write(`${answer}\n`);
    expect(await asked).toBe(expected);
    expect(io.shown()).toContain('Delete proxy "shop"? [y/N] ');
  });

  it('end of input answers no', async () => {
    const io = tty();
    const asked = confirm('Delete?', io);
    io.input.end();
    expect(await asked).toBe(false);
  });
});
