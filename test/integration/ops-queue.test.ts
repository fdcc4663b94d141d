/**
 * peek, purge, drain and redrive against moto, checked through the SDK.
 */
import {
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { decodeEnvelope } from '../../src/envelope.js';
import { TEST_REGION, uniqueName, useMoto } from '../helpers/moto.js';
import { counts, createProxyFixture, fillQueue, runCli, testEnvelope } from '../helpers/proxy-fixture.js';
import { encodeEnvelope } from '../../src/envelope.js';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { cliAws, inject, recordCalls, undoAll, type Restore } from '../helpers/provision.js';

useMoto();
const sqs = new SQSClient({});

async function receiveAll(queueUrl: string) {
  const out = [];
  for (let i = 0; i < 20; i++) {
    const r = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 600,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (!r.Messages?.length) break;
    out.push(...r.Messages);
  }
  return out;
}

describe('peek', () => {
  it('shows envelopes without consuming them', async () => {
    const name = uniqueName('pk');
    const f = await createProxyFixture(name, { enabled: false });
    const ids = await fillQueue(f.queueUrl, 12);
    const bin = testEnvelope({ bodyBytes: Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80]) });
    await sqs.send(new SendMessageCommand({ QueueUrl: f.queueUrl, MessageBody: encodeEnvelope(bin) }));
    await sqs.send(new SendMessageCommand({ QueueUrl: f.queueUrl, MessageBody: 'not an envelope' }));

    const r = await runCli('peek', name, '--limit', '50', '--json');
    expect(r.code, r.stderr).toBe(0);
    const list = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(list).toHaveLength(14);
    const shown = new Set(list.map((m) => m.id));
    for (const id of [...ids, bin.id]) expect(shown.has(id), id).toBe(true);
    const one = list.find((m) => m.id === ids[0])!;
    expect(one).toMatchObject({
      method: 'POST',
      path: '/hooks/stripe',
      headers: { 'content-type': 'application/json' },
      bodyPreview: '{"type":"invoice.paid","id":"evt_1"}',
      attempts: 1,
    });
    expect(list.find((m) => m.id === bin.id)!.bodyPreview).toBe('<binary, 5 bytes>');
    expect(list.some((m) => typeof m.error === 'string' && m.bodyPreview === 'not an envelope')).toBe(true);
    // The warning that a peek is a receive: with --json a JSON line on stderr, not plain text.
    expect(
      r.stderr
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toContainEqual({
      warning: { code: 'peek_counts_as_receive', message: expect.stringMatching(/^Peeking counts/) },
    });

    // Still all there, visible: receive them right after.
    expect(await counts(f.queueUrl)).toEqual({ visible: 14, inFlight: 0, delayed: 0 });
    expect(await receiveAll(f.queueUrl)).toHaveLength(14);
  });

  it('--dlq peeks the dead-letter queue, --limit caps, and text output reads well', async () => {
    const name = uniqueName('pkd');
    const f = await createProxyFixture(name, { enabled: false });
    await fillQueue(f.dlqUrl, 5);
    const r = await runCli('peek', name, '--dlq', '--limit', '3', '--json');
    expect(JSON.parse(r.stdout)).toHaveLength(3);
    // The visibility-0 path (≤ 10): nothing hidden, even for a moment.
    expect(await counts(f.dlqUrl)).toEqual({ visible: 5, inFlight: 0, delayed: 0 });
    const t = await runCli('peek', name, '--dlq');
    expect(t.code).toBe(0);
    expect(t.stdout).toContain('POST /hooks/stripe');
    expect(t.stdout).toContain('stripe-signature: t=1,v1=abc');
    const empty = await runCli('peek', name);
    expect(empty.stdout).toContain('No messages visible in the queue.');
  });
});

describe('peek and the last attempt', () => {
  // The fixture's redrive policy: maxReceiveCount 10 (= --max-attempts). SQS (and moto) moves a
  // message whose receive count is already 10 to the DLQ on the next receive, instead of returning it.
  const MAX = 10;
  const receiveOnce = async (queueUrl: string) =>
    (
      await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 0,
          MessageSystemAttributeNames: ['All'],
        }),
      )
    ).Messages ?? [];

  it('a webhook waiting for its last attempt still gets it after a peek (not dead-lettered untried)', async () => {
    const name = uniqueName('pklast');
    const f = await createProxyFixture(name, { enabled: false });
    const [id] = await fillQueue(f.queueUrl, 1);
    // Nine failed attempts, as deliver's receives (handed back at once).
    for (let i = 0; i < MAX - 1; i++) expect(await receiveOnce(f.queueUrl)).toHaveLength(1);

    const r = await runCli('peek', name);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(id);
    expect(r.stderr).toMatch(/1 webhook waiting for its last attempt was queued again/);
    expect(r.stderr).toMatch(/^warning: Peeking counts as a receive/m);

    // deliver's next receive gets it, and counts it as attempt 10 (envelope attempts + receive count).
    const got = await receiveOnce(f.queueUrl);
    expect(got, 'moved to the DLQ by the peek').toHaveLength(1);
    const e = decodeEnvelope(got[0]!.Body!);
    expect(e.id).toBe(id);
    expect((e.attempts ?? 0) + Number(got[0]!.Attributes!.ApproximateReceiveCount)).toBe(MAX);
    expect((await counts(f.dlqUrl)).visible).toBe(0);
  });

  it('an empty queue is peeked without the warning about receives', async () => {
    const name = uniqueName('pkempty');
    await createProxyFixture(name, { enabled: false });
    const r = await runCli('peek', name);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('No messages visible in the queue.');
    expect(r.stderr).not.toMatch(/receive/);
  });
});

describe('purge', () => {
  it('empties the queue with --yes and reports the count', async () => {
    const name = uniqueName('pg');
    const f = await createProxyFixture(name, { enabled: false });
    await fillQueue(f.queueUrl, 7);
    await fillQueue(f.dlqUrl, 2);
    const r = await runCli('purge', name, '--yes', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ name, queue: 'queue', purged: 7 });
    expect(await counts(f.queueUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect((await counts(f.dlqUrl)).visible).toBe(2);
    const d = await runCli('purge', name, '--dlq', '-y');
    expect(d.code).toBe(0);
    expect(d.stdout).toContain('purged 2 messages from the dead-letter queue');
    expect((await counts(f.dlqUrl)).visible).toBe(0);
    // Empty now: said so, without asking (no --yes, no terminal) and without a PurgeQueue call, whose
    // one-a-minute limit would otherwise refuse the next real purge (moto does not enforce it).
    const again = await runCli('purge', name, '--dlq');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('is empty; nothing to purge');
  });

  it('refuses without --yes when there is no terminal, deleting nothing', async () => {
    const name = uniqueName('pgn');
    const f = await createProxyFixture(name, { enabled: false });
    await fillQueue(f.queueUrl, 3);
    const r = await runCli('purge', name);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--yes');
    expect((await counts(f.queueUrl)).visible).toBe(3);
  });

  it("a purge within SQS's minute says to check status with the name and region", async () => {
    const name = uniqueName('pgbusy');
    const f = await createProxyFixture(name, { enabled: false });
    await fillQueue(f.queueUrl, 2);
    // moto does not enforce SQS's one purge a minute, so its refusal is injected (as AWS words it).
    const restore: Restore = [];
    inject(
      await cliAws().sqs(),
      (cmd) => {
        if (cmd instanceof PurgeQueueCommand) {
          throw Object.assign(new Error('Only one PurgeQueue operation is allowed every 60 seconds.'), {
            name: 'PurgeQueueInProgress',
            $metadata: { httpStatusCode: 403 },
          });
        }
      },
      restore,
    );
    try {
      const r = await runCli('purge', name, '--yes');
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('SQS allows one purge a minute');
      expect(r.stderr).toContain(`check with "webhook-proxy status ${name} --region ${TEST_REGION}"`);
    } finally {
      undoAll(restore);
    }
  });
});

describe('drain', () => {
  it('exits 0 on an empty queue', async () => {
    const name = uniqueName('dr');
    await createProxyFixture(name);
    const r = await runCli('drain', name, '--interval', '0.2', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ name, drained: true });
  });

  it('exits 3 on a queue that cannot empty, and restores a boosted concurrency', async () => {
    const name = uniqueName('drt');
    // Enabled: moto never runs the function, so the queue cannot empty (a paused one now fails at once).
    const f = await createProxyFixture(name, { concurrency: 3 });
    await fillQueue(f.queueUrl, 4);
    const r = await runCli('drain', name, '--timeout', '0.5', '--interval', '0.2', '--concurrency', '50');
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('not drained');
    expect(r.stderr).toContain('Timed out');
    expect(r.stderr).toContain('raised from 3 to 50');
    expect(r.stderr).toContain('restored to 3');
    expect(r.stderr).toMatch(/drain .*: 4 left/);
    const { LambdaClient, GetEventSourceMappingCommand } = await import('@aws-sdk/client-lambda');
    const m = await new LambdaClient({}).send(new GetEventSourceMappingCommand({ UUID: f.mappingUuid }));
    expect(m.ScalingConfig?.MaximumConcurrency).toBe(3);
    expect((await counts(f.queueUrl)).visible).toBe(4);
  });
});

describe('redrive', () => {
  it('of an empty DLQ says so at once, without a move task or a copy', async () => {
    const name = uniqueName('rdempty');
    await createProxyFixture(name, { enabled: false });
    const restore: Restore = [];
    try {
      const sent = await recordCalls(restore);
      const r = await runCli('redrive', name, '--json');
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ name, moved: 0, path: 'none' });
      expect(sent).not.toContain('StartMessageMoveTaskCommand');
      expect(sent).not.toContain('ReceiveMessageCommand');
      expect(r.stderr).not.toMatch(/Copying/);
      const plain = await runCli('redrive', name);
      expect(plain.stdout).toContain(`${name}: the dead-letter queue is empty; nothing to redrive.`);
    } finally {
      await undoAll(restore);
    }
  });

  it('moves the DLQ back into the queue with ids preserved (copy path on moto)', async () => {
    const name = uniqueName('rd');
    const f = await createProxyFixture(name, { enabled: false });
    const ids = await fillQueue(f.dlqUrl, 23);
    const r = await runCli('redrive', name, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ name, moved: 23, path: 'copy' });
    expect(await counts(f.dlqUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    const got = await receiveAll(f.queueUrl);
    expect(got.map((m) => decodeEnvelope(m.Body!).id).sort()).toEqual([...ids].sort());
  });

  it('honours --limit and says which path ran', async () => {
    const name = uniqueName('rdl');
    const f = await createProxyFixture(name, { enabled: false });
    await fillQueue(f.dlqUrl, 15);
    const r = await runCli('redrive', name, '--limit', '12');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('moved 12 messages');
    expect(r.stdout).toContain('by copying');
    expect((await counts(f.dlqUrl)).visible).toBe(3);
    expect((await counts(f.queueUrl)).visible).toBe(12);
  });

  it('keeps the group and uses a distinct dedup id on an ordered proxy', async () => {
    const name = uniqueName('rdo');
    const f = await createProxyFixture(name, { ordered: true, enabled: false });
    // The originals went through the queue with their envelope id as dedup id (as ingest sends them).
    const ids = await fillQueue(f.queueUrl, 3, { ordered: true });
    const moved = await receiveAll(f.queueUrl);
    for (const m of moved) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: f.dlqUrl,
          MessageBody: m.Body!,
          MessageGroupId: 'webhooks',
          MessageDeduplicationId: decodeEnvelope(m.Body!).id,
        }),
      );
    }
    const { DeleteMessageCommand } = await import('@aws-sdk/client-sqs');
    for (const m of moved)
      await sqs.send(new DeleteMessageCommand({ QueueUrl: f.queueUrl, ReceiptHandle: m.ReceiptHandle! }));
    const r = await runCli('redrive', name, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).moved).toBe(3);
    // On AWS, within the 5-minute window a copy with the original's dedup id would be dropped (moto
    // only compares against messages still queued, so the id itself is checked): all 3 arrived, each
    // with a dedup id of its own derived from its envelope id.
    const back = await receiveAll(f.queueUrl);
    expect(back.map((m) => decodeEnvelope(m.Body!).id).sort()).toEqual([...ids].sort());
    expect(back.every((m) => m.Attributes?.MessageGroupId === 'webhooks')).toBe(true);
    for (const m of back) {
      const id = decodeEnvelope(m.Body!).id;
      expect(m.Attributes?.MessageDeduplicationId).toMatch(new RegExp(`^${id}-r\\d+$`));
    }
  });

  it('moto answers StartMessageMoveTask with an error the fallback recognises', async () => {
    // moto 5.2.1 has no message move tasks (HTTP 500 with an HTML page); real SQS has.
    const { isUnsupported } = await import('../../src/proxy/ops/redrive.js');
    const err = await sqs
      .send(
        new StartMessageMoveTaskCommand({
          SourceArn: 'arn:aws:sqs:us-east-1:123456789012:x',
          DestinationArn: 'arn:aws:sqs:us-east-1:123456789012:y',
        }),
      )
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeDefined();
    expect(isUnsupported(err)).toBe(true);
  });
});
