/**
 * Finding a proxy's queues by ListQueues in an account with more than 1,000 queues of its prefix.
 * AWS: SQS Developer Guide, "Amazon SQS list queue pagination": without MaxResults "the response
 * includes a maximum of 1,000 results and the NextToken value in the response is null"; with it, a
 * NextToken while more remain. moto ignores MaxResults and NextToken (it returns the first 1,000), so
 * ListQueues answers as AWS does for such an account: 1,000 other queues first, ours on page 2.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { createAws } from '../../src/aws/clients.js';
import { locateProxy } from '../../src/proxy/locate.js';
import { TEST_REGION, uniqueName, useMoto } from '../helpers/moto.js';
import { inject, undoAll, type Restore } from '../helpers/provision.js';
import { createProxyFixture } from '../helpers/proxy-fixture.js';

const endpoint = useMoto();
const restore: Restore = [];
const saved = { cache: process.env.WEBHOOK_PROXY_CACHE_DIR, account: process.env.AWS_ACCOUNT_ID };
afterEach(() => {
  undoAll(restore);
  process.env.WEBHOOK_PROXY_CACHE_DIR = saved.cache;
  if (saved.account !== undefined) process.env.AWS_ACCOUNT_ID = saved.account;
});

describe('ListQueues with more than 1,000 matching queues', () => {
  it('pages with MaxResults and NextToken until it finds the queues', async () => {
    const name = uniqueName('page');
    const f = await createProxyFixture(name);
    // The account is not known without a call, so the queues are found through ListQueues.
    process.env.WEBHOOK_PROXY_CACHE_DIR = mkdtempSync(join(tmpdir(), 'wp-cache-'));
    delete process.env.AWS_ACCOUNT_ID;
    // A client set of its own (a distinct settings key), so the stub touches no other test's clients.
    const aws = createAws({ region: TEST_REGION, endpoint: `${endpoint}/` });
    const prefix = `webhook-proxy-${name}`;
    const others = Array.from(
      { length: 1000 },
      (_, i) => `${endpoint}/123456789012/${prefix}-other-${String(i).padStart(4, '0')}`,
    );
    const asked: { MaxResults?: number; NextToken?: string }[] = [];
    inject(
      await aws.sqs(),
      (cmd) => {
        if (!(cmd instanceof ListQueuesCommand)) return undefined;
        const { MaxResults, NextToken } = cmd.input;
        asked.push({ MaxResults, NextToken });
        if (MaxResults === undefined) return { QueueUrls: others }; // AWS: the first 1,000, no NextToken
        if (NextToken === undefined) return { QueueUrls: others.slice(0, MaxResults), NextToken: 'p2' };
        return undefined; // page 2: moto's answer, which holds the proxy's two queues
      },
      restore,
    );
    const p = await locateProxy(aws, name);
    expect(p.queue?.url).toBe(f.queueUrl);
    expect(p.dlq?.url).toBe(f.dlqUrl);
    expect(asked).toEqual([
      { MaxResults: 1000, NextToken: undefined },
      { MaxResults: 1000, NextToken: 'p2' },
    ]);
  });
});
