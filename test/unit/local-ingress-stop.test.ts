/**
 * The front door's stop and body limits, on a real server on 127.0.0.1 with real keep-alive clients.
 * The handler stands in for the queue: it stores the webhook, and once the server's close() has
 * resolved the "queue" is closed, so a webhook answered 2xx after that is lost (as it was in memory
 * mode: 1,516 of them in the measurement).
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HEALTH_PATH, startIngress, type Ingress } from '../../src/local/http-server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let ingress: Ingress | undefined;
afterEach(async () => {
  await ingress?.close();
  ingress = undefined;
});

interface Answer {
  status?: number;
  headers?: Record<string, string | string[] | undefined>;
  body?: string;
  error?: string;
}

function post(url: string, body: string, agent: Agent, path = '/'): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request(`${url}${path}`, { method: 'POST', agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
      res.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.end(body);
  });
}

describe('stopping the front door', () => {
  it('answers every request on busy keep-alive connections 2xx-and-stored or 503, never 2xx-and-lost', async () => {
    const stored = new Set<string>();
    let queueClosed = false;
    let lost = 0;
    ingress = await startIngress({
      host: '127.0.0.1',
      port: 0,
      handler: async (e: APIGatewayProxyEventV2) => {
        // A commit takes a moment, so stops land while ingests are under way.
        await sleep(Math.random() * 3);
        const id = Buffer.from(e.body ?? '', 'base64').toString('utf8');
        if (queueClosed) lost++;
        else stored.add(id);
        return { statusCode: 202, body: JSON.stringify({ id }) };
      },
    });
    const { url } = ingress;
    const SENDERS = 16;
    const agent = new Agent({ keepAlive: true, maxSockets: SENDERS });
    const answers: Answer[] = [];
    let n = 0;
    const senders = Array.from({ length: SENDERS }, async () => {
      // Each sender sends back to back on its keep-alive connection until it is told to stop.
      for (;;) {
        const a = await post(url, `wh_${n++}`, agent);
        answers.push({ ...a, body: a.body ?? '' });
        if (a.status !== 202) return;
      }
    });
    while (answers.length < 300) await sleep(5);
    const closing = ingress.close().then(() => (queueClosed = true));
    await Promise.all(senders);
    await closing;
    agent.destroy();

    expect(lost).toBe(0);
    const accepted = answers.filter((a) => a.status === 202);
    const refused = answers.filter((a) => a.status === 503);
    for (const a of accepted) expect(stored.has((JSON.parse(a.body!) as { id: string }).id)).toBe(true);
    // Every sender ended on a 503 that says when to come back and closes its connection …
    expect(refused.length).toBeGreaterThan(0);
    for (const a of refused) {
      expect(a.headers!['retry-after']).toMatch(/^\d+$/);
      expect(a.headers!.connection).toBe('close');
    }
    // … or on a refused connection after the listener closed (the request never reached the server).
    // A reset or a hang-up would be a request left without an answer.
    const errors = answers.filter((a) => a.error).map((a) => a.error);
    expect(errors.filter((e) => e !== 'ECONNREFUSED')).toEqual([]);
    expect(accepted.length + refused.length + errors.length).toBe(answers.length);
  });

  it('waits for the ingest under way, closing its connection with the answer', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    ingress = await startIngress({
      host: '127.0.0.1',
      port: 0,
      handler: async () => {
        entered();
        await gate;
        return { statusCode: 202, body: 'kept' };
      },
    });
    const agent = new Agent({ keepAlive: true });
    const slow = post(ingress.url, 'a', agent);
    await inside;
    let closed = false;
    const closing = ingress.close().then(() => (closed = true));
    // Stopping: a second request, the health check included, is refused at once.
    const other = await post(ingress.url, 'b', new Agent());
    expect(other.status).toBe(503);
    const health = await new Promise<number>((resolve) =>
      request(`${ingress!.url}${HEALTH_PATH}`, (res) => (res.resume(), resolve(res.statusCode!))).end(),
    );
    expect(health).toBe(503);
    await sleep(50);
    expect(closed).toBe(false);
    release();
    const a = await slow;
    expect(a.status).toBe(202);
    expect(a.headers!.connection).toBe('close');
    await closing;
    agent.destroy();
  });
});

/** Send the head and `send` bytes of the body, then hold the connection open: the rest never comes. */
function partial(port: number, head: string, body: Buffer[]): Promise<{ answer: string; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answer = '';
    socket.on('data', (c) => {
      answer += c.toString('latin1');
      const end = answer.indexOf('\r\n\r\n');
      const len = /content-length: (\d+)/i.exec(answer)?.[1];
      if (end >= 0 && len !== undefined && answer.length >= end + 4 + Number(len)) {
        resolve({ answer, socket });
      }
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      // A reset after the answer is the server dropping the rest of the body: expected.
      if (!answer) reject(e);
    });
    socket.write(head);
    for (const b of body) socket.write(b);
  });
}

describe('body limits', () => {
  it('answers 413 at the 1 MiB limit without waiting for the rest of the body', async () => {
    let calls = 0;
    ingress = await startIngress({
      host: '127.0.0.1',
      port: 0,
      handler: async () => (calls++, { statusCode: 200, body: '' }),
    });
    const mib = Buffer.alloc(1024 * 1024, 0x61);
    // Declared 5 MB (under API Gateway's 10 MB, so the old front read it all): 2 MiB sent, then held.
    const declared = await partial(
      ingress.port,
      `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${5 * 1024 * 1024}\r\n\r\n`,
      [mib, mib],
    );
    expect(declared.answer).toMatch(/^HTTP\/1\.1 413/);
    expect(declared.answer).toMatch(/connection: close/i);
    expect(declared.answer).toContain('"limit":1048576');
    declared.socket.destroy();
    // Chunked: the size is known only while reading; 2 MiB sent in chunks, no last chunk.
    const chunk = (b: Buffer) => [Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n')];
    const chunked = await partial(
      ingress.port,
      'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n',
      [...chunk(mib), ...chunk(mib)],
    );
    expect(chunked.answer).toMatch(/^HTTP\/1\.1 413/);
    chunked.socket.destroy();
    expect(calls).toBe(0);
  });

  it('bounds the body bytes held at once: beyond it, 503 with Retry-After, and nothing is lost', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const seen: number[] = [];
    ingress = await startIngress({
      host: '127.0.0.1',
      port: 0,
      maxBodyBytesInFlight: 3 * 1024 * 1024,
      handler: async (e) => {
        seen.push(Buffer.from(e.body ?? '', 'base64').length);
        await gate;
        return { statusCode: 202, body: '' };
      },
    });
    const body = 'x'.repeat(1024 * 1024 - 10);
    const first = Array.from({ length: 3 }, () => post(ingress!.url, body, new Agent()));
    while (seen.length < 3) await sleep(5);
    const fourth = await post(ingress.url, body, new Agent());
    expect(fourth.status).toBe(503);
    expect(fourth.headers!['retry-after']).toBe('1');
    release();
    expect((await Promise.all(first)).map((a) => a.status)).toEqual([202, 202, 202]);
    // The bytes are given back once answered: the same body is accepted now.
    expect((await post(ingress.url, body, new Agent())).status).toBe(202);
  });
});
