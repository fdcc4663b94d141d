/**
 * The stall detector against moto (issue 15): `status --watch` fires on a queue that does not drain
 * (webhooks received and never deleted, as when every delivery fails) and stays quiet on one that does;
 * a single `status` reads the same verdict from CloudWatch's NumberOfMessagesDeleted minutes; a refresh
 * that fails shows the time of the last good reading.
 *
 * moto differs from AWS: it publishes no AWS/SQS metrics, and it accepts PutMetricData into the AWS/SQS
 * namespace, which AWS refuses ("You cannot specify a namespace that begins with AWS/",
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html). The tests
 * use that to stand in for the points SQS publishes once a minute for an active queue.
 */
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createServer, connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createAws } from '../../src/aws/clients.js';
import { AWS_TIMEOUT_ENV } from '../../src/aws/timeouts.js';
import { resourceNames } from '../../src/proxy/names.js';
import { watchStatus, type WatchedProxy } from '../../src/ui/status-watch.js';
import { TEST_REGION, uniqueName, useMoto } from '../helpers/moto.js';
import { createProxyFixture, fillQueue, runCli } from '../helpers/proxy-fixture.js';

const moto = useMoto();
const sqs = new SQSClient({});

/** Watch in-process, capturing stdout; `each` runs after every refresh (the "deliverer" of the test). */
async function watch(
  names: string[],
  o: {
    refreshes: number;
    each?: (views: WatchedProxy[]) => Promise<void>;
    json?: boolean;
    endpoint?: string;
  },
) {
  const aws = createAws({ region: TEST_REGION, endpoint: o.endpoint ?? moto });
  const seen: (WatchedProxy['status'] | undefined)[][] = [];
  let out = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((c: string | Uint8Array) => ((out += c.toString()), true)) as typeof write;
  try {
    const code = await watchStatus(aws, { json: o.json }, names, 0.2, {
      maxRefreshes: o.refreshes,
      stallAfterSeconds: 1,
      onRefresh: async (views) => {
        seen.push(views.map((v) => v.status));
        await o.each?.(views);
      },
    });
    return { code, out, seen };
  } finally {
    process.stdout.write = write;
  }
}

/** Receive up to n and delete them: what a working deliver does. */
async function deliver(queueUrl: string, n: number) {
  const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: n }));
  for (const m of got.Messages ?? [])
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
}

describe('status --watch: the stall detector', () => {
  it('fires on a queue that does not drain, names the next command with the name and region', async () => {
    const name = uniqueName('stall');
    const f = await createProxyFixture(name, { enabled: true });
    await fillQueue(f.queueUrl, 6);
    // Every attempt fails: received, hidden for its backoff, never deleted.
    const failing = async () => {
      await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: f.queueUrl, MaxNumberOfMessages: 1, VisibilityTimeout: 300 }),
      );
    };
    const r = await watch([name], { refreshes: 12, each: failing });
    expect(r.code).toBe(0);
    const last = r.seen.at(-1)![0]!;
    expect(last.stall).toMatchObject({
      basis: 'readings',
      next: `webhook-proxy logs ${name} --region ${TEST_REGION} --failed`,
    });
    expect(last.stall!.message).toMatch(/^STALLED: 6 webhooks waiting and none has left the queue in \d+s/);
    // The first readings cannot know yet.
    expect(r.seen[0]![0]!.stall).toBeNull();
    const lines = r.out.trim().split('\n');
    expect(lines.at(-1)).toContain(`Next: webhook-proxy logs ${name} --region ${TEST_REGION} --failed`);
  });

  it('stays quiet on a queue that drains, and while paused', async () => {
    const name = uniqueName('flow');
    const f = await createProxyFixture(name, { enabled: true });
    await fillQueue(f.queueUrl, 30);
    const r = await watch([name], { refreshes: 12, each: () => deliver(f.queueUrl, 2) });
    expect(r.seen.map((s) => s[0]!.stall)).toEqual(r.seen.map(() => null));
    expect(r.seen.at(-1)![0]!.queue.visible).toBeLessThan(30);

    const paused = uniqueName('paused');
    const p = await createProxyFixture(paused, { enabled: false });
    await fillQueue(p.queueUrl, 3);
    const q = await watch([paused], { refreshes: 10 });
    expect(q.seen.every((s) => s[0]!.stall === null)).toBe(true);
    expect(q.out).toContain('paused');
  });

  it('watches several proxies at once, each with its own verdict', async () => {
    const a = uniqueName('wa');
    const b = uniqueName('wb');
    const fa = await createProxyFixture(a, { enabled: true });
    const fb = await createProxyFixture(b, { enabled: true });
    await fillQueue(fa.queueUrl, 4);
    await fillQueue(fb.queueUrl, 40);
    const r = await watch([a, b], { refreshes: 12, json: true, each: () => deliver(fb.queueUrl, 2) });
    const last = r.seen.at(-1)!;
    expect(last.map((s) => s!.name)).toEqual([a, b]);
    expect(last[0]!.stall?.next).toBe(`webhook-proxy logs ${a} --region ${TEST_REGION} --failed`);
    expect(last[1]!.stall).toBeNull();
    // --json: one object per proxy and refresh.
    const objs = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(objs).toHaveLength(24);
    expect(new Set(objs.map((o) => o.name))).toEqual(new Set([a, b]));
  });

  it('shows the time of the last good reading when a refresh fails', async () => {
    process.env[AWS_TIMEOUT_ENV] = '0.5';
    const name = uniqueName('fail');
    await createProxyFixture(name, { enabled: false });
    const relay = await tcpRelay(new URL(moto).port);
    try {
      const r = await watch([name], {
        refreshes: 3,
        endpoint: relay.url,
        each: async () => relay.close(),
      });
      const lines = r.out.trim().split('\n');
      expect(lines).toHaveLength(3);
      const firstAt = lines[0]!.slice(11, 19); // the ISO time of the good reading
      expect(lines[1]).toMatch(
        new RegExp(
          `^${name}: refresh failed at \\d\\d:\\d\\d:\\d\\d UTC: .+\\(showing the last good reading, from ${firstAt} UTC \\(\\d+s ago\\)\\)$`,
        ),
      );
    } finally {
      delete process.env[AWS_TIMEOUT_ENV];
      await relay.close();
    }
  });

  it('with --json, a failed refresh is a refresh_failed line with the last good reading (as the README says)', async () => {
    process.env[AWS_TIMEOUT_ENV] = '0.5';
    const name = uniqueName('failjson');
    await createProxyFixture(name, { enabled: false });
    const relay = await tcpRelay(new URL(moto).port);
    try {
      const r = await watch([name], {
        refreshes: 2,
        json: true,
        endpoint: relay.url,
        each: () => relay.close(),
      });
      const [good, failed] = r.out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(good).toMatchObject({ name });
      expect(failed).toMatchObject({ name, error: { code: 'refresh_failed' }, lastGoodAt: good!.at });
      expect(Date.parse(failed!.at as string)).toBeGreaterThanOrEqual(Date.parse(good!.at as string));
    } finally {
      delete process.env[AWS_TIMEOUT_ENV];
      await relay.close();
    }
  });
});

describe('status (one reading): the stall from CloudWatch', () => {
  const cw = new CloudWatchClient({});
  const minutes = (queue: string, values: number[]) =>
    cw.send(
      new PutMetricDataCommand({
        Namespace: 'AWS/SQS',
        MetricData: values.map((v, i) => ({
          MetricName: 'NumberOfMessagesDeleted',
          Dimensions: [{ Name: 'QueueName', Value: queue }],
          // Oldest first, the newest two minutes ago (CloudWatch publishes SQS points late).
          Timestamp: new Date(Date.now() - (values.length - i + 1) * 60_000),
          Value: v,
          Unit: 'Count',
        })),
      }),
    );

  it('says STALLED with the next command when CloudWatch shows minutes with nothing deleted', async () => {
    const name = uniqueName('cws');
    const f = await createProxyFixture(name, { enabled: true });
    await fillQueue(f.queueUrl, 3);
    await minutes(resourceNames(name).queue, [7, 0, 0, 0, 0]);
    const r = await runCli('status', name, '--json');
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.stall).toMatchObject({
      basis: 'cloudwatch',
      next: `webhook-proxy logs ${name} --region ${TEST_REGION} --failed`,
    });
    expect(s.stall.seconds).toBeGreaterThanOrEqual(5 * 60);
    const text = await runCli('status', name);
    expect(text.stdout).toMatch(
      /STALLED +3 webhooks waiting and CloudWatch shows none delivered in the last \d+m/,
    );
    expect(text.stdout).toContain(`next       webhook-proxy logs ${name} --region ${TEST_REGION} --failed`);
  });

  it('stays quiet when CloudWatch shows deliveries, or has no data (moto), or delivery is paused', async () => {
    const flowing = uniqueName('cwf');
    const f = await createProxyFixture(flowing, { enabled: true });
    await fillQueue(f.queueUrl, 3);
    await minutes(resourceNames(flowing).queue, [0, 0, 0, 5]);
    expect(JSON.parse((await runCli('status', flowing, '--json')).stdout).stall).toBeNull();

    const unknown = uniqueName('cwu');
    const u = await createProxyFixture(unknown, { enabled: true });
    await fillQueue(u.queueUrl, 3);
    expect(JSON.parse((await runCli('status', unknown, '--json')).stdout).stall).toBeNull();

    const paused = uniqueName('cwp');
    const p = await createProxyFixture(paused, { enabled: false });
    await fillQueue(p.queueUrl, 3);
    await minutes(resourceNames(paused).queue, [0, 0, 0, 0, 0]);
    const ps = await runCli('status', paused);
    expect(ps.stdout).not.toContain('STALLED');
    expect(ps.stdout).toContain(`"webhook-proxy resume ${paused} --region ${TEST_REGION}" restarts delivery`);
  });
});

/** A TCP relay to moto that can be shut: afterwards every connection to it is refused. */
async function tcpRelay(port: string) {
  const sockets = new Set<Socket>();
  const srv = createServer((client) => {
    const upstream = connect(Number(port), '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${(srv.address() as { port: number }).port}`,
    close: () =>
      (closed ??= new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      })),
  };
}

afterEach(() => {
  delete process.env[AWS_TIMEOUT_ENV];
});
