/**
 * status and list against moto: the numbers match the queues exactly, paused delivery shows plainly,
 * an unknown proxy is exit 1 naming it and the region, secrets in the ingest env are never printed.
 */
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { createAws } from '../../src/aws/clients.js';
import { inspectProxy } from '../../src/proxy/inspect.js';
import { TEST_REGION, uniqueName, useMoto } from '../helpers/moto.js';
import { counts, createProxyFixture, fillQueue, runCli } from '../helpers/proxy-fixture.js';

const endpoint = useMoto();
const sqs = new SQSClient({});

describe('status', () => {
  it('reports exactly what the queues hold, and paused delivery', async () => {
    const name = uniqueName('st');
    const f = await createProxyFixture(name, {
      enabled: false,
      concurrency: 7,
      rate: 25,
      ingestEnv: { WP_VERIFY: 'github:SUPERSECRETVALUE' },
    });
    await fillQueue(f.queueUrl, 13);
    await fillQueue(f.dlqUrl, 4);
    // Two messages in flight: received with a long visibility timeout.
    await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: f.queueUrl, MaxNumberOfMessages: 2, VisibilityTimeout: 600 }),
    );
    const truth = await counts(f.queueUrl);
    expect(truth.visible + truth.inFlight).toBe(13);

    const r = await runCli('status', name, '--json');
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({
      name,
      endpoint: f.endpoint,
      upstream: 'https://app.example.com/webhooks',
      delivery: { state: 'paused', concurrency: 7, rate: 25 },
      queue: { visible: truth.visible, inFlight: truth.inFlight, delayed: 0 },
      dlq: { visible: 4 },
    });
    expect(truth.inFlight).toBe(2);
    // moto has no CloudWatch data for SQS: the age is unknown, and status still answers.
    expect(s.queue.oldestAgeSeconds).toBeNull();
    expect(r.stdout + r.stderr).not.toContain('SUPERSECRETVALUE');

    const text = await runCli('status', name);
    expect(text.stdout).toContain('PAUSED');
    expect(text.stdout).toContain('11 waiting, 2 in flight, 0 delayed');
    expect(text.stdout).toContain('oldest unknown');
    expect(text.stdout).not.toContain('SUPERSECRETVALUE');
  });

  it('shows an ordered proxy as one at a time', async () => {
    const name = uniqueName('sto');
    await createProxyFixture(name, { ordered: true });
    const s = await inspectProxy(createAws({ region: TEST_REGION, endpoint }), name);
    expect(s).toMatchObject({ ordered: true, delivery: { state: 'enabled', concurrency: 1, rate: null } });
  });

  it('flags an incomplete proxy instead of failing', async () => {
    const name = uniqueName('sti');
    await createProxyFixture(name, { without: ['mapping', 'api'] });
    const r = await runCli('status', name, '--json');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.delivery.state).toBe('missing');
    expect(s.missing).toEqual(['mapping', 'api']);
  });

  it('exits 1 naming the proxy and the region when it does not exist', async () => {
    const name = uniqueName('nope');
    for (const verb of ['status', 'pause', 'resume', 'scale']) {
      const args = verb === 'scale' ? [verb, name, '--concurrency', '3'] : [verb, name];
      const r = await runCli(...args);
      expect(r.code, verb).toBe(1);
      expect(r.stderr).toContain(`No webhook proxy named "${name}" in ${TEST_REGION}`);
      expect(r.stdout).toBe('');
    }
  });

  it('refuses a bad name with exit 2', async () => {
    const r = await runCli('status', 'Bad_Name');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not a valid proxy name');
  });
});

describe('list', () => {
  it('lists proxies with their depth and state', async () => {
    const a = uniqueName('lsa');
    const b = uniqueName('lsb');
    const fa = await createProxyFixture(a, { enabled: false });
    await createProxyFixture(b);
    await fillQueue(fa.queueUrl, 3);
    await fillQueue(fa.dlqUrl, 1);
    const r = await runCli('list', '--json');
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as { name: string }[];
    expect(rows.find((x) => x.name === a)).toEqual({
      name: a,
      endpoint: fa.endpoint,
      customUrl: null,
      upstream: 'https://app.example.com/webhooks',
      queued: 3,
      dlq: 1,
      state: 'paused',
    });
    expect(rows.find((x) => x.name === b)).toMatchObject({ queued: 0, dlq: 0, state: 'enabled' });
    const text = await runCli('list');
    expect(text.stdout).toMatch(/^NAME\s+STATE\s+QUEUED\s+DLQ\s+ENDPOINT\s+UPSTREAM/);
    expect(text.stdout).toContain(a);

    // Without a name and with several proxies, status shows them all.
    const all = await runCli('status', '--json');
    expect(all.code).toBe(0);
    const many = JSON.parse(all.stdout) as { name: string }[];
    expect(many.map((s) => s.name)).toEqual(expect.arrayContaining([a, b]));
  });
});

describe('status --watch without a terminal', () => {
  it('prints one line per refresh (plain) or one JSON object per line (--json)', async () => {
    const name = uniqueName('stw');
    const f = await createProxyFixture(name, { enabled: false });
    await fillQueue(f.queueUrl, 6);
    const { watchStatus } = await import('../../src/ui/status-watch.js');
    const aws = createAws({ region: TEST_REGION, endpoint });
    const capture = async (json: boolean) => {
      let out = '';
      const write = process.stdout.write.bind(process.stdout);
      process.stdout.write = ((c: string | Uint8Array) => ((out += c.toString()), true)) as typeof write;
      try {
        await watchStatus(aws, { json }, name, 0.2, { maxRefreshes: 3 });
      } finally {
        process.stdout.write = write;
      }
      return out.trim().split('\n');
    };
    const plain = await capture(false);
    expect(plain).toHaveLength(3);
    expect(plain[2]).toContain(`${name} paused waiting=6 inFlight=0 delayed=0 dlq=0`);
    const json = (await capture(true)).map((l) => JSON.parse(l));
    expect(json).toHaveLength(3);
    expect(json[0]).toMatchObject({ name, queue: { visible: 6 }, delivery: { state: 'paused' } });
  });
});
