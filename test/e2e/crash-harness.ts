/**
 * The parts of the crash test (dev-crash.test.ts) that are not `dev` itself:
 * - a flaky upstream on 127.0.0.1 that keeps a ledger of every body it answered 2xx, with the
 *   `x-webhook-proxy-id` it came with (a duplicate is the same body delivered twice);
 * - a spike of unique webhooks (the index is in the body) from many keep-alive senders that, as a real
 *   sender does, retry on connection errors and 503 until they get an answer: a webhook counts as
 *   accepted only once it got a 2xx;
 * - the final accounting: accepted = delivered ∪ dead-lettered, and the duplicates of each kind.
 */
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import type { ServerResponse } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { startUpstream, type Received } from '../helpers/upstream.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A port nobody listens on now, so every restart of dev can take the same one. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface Webhook {
  body: Buffer;
  contentType: string;
  /** The upstream always answers 500 to it: it must end in the DLQ, never be lost. */
  poison: boolean;
}

/** Unique bodies: JSON (non-ASCII included) and, one in ten, arbitrary bytes that must travel base64. */
export function makeWebhooks(count: number, poisonEvery: number): Webhook[] {
  return Array.from({ length: count }, (_x, n) => {
    const poison = n % poisonEvery === poisonEvery - 1;
    if (n % 10 === 3) {
      return {
        body: Buffer.concat([Buffer.from(`#${n}#`), randomBytes(32 + (n % 200))]),
        contentType: 'application/octet-stream',
        poison,
      };
    }
    const body = JSON.stringify({
      n,
      type: 'crash.test',
      poison,
      note: 'ünïcødé ✓',
      pad: 'x'.repeat(n % 300),
    });
    return { body: Buffer.from(body), contentType: 'application/json', poison };
  });
}

/** Bytes → one string per body (latin1 is a bijection), for exact lookups. */
export const keyOf = (b: Buffer) => b.toString('latin1');

export interface FlakyOptions {
  /** Share of answers that are 503 while flaky. */
  failRate: number;
  /** Share of answers that take slowMs (still well under dev's --timeout: a duplicate from a timeout
   * would not be the crash's doing). */
  slowRate: number;
  slowMs: number;
}

/** The upstream: flaky until `healthy = true`; poison bodies get 500 always. */
export async function startFlakyUpstream(webhooks: Webhook[], options: FlakyOptions) {
  const indexOf = new Map(webhooks.map((w, n) => [keyOf(w.body), n]));
  /** Per webhook index: the x-webhook-proxy-id of every 2xx answer the upstream sent. */
  const delivered = new Map<number, string[]>();
  /** Bodies the proxy sent that no sender sent: altered on the way. */
  const unknown: Received[] = [];
  const state = { healthy: false, requests: 0, answered503: 0, answered500: 0 };
  const upstream = await startUpstream(async (r: Received, res: ServerResponse) => {
    state.requests++;
    const n = indexOf.get(keyOf(r.body));
    if (n === undefined) {
      unknown.push(r);
      res.statusCode = 400;
      res.end('not a body anyone sent');
      return;
    }
    if (webhooks[n]!.poison) {
      state.answered500++;
      res.statusCode = 500;
      res.end('poison');
      return;
    }
    if (!state.healthy && Math.random() < options.failRate) {
      state.answered503++;
      res.statusCode = 503;
      res.end('busy');
      return;
    }
    if (!state.healthy && Math.random() < options.slowRate) await sleep(options.slowMs);
    // Counted once the answer is written: a proxy killed after this and before its delete will
    // deliver it again, which is the duplicate the test bounds.
    const id = String(r.headers['x-webhook-proxy-id']);
    res.end('ok', () => {
      const ids = delivered.get(n);
      if (ids) ids.push(id);
      else delivered.set(n, [id]);
    });
  });
  return { ...upstream, delivered, unknown, state };
}

export interface Acceptance {
  /** x-webhook-proxy-id of the 2xx answer. */
  id: string;
  /** Requests this sender made for it (> 1: it re-sent after a connection error or a 503). */
  attempts: number;
  /** Of those, attempts that failed after the request may have reached dev (not ECONNREFUSED). */
  unanswered: number;
}

interface Answer {
  status: number;
  id?: string;
}

function postOnce(url: string, w: Webhook, agent: Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': w.contentType } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let id: string | undefined;
        try {
          id = (JSON.parse(Buffer.concat(chunks).toString()) as { id?: string }).id;
        } catch {
          /* not JSON: not a stored answer */
        }
        resolve({ status: res.statusCode ?? 0, ...(id ? { id } : {}) });
      });
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('response aborted')));
    });
    req.on('error', reject);
    req.end(w.body);
  });
}

export interface Spike {
  accepted: (Acceptance | undefined)[];
  /** 2xx answers so far (what the kill schedule follows). */
  readonly acceptedCount: number;
  /** Answers that were neither 2xx nor 503 (must stay empty). */
  refused: { n: number; status: number }[];
  retries: { connection: number; unavailable: number };
  done: Promise<void>;
}

/** Send every webhook from `senders` keep-alive connections, retrying each until it gets a 2xx. */
export function sendSpike(url: string, webhooks: Webhook[], senders: number): Spike {
  const agent = new Agent({ keepAlive: true, maxSockets: senders });
  const accepted: (Acceptance | undefined)[] = new Array(webhooks.length);
  const refused: Spike['refused'] = [];
  const retries = { connection: 0, unavailable: 0 };
  let count = 0;
  let next = 0;
  const sendOne = async (n: number) => {
    let attempts = 0;
    let unanswered = 0;
    for (;;) {
      attempts++;
      let answer: Answer;
      try {
        answer = await postOnce(url, webhooks[n]!, agent);
      } catch (err) {
        // dev is down or was killed with this request on the wire: send it again, as senders do.
        retries.connection++;
        if ((err as NodeJS.ErrnoException).code !== 'ECONNREFUSED') unanswered++;
        await sleep(25);
        continue;
      }
      if (answer.status >= 200 && answer.status < 300 && answer.id) {
        accepted[n] = { id: answer.id, attempts, unanswered };
        count++;
        return;
      }
      if (answer.status === 503) {
        // Stopping (or full): not accepted, try again shortly.
        retries.unavailable++;
        await sleep(25);
        continue;
      }
      refused.push({ n, status: answer.status });
      return;
    }
  };
  const done = Promise.all(
    Array.from({ length: senders }, async () => {
      while (next < webhooks.length) await sendOne(next++);
    }),
  ).then(() => agent.destroy());
  return {
    accepted,
    get acceptedCount() {
      return count;
    },
    refused,
    retries,
    done,
  };
}

export interface Accounting {
  accepted: number;
  delivered: number;
  deadLettered: number;
  /** Accepted (the id of its 2xx), and neither delivered under that id nor in the DLQ. */
  lost: number[];
  /** In the DLQ although not poison (ran out of attempts by chance: allowed, reported). */
  deadNotPoison: number;
  /** Poison webhooks that were delivered (impossible: the upstream never says 2xx to them). */
  poisonDelivered: number;
  /** Extra 2xx deliveries of a body under the same proxy id: the proxy re-delivered it. */
  proxyDuplicates: number;
  /** Extra bodies delivered under another proxy id: the sender re-sent one whose 2xx it never got. */
  resendDuplicates: number;
  /** Bodies delivered under more proxy ids than the sender had unanswered attempts + 1 (impossible). */
  unexplainedIds: number[];
}

export function account(
  webhooks: Webhook[],
  accepted: (Acceptance | undefined)[],
  delivered: Map<number, string[]>,
  deadIds: Set<string>,
): Accounting {
  const a: Accounting = {
    accepted: 0,
    delivered: 0,
    deadLettered: 0,
    lost: [],
    deadNotPoison: 0,
    poisonDelivered: 0,
    proxyDuplicates: 0,
    resendDuplicates: 0,
    unexplainedIds: [],
  };
  webhooks.forEach((w, n) => {
    const acc = accepted[n];
    const ids = delivered.get(n) ?? [];
    if (ids.length && w.poison) a.poisonDelivered++;
    const distinct = new Set(ids);
    a.proxyDuplicates += ids.length - distinct.size;
    a.resendDuplicates += Math.max(0, distinct.size - 1);
    if (!acc) return;
    a.accepted++;
    if (distinct.size > acc.unanswered + 1) a.unexplainedIds.push(n);
    const dead = deadIds.has(acc.id);
    if (ids.length) a.delivered++;
    if (dead) {
      a.deadLettered++;
      if (!w.poison) a.deadNotPoison++;
    }
    // By the id of the 2xx: a copy from an unanswered earlier attempt arriving does not make up for it.
    if (!distinct.has(acc.id) && !dead) a.lost.push(n);
  });
  return a;
}
