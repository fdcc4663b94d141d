/**
 * Issue 14 on AWS, against moto: `create --adaptive` / `--no-adaptive` / `--retry-window` are proxy
 * settings (kept on a re-run without the flag, shown before → after, --dry-run changes nothing),
 * `scale --adaptive` / `--no-adaptive` turns it on and off live, `status` says whether it is on, and
 * deliver gets what its outage design needs: WP_DLQ_URL, and a role that lets it send there itself and
 * (standard queues) queue held webhooks again. The last part runs deliver in-process with the very
 * environment create wrote, records its own SQS calls, and judges them with the IAM simulator against
 * the role policy create rendered (test/helpers/iam-policy.ts).
 *
 * moto notes: moto invokes the function when a message lands on a queue whose mapping is enabled, so
 * delivery is paused before the test puts messages in a queue and receives them itself, as the event
 * source mapping would. moto does not evaluate IAM, hence the simulator.
 */
import { GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
} from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeEnvelope, encodeEnvelope } from '../../src/envelope.js';
import {
  createDeliverHandler,
  deliverConfigFromEnv,
  type DeliveryEvent,
} from '../../src/handlers/deliver.js';
import { ENV } from '../../src/handlers/ports.js';
import { createSqsClient, createSqsQueuePort, DELIVER_SQS_LIMITS } from '../../src/handlers/sqs-port.js';
import { resourceNames } from '../../src/proxy/names.js';
import { sqsEvent, sqsRecord } from '../helpers/events.js';
import { judge, permissionsFor, type PolicyDoc } from '../helpers/iam-policy.js';
import { startRecording, stopRecording } from '../helpers/iam-record.js';
import { TEST_REGION, uniqueName, useMoto } from '../helpers/moto.js';
import { closedPort } from '../helpers/net.js';
import { describeProxy, recordCalls, sdk, undoAll, writes, type Restore } from '../helpers/provision.js';
import { testEnvelope } from '../helpers/proxy-fixture.js';
import { runCli } from '../helpers/cli.js';
import { startUpstream } from '../helpers/upstream.js';

useMoto();
const ACCOUNT = '123456789012'; // moto's
const U = 'https://app.example.com/hooks';
const U2 = 'https://new.example.com/hooks';

const restore: Restore = [];
afterAll(() => undoAll(restore));

const json = (r: { stdout: string }) => JSON.parse(r.stdout);

async function deliverEnv(name: string, ordered = false) {
  const fn = await sdk().lambda.send(
    new GetFunctionConfigurationCommand({ FunctionName: resourceNames(name, { ordered }).deliverFunction }),
  );
  return fn.Environment?.Variables ?? {};
}

async function ok(...args: string[]) {
  const r = await runCli(...args);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
}

describe('create --adaptive and --retry-window are settings a re-run keeps', () => {
  const name = uniqueName('adapt');

  it('create --adaptive --retry-window sets deliver’s environment, with the DLQ it dead-letters to', async () => {
    const r = await ok('create', name, '--upstream', U, '--adaptive', '--retry-window', '3600', '--json');
    const d = await describeProxy(name);
    const env = d.functions.deliver.config.Environment?.Variables ?? {};
    expect(env).toMatchObject({
      [ENV.adaptive]: '1',
      [ENV.retryWindow]: '3600',
      [ENV.dlqUrl]: d.dlq.url,
    });
    expect(json(r).dlqUrl).toBe(d.dlq.url);
    // What deliver reads back from it.
    expect(deliverConfigFromEnv(env)).toMatchObject({ adaptive: true, retryWindowSeconds: 3600 });
    // deliver decides the DLQ itself; the redrive policy stays the net at --max-attempts receives
    // (deliver counts every receive of a copy, so it always decides first: src/handlers/deliver.ts).
    expect(JSON.parse(d.queue.attributes.RedrivePolicy!)).toEqual({
      deadLetterTargetArn: d.dlq.attributes.QueueArn,
      maxReceiveCount: 10,
    });
  });

  it('a re-run without the flags keeps both (and lists only what changed)', async () => {
    const r = await ok('create', name, '--upstream', U2, '--json');
    expect(json(r).settings).toEqual([{ setting: 'upstream', before: U, after: U2 }]);
    expect(await deliverEnv(name)).toMatchObject({ [ENV.adaptive]: '1', [ENV.retryWindow]: '3600' });

    // Nothing given at all: nothing is written.
    const calls = await recordCalls(restore);
    const again = await ok('create', name, '--json');
    expect(json(again).settings).toEqual([]);
    expect(writes(calls)).toEqual([]);
  });

  it('--dry-run shows --no-adaptive and a new --retry-window as before → after, and changes nothing', async () => {
    const before = await deliverEnv(name);
    const args = ['create', name, '--no-adaptive', '--retry-window', '7200', '--dry-run'];
    const r = await ok(...args, '--json');
    expect(json(r).settings).toEqual([
      { setting: 'adaptive', before: 'on', after: 'off' },
      { setting: 'retry-window', before: '3600 s (1 h)', after: '7200 s (2 h)' },
    ]);
    const plain = await ok(...args);
    expect(plain.stdout).toMatch(/adaptive\s+on → off/);
    expect(plain.stdout).toMatch(/retry-window\s+3600 s \(1 h\) → 7200 s \(2 h\)/);
    expect(await deliverEnv(name)).toEqual(before);
  });

  it('--no-adaptive removes it; the retry window is kept', async () => {
    const r = await ok('create', name, '--no-adaptive', '--json');
    expect(json(r).settings).toEqual([{ setting: 'adaptive', before: 'on', after: 'off' }]);
    const env = await deliverEnv(name);
    expect(env).not.toHaveProperty(ENV.adaptive);
    expect(env).toMatchObject({ [ENV.retryWindow]: '3600', [ENV.upstream]: U2 });
  });

  it('a new proxy without the flags: adaptive off, the 24-hour window', async () => {
    const other = uniqueName('adapt-default');
    await ok('create', other, '--upstream', U);
    const env = await deliverEnv(other);
    expect(env).not.toHaveProperty(ENV.adaptive);
    expect(env[ENV.retryWindow]).toBe('86400');
    await ok('destroy', other, '--yes');
  });

  it('scale --adaptive / --no-adaptive turns it on and off live, keeping the rest; status shows it', async () => {
    await ok('scale', name, '--rate', '7');
    const on = await ok('scale', name, '--adaptive', '--json');
    expect(json(on).delivery).toMatchObject({ adaptive: true, rate: 7 });
    expect(json(on).changed).toEqual(['function']);
    const env = await deliverEnv(name);
    expect(env).toMatchObject({
      [ENV.adaptive]: '1',
      [ENV.rate]: '7',
      [ENV.retryWindow]: '3600',
      [ENV.upstream]: U2,
    });
    expect(env[ENV.dlqUrl]).toMatch(/-dlq$/);
    const status = await ok('status', name, '--json');
    expect(json(status).delivery.adaptive).toBe(true);
    expect((await ok('status', name)).stdout).toMatch(/at most 7\/s, adaptive \(ceilings\)/);
    // create afterwards keeps what scale set.
    await ok('create', name);
    expect((await deliverEnv(name))[ENV.adaptive]).toBe('1');

    const off = await ok('scale', name, '--no-adaptive', '--json');
    expect(json(off).delivery.adaptive).toBe(false);
    expect(await deliverEnv(name)).not.toHaveProperty(ENV.adaptive);
    expect(json(await ok('status', name, '--json')).delivery.adaptive).toBe(false);
    expect((await ok('status', name)).stdout).not.toMatch(/adaptive/);
    // Already off: nothing to change.
    expect(json(await ok('scale', name, '--no-adaptive', '--json')).changed).toEqual([]);
  });

  it('scale with no flag at all says what it takes', async () => {
    const r = await runCli('scale', name);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--adaptive/);
  });

  afterAll(async () => {
    await runCli('destroy', name, '--yes', '--force');
  });
});

// ---------------------------------------------------------------------------------------------------

/** Receive what is in the queue now, as the event source mapping would (with the receive count). */
async function receive(queueUrl: string, expected: number): Promise<Message[]> {
  const got: Message[] = [];
  for (let i = 0; i < 20 && got.length < expected; i++) {
    const out = await sdk().sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ['All'],
        WaitTimeSeconds: 1,
      }),
    );
    got.push(...(out.Messages ?? []));
  }
  return got;
}

/**
 * deliver, in-process, with the environment create wrote (its queue, its DLQ, its settings) and the
 * SQS client the Lambda entry point builds (source 'handler' in the call recorder); then what the
 * mapping does with its answer: delete every message not reported as failed.
 */
async function runDeliver(env: Record<string, string>, messages: Message[]) {
  const events: DeliveryEvent[] = [];
  const queueUrl = env[ENV.queueUrl]!;
  const client = await createSqsClient(DELIVER_SQS_LIMITS);
  const deliver = createDeliverHandler({
    queue: await createSqsQueuePort(queueUrl, client, DELIVER_SQS_LIMITS, env[ENV.dlqUrl]),
    config: deliverConfigFromEnv(env),
    log: (e) => events.push(e),
  });
  const records = messages.map((m) => ({
    ...sqsRecord(m.Body!, {
      attempt: Number(m.Attributes?.ApproximateReceiveCount ?? 1),
      messageId: m.MessageId,
      ...(m.Attributes?.MessageGroupId ? { groupId: m.Attributes.MessageGroupId } : {}),
    }),
    receiptHandle: m.ReceiptHandle!,
  }));
  const res = await deliver(sqsEvent(records));
  const failed = new Set(res.batchItemFailures.map((f) => f.itemIdentifier));
  const done = messages.filter((m) => !failed.has(m.MessageId!));
  if (done.length) {
    await sdk().sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
  }
  return events;
}

describe("deliver's own sends are what its role allows (the IAM simulator, on its recorded calls)", () => {
  const plain = uniqueName('adapt-iam');
  const ordered = uniqueName('adapt-iam-fifo');

  /** deliver's recorded SQS calls, as the IAM actions on the ARNs AWS checks, judged by its role. */
  async function judgeDeliver(name: string, o: { ordered: boolean }, run: () => Promise<unknown>) {
    const recording = startRecording();
    try {
      await run();
    } finally {
      stopRecording();
    }
    const own = recording.filter((c) => c.source === 'handler');
    const permissions = own.flatMap((c) => permissionsFor(c, ACCOUNT, TEST_REGION, new Map()));
    const d = await describeProxy(name, o);
    const role = `arn:aws:iam::${ACCOUNT}:role/${d.names.deliverRole}`;
    const judged = await judge(d.roles.deliver.policies[0] as PolicyDoc, role, ACCOUNT, permissions);
    return {
      d,
      used: [...new Set(permissions.map((p) => `${p.action} ${p.resource.split(':').pop()}`))].sort(),
      denied: judged.filter((j) => !j.allowed).map((j) => `${j.permission.action} ${j.permission.resource}`),
    };
  }

  it('a standard proxy: deliver dead-letters a "never" answer itself and re-queues webhooks held through an outage', async () => {
    const app = await startUpstream((_req, res) => {
      res.statusCode = 404;
      res.end('no such route');
    });
    try {
      await ok('create', plain, '--upstream', app.url, '--max-attempts', '5');
      await ok('pause', plain); // moto would take the messages itself
      const env = await deliverEnv(plain);
      const n = resourceNames(plain);
      const { d, used, denied } = await judgeDeliver(plain, { ordered: false }, async () => {
        // A webhook on its third attempt answered 404: "never", so deliver moves it to the DLQ.
        const e = testEnvelope({ attempts: 2 });
        await sdk().sqs.send(
          new SendMessageCommand({ QueueUrl: env[ENV.queueUrl], MessageBody: encodeEnvelope(e) }),
        );
        const events = await runDeliver(env, await receive(env[ENV.queueUrl]!, 1));
        expect(events.map((x) => x.event)).toEqual(['failed', 'dead-lettered']);
        // A first attempt answered 404: retried later, hidden with its backoff.
        await sdk().sqs.send(
          new SendMessageCommand({
            QueueUrl: env[ENV.queueUrl],
            MessageBody: encodeEnvelope(testEnvelope()),
          }),
        );
        const retried = await runDeliver(env, await receive(env[ENV.queueUrl]!, 1));
        expect(retried.map((x) => x.event)).toEqual(['failed']);

        // The upstream down (connection refused), on a fresh container: no evidence that it serves,
        // so nothing counts and every webhook is held (src/handlers/control/outage.ts).
        const down = { ...env, [ENV.upstream]: `http://127.0.0.1:${await closedPort()}/hooks` };
        for (let i = 0; i < 7; i++) {
          await sdk().sqs.send(
            new SendMessageCommand({
              QueueUrl: env[ENV.queueUrl],
              MessageBody: encodeEnvelope(testEnvelope()),
            }),
          );
        }
        const held = await runDeliver(down, await receive(env[ENV.queueUrl]!, 7));
        expect(held.filter((x) => x.event === 'held')).toHaveLength(7);
      });
      expect(denied).toEqual([]);
      expect(used).toEqual(
        [
          `sqs:ChangeMessageVisibility ${n.queue}`,
          `sqs:SendMessage ${n.dlq}`,
          `sqs:SendMessage ${n.queue}`,
        ].sort(),
      );
      // The webhook itself reached the DLQ, unchanged but for nothing: the same envelope.
      const dead = await receive(d.dlq.url, 1);
      expect(dead).toHaveLength(1);
      expect(decodeEnvelope(dead[0]!.Body!).attempts).toBe(2);
    } finally {
      await app.close();
    }
  });

  it("an ordered proxy: deliver's DLQ send reaches the FIFO DLQ, and its role has no send on its queue", async () => {
    const app = await startUpstream((_req, res) => {
      res.statusCode = 410;
      res.end('gone');
    });
    try {
      await ok('create', ordered, '--upstream', app.url, '--ordered');
      await ok('pause', ordered);
      const env = await deliverEnv(ordered, true);
      const n = resourceNames(ordered, { ordered: true });
      expect(env[ENV.dlqUrl]).toMatch(/-dlq\.fifo$/);
      const { d, used, denied } = await judgeDeliver(ordered, { ordered: true }, async () => {
        const e = testEnvelope({ attempts: 2 });
        await sdk().sqs.send(
          new SendMessageCommand({
            QueueUrl: env[ENV.queueUrl],
            MessageBody: encodeEnvelope(e),
            MessageGroupId: 'webhooks',
            MessageDeduplicationId: e.id,
          }),
        );
        const events = await runDeliver(env, await receive(env[ENV.queueUrl]!, 1));
        expect(events.map((x) => x.event)).toEqual(['failed', 'dead-lettered']);
      });
      expect(denied).toEqual([]);
      expect(used).toEqual([`sqs:SendMessage ${n.dlq}`]);
      expect(await receive(d.dlq.url, 1)).toHaveLength(1);
      // Least privilege: an ordered proxy holds by hiding, so deliver may not send to its own queue.
      const role = `arn:aws:iam::${ACCOUNT}:role/${n.deliverRole}`;
      const queueArn = d.queue.attributes.QueueArn!;
      const [send] = await judge(d.roles.deliver.policies[0] as PolicyDoc, role, ACCOUNT, [
        { from: 'deliver', action: 'sqs:SendMessage', resource: queueArn },
      ]);
      expect(send!.allowed).toBe(false);
    } finally {
      await app.close();
    }
  });

  afterAll(async () => {
    for (const name of [plain, ordered]) await runCli('destroy', name, '--yes', '--force');
  });
});
