/**
 * deliver on fresh Lambda containers: each container has its own breaker, which opens only after
 * several outage answers in a row. An outage answer counts against its webhook only when the
 * container has evidence the upstream otherwise serves (the answer before it was another answer, and
 * recent), so webhooks that keep landing on new containers during an outage are held, not
 * dead-lettered; a webhook that fails alone on a serving upstream still reaches the DLQ; and no hold
 * reaches past --retry-window.
 *
 * The queue is simulated in-process as SQS behaves for a standard queue: a receive adds one to
 * ApproximateReceiveCount, a reported failure stays with its count, a held copy (a send) is a new
 * message with its own count from 1, and the redrive policy (maxReceiveCount = --max-attempts) moves a
 * message on the receive after its last. Delays are not waited for: every message is available to the
 * next batch, which only makes the outage harder to ride out.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createEnvelope, decodeEnvelope, encodeEnvelope } from '../../src/envelope.js';
import { createDeliverHandler, type DeliverConfig, type DeliveryEvent } from '../../src/handlers/deliver.js';
import { sqsEvent, sqsRecord } from '../helpers/events.js';
import { recordingPort } from '../helpers/memory-port.js';
import { closedPort } from '../helpers/net.js';
import { startUpstream } from '../helpers/upstream.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

const webhook = (body: string, receivedAt?: string) =>
  encodeEnvelope(
    createEnvelope({
      method: 'POST',
      rawPath: '/',
      rawQueryString: '',
      headers: { 'content-type': 'text/plain' },
      cookies: [],
      sourceIp: '203.0.113.7',
      host: 'hooks.example.com',
      protocol: 'https',
      body: Buffer.from(body),
      ...(receivedAt ? { receivedAt } : {}),
    }),
  );

const config = (upstream: string, over: Partial<DeliverConfig> = {}): DeliverConfig => ({
  upstream,
  preservePath: false,
  timeoutSeconds: 2,
  concurrency: 4,
  backoffBase: 5,
  backoffMax: 900,
  maxAttempts: 3,
  ...over,
});

interface Message {
  id: string;
  body: string;
  receives: number;
}

/** A standard queue with deliver's DLQ and the redrive net; every batch goes to a new container. */
function lambdaLike(upstream: string, over: Partial<DeliverConfig> = {}) {
  const cfg = config(upstream, over);
  let queue: Message[] = [];
  let next = 0;
  const redriven: string[] = [];
  const dead: string[] = [];
  const events: DeliveryEvent[] = [];
  const enqueue = (body: string) => queue.push({ id: `m${next++}`, body, receives: 0 });
  /** One batch of up to `size`, in queue order, to a fresh container (createDeliverHandler). */
  async function batch(size = 10, order?: (ms: Message[]) => Message[]) {
    let taken = queue.slice(0, size);
    queue = queue.slice(size);
    const rest: Message[] = [];
    for (const m of taken) {
      m.receives++;
      // The redrive policy: the receive after maxReceiveCount moves it to the DLQ instead.
      if (m.receives > cfg.maxAttempts) redriven.push(m.body);
      else rest.push(m);
    }
    taken = order ? order(rest) : rest;
    const rec = recordingPort({ dlq: true });
    const handler = createDeliverHandler({ queue: rec.port, config: cfg, log: (e) => events.push(e) });
    const res = await handler(
      sqsEvent(taken.map((m) => sqsRecord(m.body, { attempt: m.receives, messageId: m.id }))),
    );
    const failed = new Set(res.batchItemFailures.map((f) => f.itemIdentifier));
    for (const m of taken) if (failed.has(m.id)) queue.push(m); // hidden, back with its count
    for (const s of rec.sent) enqueue(s.body); // held copies: new messages
    dead.push(...rec.dead);
    return rec;
  }
  return { enqueue, batch, redriven, dead, events, queued: () => queue };
}

describe('deliver: fresh containers during an outage', () => {
  it('none dead-lettered at --max-attempts 3 when every batch lands on a new container', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/`;
    const sim = lambdaLike(url);
    const bodies = Array.from({ length: 30 }, (_x, i) => webhook(`{"n":${i}}`));
    bodies.forEach(sim.enqueue);
    for (let round = 0; round < 30; round++) await sim.batch(10);
    expect(sim.dead).toEqual([]);
    expect(sim.redriven).toEqual([]);
    // Every webhook is still queued, unaltered but for the count it carries.
    const left = sim.queued().map((m) => decodeEnvelope(m.body));
    expect(left.map((e) => e.id).sort()).toEqual(bodies.map((b) => decodeEnvelope(b).id).sort());
    for (const e of left) expect(e.attempts ?? 0).toBe(0);
    // Held: the answers said nothing about the webhooks.
    expect(sim.events.some((e) => e.event === 'held' && e.reason === 'upstream down')).toBe(true);
  });

  it('a webhook refused alone on a serving upstream still reaches the DLQ after --max-attempts', async () => {
    const u = await startUpstream((r, res) => {
      if (r.body.toString() === 'poison')
        res.socket?.destroy(); // a reset: an outage-class answer
      else res.end('ok');
    });
    closers.push(u.close);
    const sim = lambdaLike(u.url);
    const poison = webhook('poison');
    sim.enqueue(poison);
    for (let round = 0; round < 6 && sim.dead.length === 0; round++) {
      sim.enqueue(webhook(`ok ${round}`));
      // Others' successes come first in the batch: the container has evidence the upstream serves.
      await sim.batch(10, (ms) => [
        ...ms.filter((m) => m.body !== poison),
        ...ms.filter((m) => m.body === poison),
      ]);
    }
    expect(sim.dead).toEqual([poison]);
    expect(sim.redriven).toEqual([]);
    const deadEvent = sim.events.find((e) => e.event === 'dead-lettered');
    expect(deadEvent).toMatchObject({ attempts: 3 });
    expect(u.received.filter((r) => r.body.toString() === 'poison')).toHaveLength(3);
  });

  it('a webhook refused first thing on a fresh container is held, uncounted, for a while', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/`;
    const sim = lambdaLike(url, { retryWindowSeconds: 3600 });
    sim.enqueue(webhook('x', new Date(Date.now() - 400_000).toISOString()));
    const rec = await sim.batch(1);
    expect(rec.sent).toHaveLength(1);
    expect(decodeEnvelope(rec.sent[0]!.body).attempts ?? 0).toBe(0);
    // Held for about a quarter of its age (400 s): a long outage costs few requests per webhook.
    expect(rec.sent[0]!.options?.delaySeconds).toBe(100);
  });

  it('no hold reaches past --retry-window; past it the webhook goes to the DLQ', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/`;
    const sim = lambdaLike(url, { retryWindowSeconds: 600 });
    const body = webhook('x', new Date(Date.now() - 590_000).toISOString());
    sim.enqueue(body);
    const rec = await sim.batch(1);
    expect(rec.sent).toHaveLength(1);
    const delay = rec.sent[0]!.options!.delaySeconds!;
    expect(delay).toBeGreaterThanOrEqual(1);
    expect(delay).toBeLessThanOrEqual(11);
  });
});
