/**
 * redrive's copy path with large webhooks: SendMessageBatch takes at most 10 entries and 1 MiB in
 * total (AWS: SQS API reference, SendMessageBatch; the sizes as src/proxy/ops/sqs-batches.ts counts
 * them), so two envelopes of ~700 KB cannot share one call. Before, the copy sent every received
 * message in one batch: SQS refused the whole call (BatchRequestTooLong), and every later run received
 * the same messages first and failed the same way.
 *
 * moto differs: it does refuse a batch whose bodies add up to more than 1 MiB, but it counts
 * characters, not UTF-8 bytes, and leaves message attributes out. So every send is also checked here
 * against the limit as AWS counts it (a recording stub in front of the CLI's SQS client that passes
 * every call on to moto).
 */
import {
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  type SendMessageBatchRequestEntry,
} from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeEnvelope } from '../../src/envelope.js';
import {
  SQS_MAX_BATCH_BYTES,
  SQS_MAX_BATCH_ENTRIES,
  sqsMessageSize,
} from '../../src/proxy/ops/sqs-batches.js';
import { uniqueName, useMoto } from '../helpers/moto.js';
import { cliAws, inject, undoAll, type Restore } from '../helpers/provision.js';
import { counts, createProxyFixture, runCli, testEnvelope } from '../helpers/proxy-fixture.js';

useMoto();
const sqs = new SQSClient({});
const restore: Restore = [];
afterEach(() => undoAll(restore));

/** Put these message bodies in a queue, one SendMessage each. */
async function put(queueUrl: string, bodies: string[]) {
  for (const MessageBody of bodies)
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody }));
}

/** A webhook envelope whose body is `text` (stored as UTF-8 text, as ingest stores a JSON body). */
const envelopeOf = (text: string) => encodeEnvelope(testEnvelope({ bodyBytes: Buffer.from(text, 'utf8') }));

async function receiveBodies(queueUrl: string): Promise<string[]> {
  const bodies: string[] = [];
  for (let empty = 0; empty < 2;) {
    const out = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 60 }),
    );
    if (!out.Messages?.length) empty++;
    bodies.push(...(out.Messages ?? []).map((m) => m.Body!));
  }
  return bodies;
}

/** Every send the CLI makes to SQS, as the entries it carried; the calls themselves go on to moto. */
async function recordSends(fault?: (cmd: object, n: number) => void) {
  const sends: { command: string; entries: SendMessageBatchRequestEntry[] }[] = [];
  inject(
    await cliAws().sqs(),
    (cmd) => {
      if (cmd instanceof SendMessageBatchCommand) {
        sends.push({ command: 'SendMessageBatch', entries: cmd.input.Entries ?? [] });
      } else if (cmd instanceof SendMessageCommand) {
        sends.push({
          command: 'SendMessage',
          entries: [{ Id: '0', ...cmd.input } as SendMessageBatchRequestEntry],
        });
      } else return undefined;
      fault?.(cmd, sends.length);
      return undefined;
    },
    restore,
  );
  return sends;
}

/** The rules AWS applies to each send, as AWS counts (bytes, attributes included). */
function expectWithinAwsLimits(sends: { command: string; entries: SendMessageBatchRequestEntry[] }[]) {
  for (const s of sends) {
    expect(s.entries.length).toBeLessThanOrEqual(SQS_MAX_BATCH_ENTRIES);
    const total = s.entries.reduce((n, e) => n + sqsMessageSize(e.MessageBody!, e.MessageAttributes), 0);
    expect(total).toBeLessThanOrEqual(SQS_MAX_BATCH_BYTES);
  }
}

describe('redrive of large webhooks (copy path)', () => {
  it('moves three ~700 KB envelopes and two small ones, each byte for byte, within 1 MiB per send', async () => {
    const name = uniqueName('rdbig');
    const f = await createProxyFixture(name, { enabled: false });
    const big = ['a', 'b', 'c'].map((c) => envelopeOf(`{"blob":"${c.repeat(700_000)}"}`));
    const small = [envelopeOf('{"n":1}'), envelopeOf('{"n":2}')];
    await put(f.dlqUrl, [...big, ...small]);
    const sends = await recordSends();

    const r = await runCli('redrive', name, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ name, moved: 5, path: 'copy' });
    expect(await counts(f.dlqUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect((await receiveBodies(f.queueUrl)).sort()).toEqual([...big, ...small].sort());
    expectWithinAwsLimits(sends);
    // No two big ones shared a call; a big one alone went with SendMessage.
    for (const s of sends) expect(s.entries.filter((e) => e.MessageBody!.length > 600_000).length).toBe(1);
    expect(sends.some((s) => s.command === 'SendMessage')).toBe(true);
  });

  it('counts UTF-8 bytes, not characters (where moto would let a too-large batch through)', async () => {
    const name = uniqueName('rdutf');
    const f = await createProxyFixture(name, { enabled: false });
    // 300,000 × "é": 600 KB of UTF-8 but 300,000 characters. Two of them are 1.2 MB to AWS, 0.6 M to moto.
    const wide = [envelopeOf(`"${'é'.repeat(300_000)}"`), envelopeOf(`"${'ü'.repeat(300_000)}"`)];
    expect(wide.join('').length).toBeLessThan(SQS_MAX_BATCH_BYTES);
    expect(Buffer.byteLength(wide.join(''))).toBeGreaterThan(SQS_MAX_BATCH_BYTES);
    await put(f.dlqUrl, wide);
    const sends = await recordSends();
    const r = await runCli('redrive', name, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).moved).toBe(2);
    expectWithinAwsLimits(sends);
    expect(sends).toHaveLength(2);
    expect((await receiveBodies(f.queueUrl)).sort()).toEqual([...wide].sort());
  });

  it('a send that fails midway: what was sent is deleted, the rest is visible in the DLQ again', async () => {
    const name = uniqueName('rdfail');
    const f = await createProxyFixture(name, { enabled: false });
    const big = ['x', 'y', 'z'].map((c) => envelopeOf(`"${c.repeat(700_000)}"`));
    await put(f.dlqUrl, big);
    // The second send fails as an outage would (the SDK's own retries already spent).
    await recordSends((_cmd, n) => {
      if (n === 2) {
        throw Object.assign(new Error('Service Unavailable'), {
          name: 'ServiceUnavailable',
          $metadata: { httpStatusCode: 503 },
        });
      }
    });
    const r = await runCli('redrive', name);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Moved 1 message; 2 could not be sent to the queue: ServiceUnavailable');
    expect(r.stderr).toContain('still in the DLQ');
    // Nothing lost and nothing waiting out the 120 s receive: 1 in the queue, 2 visible in the DLQ now.
    expect(await counts(f.queueUrl)).toMatchObject({ visible: 1 });
    expect(await counts(f.dlqUrl)).toEqual({ visible: 2, inFlight: 0, delayed: 0 });
    undoAll(restore);
    // The re-run the message asks for moves the rest.
    const again = await runCli('redrive', name, '--json');
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).moved).toBe(2);
    expect((await receiveBodies(f.queueUrl)).sort()).toEqual([...big].sort());
  });
});
