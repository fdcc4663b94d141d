/**
 * status is one parallel round when the account id is known without a call (credentials that carry
 * it, or the account cache filled by an earlier run), and at most two otherwise. Every SDK call is
 * recorded by a middleware on the clients; a call's depth is how many calls had answered before it
 * started.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GetQueueAttributesCommand, QueueDoesNotExist } from '@aws-sdk/client-sqs';
import { createAws, type Aws } from '../../src/aws/clients.js';
import { inspectProxy } from '../../src/proxy/inspect.js';
import { TEST_REGION, uniqueName, useMoto } from '../helpers/moto.js';
import { inject, recordCallLog, undoAll, type Restore } from '../helpers/provision.js';
import { createProxyFixture } from '../helpers/proxy-fixture.js';

const endpoint = useMoto();

const saved = { cache: process.env.WEBHOOK_PROXY_CACHE_DIR, account: process.env.AWS_ACCOUNT_ID };
afterEach(() => {
  process.env.WEBHOOK_PROXY_CACHE_DIR = saved.cache;
  if (saved.account === undefined) delete process.env.AWS_ACCOUNT_ID;
  else process.env.AWS_ACCOUNT_ID = saved.account;
});

const restore: Restore = [];
afterEach(() => undoAll(restore));

let variant = 0;
/** status of `name` with a fresh client set (a distinct settings key), recording every call. */
async function recordStatus(name: string, prepare?: (aws: Aws) => Promise<void>) {
  const aws = createAws({ region: TEST_REGION, endpoint: `${endpoint}${'/'.repeat(++variant)}` });
  await prepare?.(aws);
  const { calls, finished: finishedNames } = await recordCallLog(restore, {
    aws,
    clients: ['sqs', 'lambda', 'apigw', 'cloudwatch'],
  });
  const s = await inspectProxy(aws, name);
  return { s, calls, finishedNames };
}

const freshCache = () => {
  process.env.WEBHOOK_PROXY_CACHE_DIR = mkdtempSync(join(tmpdir(), 'wp-cache-'));
};

describe('status API calls', () => {
  it('account unknown: 9 calls, the 2 queue reads after ListQueues; the next status is one round', async () => {
    const name = uniqueName('calls');
    await createProxyFixture(name);
    freshCache();
    delete process.env.AWS_ACCOUNT_ID;
    const first = await recordStatus(name);
    expect(first.s.name).toBe(name);
    expect(first.calls.map((c) => c.command).sort()).toEqual(
      [
        'DescribeAlarms',
        'GetApis',
        'GetDomainNames',
        'GetFunctionConfiguration',
        'GetMetricData',
        'GetQueueAttributes',
        'GetQueueAttributes',
        'ListEventSourceMappings',
        'ListQueues',
      ].sort(),
    );
    const depth1 = first.calls.filter((c) => c.startedAfter === 0).map((c) => c.command);
    expect(depth1).toHaveLength(7);
    expect(depth1).not.toContain('GetQueueAttributes');
    for (const c of first.calls.filter((x) => x.command === 'GetQueueAttributes')) {
      expect(first.finishedNames.slice(0, c.startedAfter)).toContain('ListQueues');
    }

    // The queue's ARN filled the account cache: the same credentials now read the queues at once.
    const next = await recordStatus(name);
    expect(next.calls.every((c) => c.startedAfter === 0)).toBe(true);
    expect(next.calls.map((c) => c.command)).not.toContain('ListQueues');
    expect(next.s.queue).toEqual(first.s.queue);
    expect(next.s.dlq).toEqual(first.s.dlq);
  });

  it('account in the credentials (AWS_ACCOUNT_ID): one round of 10 calls; the other kind is absent', async () => {
    const name = uniqueName('calls1');
    await createProxyFixture(name);
    process.env.WEBHOOK_PROXY_CACHE_DIR = ''; // no cache: the credentials alone
    process.env.AWS_ACCOUNT_ID = '123456789012'; // moto's account
    const { s, calls } = await recordStatus(name);
    expect(calls.every((c) => c.startedAfter === 0)).toBe(true);
    const reads = calls.filter((c) => c.command === 'GetQueueAttributes');
    // Standard and FIFO candidates for the queue and the DLQ: the two .fifo ones do not exist.
    expect(reads).toHaveLength(4);
    expect(reads.filter((c) => c.failed)).toHaveLength(2);
    expect(calls).toHaveLength(10);
    expect(s.queue).toMatchObject({ visible: 0, inFlight: 0, delayed: 0 });
    expect(s.ordered).toBe(false);
  });

  it('finds an ordered proxy the same way', async () => {
    const name = uniqueName('callsf');
    await createProxyFixture(name, { ordered: true });
    process.env.WEBHOOK_PROXY_CACHE_DIR = '';
    process.env.AWS_ACCOUNT_ID = '123456789012';
    const { s, calls } = await recordStatus(name);
    expect(calls.every((c) => c.startedAfter === 0)).toBe(true);
    expect(s.ordered).toBe(true);
  });
});

describe('an account id that is not the queues’ own', () => {
  it('falls back to ListQueues and still finds them', async () => {
    const name = uniqueName('callsx');
    await createProxyFixture(name);
    process.env.WEBHOOK_PROXY_CACHE_DIR = '';
    process.env.AWS_ACCOUNT_ID = '000011112222'; // wrong: moto's account is 123456789012
    // AWS answers QueueDoesNotExist for a URL under another account (AccessDenied if that account has
    // such a queue); moto ignores the account in the URL, so the answer is injected.
    const { s, calls } = await recordStatus(name, async (aws) => {
      inject(
        await aws.sqs(),
        (cmd) => {
          if (cmd instanceof GetQueueAttributesCommand && cmd.input.QueueUrl?.includes('/000011112222/')) {
            throw new QueueDoesNotExist({ message: 'The specified queue does not exist.', $metadata: {} });
          }
        },
        restore,
      );
    });
    expect(calls.map((c) => c.command)).toContain('ListQueues');
    expect(s.queue).toMatchObject({ visible: 0 });
    expect(s.dlq).toEqual({ visible: 0 });
  });
});
