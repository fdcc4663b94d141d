/**
 * `dev` on its durable store (issue 13, LOCAL contract), the built CLI as a user runs it: webhooks
 * accepted while the upstream is down survive a SIGTERM and are delivered, byte for byte, by the
 * next dev on the same --data-dir; the DLQ survives a restart; a second dev on a directory in use is
 * refused (and a dead one's lock taken over); --memory still works and keeps nothing on disk; a full
 * store answers 503 with Retry-After and loses nothing it accepted.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeEnvelope, encodeEnvelope } from '../../src/envelope.js';
import { openStoreDb } from '../../src/local/store/open.js';
import { SqliteQueue } from '../../src/local/store/sqlite-queue.js';
import { runBinAsync } from '../helpers/bin.js';
import { tempDataDir } from '../helpers/data-dir.js';
import { closedPort } from '../helpers/net.js';
import { numberedEnvelope } from '../helpers/proxy-fixture.js';
import { answering, sha256, startUpstream, startUpstreamOn } from '../helpers/upstream.js';
import { ensureBuilt, post, startDev, type DevProcess } from './dev-harness.js';

beforeAll(ensureBuilt);

const running: DevProcess[] = [];
const upstreams: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const d of running.splice(0)) await d.stop('SIGKILL');
  for (const u of upstreams.splice(0)) await u.close();
});

/** Fast retries and a short breaker probe, so a test's outage ends within seconds of the upstream's return. */
const FAST = ['--backoff-base', '0.05', '--backoff-max', '0.2', '--concurrency', '4'];

async function dev(args: string[], env: Record<string, string> = {}): Promise<DevProcess> {
  const d = await startDev([...FAST, ...args], env);
  running.push(d);
  return d;
}

/** POST, keeping the answer's headers (the harness's post drops them). */
function postRaw(
  url: string,
  body: Buffer,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/octet-stream' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('dev: the store survives a stop', () => {
  it('delivers byte for byte, after a SIGTERM and a restart on the same --data-dir, what it accepted while the upstream was down', async () => {
    const port = await closedPort();
    const dataDir = join(tempDataDir(), 'proxy');
    const bodies = Array.from({ length: 40 }, (_x, i) => randomBytes(200 + i * 37));
    const first = await dev(['--upstream', `http://127.0.0.1:${port}/hooks`, '--data-dir', dataDir]);
    expect(first.events[0]).toMatchObject({
      event: 'listening',
      queue: 'sqlite',
      dataDir,
      resumed: { queued: 0, inFlight: 0, deadLettered: 0 },
    });
    expect(existsSync(join(dataDir, 'server.json'))).toBe(true);
    const ids: string[] = [];
    for (const body of bodies) {
      const r = await post(first.url, body, { 'content-type': 'application/octet-stream' });
      expect(r.status).toBe(200);
      ids.push(r.id!);
    }
    expect(await first.stop('SIGTERM')).toBe(0);
    expect(first.events.at(-1)).toEqual({
      event: 'stopped',
      queued: bodies.length,
      deadLettered: 0,
      lost: false,
      dataDir,
    });
    // A clean stop leaves the store (and its event log) and nothing that says a server is running.
    expect(readdirSync(dataDir).filter((f) => !f.startsWith('queue.db'))).toEqual(['events.log']);

    const upstream = await startUpstreamOn(port);
    upstreams.push(upstream);
    const second = await dev(['--upstream', `http://127.0.0.1:${port}/hooks`, '--data-dir', dataDir]);
    expect(second.events[0]).toMatchObject({ resumed: { queued: bodies.length, deadLettered: 0 } });
    await second.waitFor((e) => e.event === 'delivered', bodies.length, 60_000);
    const byId = new Map(upstream.received.map((r) => [String(r.headers['x-webhook-proxy-id']), r]));
    ids.forEach((id, i) => expect(byId.get(id)?.sha256, id).toBe(sha256(bodies[i]!)));
    expect(await second.stop('SIGTERM')).toBe(0);
    expect(second.events.at(-1)).toMatchObject({ queued: 0, deadLettered: 0 });
  });

  it('keeps the DLQ across a restart, bodies unchanged, and says so at stop', async () => {
    const upstream = await startUpstream(answering(500, 'broken'));
    upstreams.push(upstream);
    const dataDir = tempDataDir();
    const args = ['--upstream', `${upstream.url}/hooks`, '--data-dir', dataDir, '--max-attempts', '1'];
    const first = await dev(args);
    const sent = ['{"a":1}', '{"b":2}', '{"c":3}'];
    for (const body of sent) expect((await post(first.url, body)).status).toBe(200);
    await first.waitFor((e) => e.event === 'dead-lettered', sent.length, 30_000);
    expect(await first.stop('SIGTERM')).toBe(0);
    expect(first.events.at(-1)).toMatchObject({ queued: 0, deadLettered: sent.length, dataDir });

    const second = await dev(args);
    expect(second.events[0]).toMatchObject({ resumed: { queued: 0, deadLettered: sent.length } });
    expect(await second.stop('SIGTERM')).toBe(0);
    expect(second.events.at(-1)).toMatchObject({ queued: 0, deadLettered: sent.length });
    expect(second.stderr()).toContain(`Resumed: 0 webhooks queued, ${sent.length} webhooks in the DLQ.`);

    // The file itself, as a `--local` command (or sqlite3) reads it: the DLQ rows hold the envelopes.
    const db = await openStoreDb({ dataDir });
    const rows = db.prepare('SELECT body FROM messages WHERE queue = 1').all() as { body: string }[];
    db.close();
    const bodies = rows.map((r) => {
      const envelope = decodeEnvelope(r.body);
      return Buffer.from(envelope.body, envelope.bodyEncoding).toString('utf8');
    });
    expect(bodies.sort()).toEqual([...sent].sort());
  });
});

describe('dev: the attempts a dead letter was given', () => {
  it('are what peek --local --dlq shows, after a restart too (not 0); redriven while stopped, delivered at the next start', async () => {
    let failing = true;
    const upstream = await startUpstream((_r, res) => {
      res.statusCode = failing ? 500 : 200;
      res.end(failing ? 'broken' : 'ok');
    });
    upstreams.push(upstream);
    const base = tempDataDir();
    const dataDir = join(base, 'default');
    const first = await dev(['--upstream', upstream.url, '--data-dir', dataDir, '--max-attempts', '3']);
    const sent = await post(first.url, '{"dead":true}');
    const [dead] = await first.waitFor((e) => e.event === 'dead-lettered', 1, 30_000);
    expect(dead).toMatchObject({ id: sent.id, attempts: 3 });
    expect(await first.stop('SIGTERM')).toBe(0);
    const r = await runBinAsync(['peek', '--local', '--dlq', '--json'], { WEBHOOK_PROXY_DATA_DIR: base });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject([{ id: sent.id, attempts: 3 }]);

    // The dead letter a dev made, redriven while no server runs: the next start delivers it, same id.
    const env = { WEBHOOK_PROXY_DATA_DIR: base };
    const moved = await runBinAsync(['redrive', '--local', '--json'], env);
    expect(moved.code, moved.stderr).toBe(0);
    expect(JSON.parse(moved.stdout)).toMatchObject({ moved: 1 });
    failing = false;
    const second = await dev(['--upstream', upstream.url, '--data-dir', dataDir, '--max-attempts', '3']);
    expect(second.events[0]).toMatchObject({ resumed: { queued: 1, deadLettered: 0 } });
    const [delivered] = await second.waitFor((e) => e.event === 'delivered', 1, 30_000);
    expect(delivered).toMatchObject({ id: sent.id, status: 200 });
    expect(upstream.received.at(-1)!.headers['x-webhook-proxy-id']).toBe(sent.id);
    expect(await second.stop('SIGTERM')).toBe(0);
  });
});

describe('dev: killed with deliveries in flight', () => {
  it('hands them out again at once on the next start (kill -9), as the next attempt, same id', async () => {
    const hanging = await startUpstream(() => undefined); // never answers
    upstreams.push(hanging);
    const dataDir = tempDataDir();
    // --batch-size 1: each receive takes one webhook, so each goes to its own slot and all three reach
    // the hanging upstream. With batches, two posted close together (a loaded machine) can be received
    // as one batch, whose deliveries run one after the other: the second would wait behind the first,
    // which never answers, and only 2 of 3 would ever be on the wire when the test kills dev.
    const first = await dev([
      ...['--upstream', `${hanging.url}/`, '--data-dir', dataDir, '--timeout', '60'],
      ...['--batch-size', '1', '--concurrency', '3'],
    ]);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await post(first.url, `{"n":${i}}`)).id!);
    const end = Date.now() + 10_000;
    while (hanging.received.length < 3 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(hanging.received).toHaveLength(3);
    await first.stop('SIGKILL');

    const upstream = await startUpstream();
    upstreams.push(upstream);
    const second = await dev(['--upstream', `${upstream.url}/`, '--data-dir', dataDir]);
    // Not after the 60 s visibility timeout: at once, because the store knew they were leased.
    expect(second.events[0]).toMatchObject({ resumed: { queued: 3, inFlight: 3, deadLettered: 0 } });
    await second.waitFor((e) => e.event === 'delivered', 3, 10_000);
    expect(upstream.received.map((r) => r.headers['x-webhook-proxy-id']).sort()).toEqual([...ids].sort());
    expect(upstream.received.every((r) => r.headers['x-webhook-proxy-attempt'] === '2')).toBe(true);
  });
});

describe('dev: a clean stop with a batch under way', () => {
  it('hands back what it had not started: visible at once, the receive not counted, attempt 1 next time', async () => {
    const dataDir = tempDataDir();
    // Queued before the start, so the one slot's first receive takes all five as one batch.
    const db = await openStoreDb({ dataDir });
    const q = new SqliteQueue(db, { visibilityTimeout: 600, maxReceiveCount: 5 });
    const ids: string[] = [];
    for (let n = 0; n < 5; n++) {
      const e = numberedEnvelope(n);
      ids.push(e.id);
      await q.send(encodeEnvelope(e));
    }
    await q.close();
    let answer: (() => void) | undefined;
    const slow = await startUpstream((_r, res) => {
      // The first request waits for the test to stop dev, then is answered: it finishes, the rest wait.
      answer = () => res.end('ok');
    });
    upstreams.push(slow);
    const args = ['--upstream', slow.url, '--data-dir', dataDir, '--max-attempts', '5'];
    const first = await startDev([...args, '--concurrency', '1', '--batch-size', '5']);
    running.push(first);
    while (!answer) await new Promise((r) => setTimeout(r, 20));
    first.child.kill('SIGTERM');
    // dev --json says nothing at stopping: give it a second to close intake and cut the batch short
    // (milliseconds of work), then let the request on the wire finish.
    await new Promise((r) => setTimeout(r, 1000));
    answer();
    expect(await first.stop()).toBe(0);
    expect(first.events.at(-1)).toMatchObject({ event: 'stopped', queued: 4 });

    // The file: the four not started are as if never received (in flight since is what takes time).
    const after = await openStoreDb({ dataDir });
    const rows = after
      .prepare('SELECT receive_count, leased, visible_at, first_receive_at FROM messages WHERE queue = 0')
      .all() as { receive_count: number; leased: number; visible_at: number; first_receive_at: number }[];
    after.close();
    expect(rows).toHaveLength(4);
    for (const r of rows) {
      expect(r).toMatchObject({ receive_count: 0, leased: 0, first_receive_at: 0 });
      expect(r.visible_at).toBeLessThanOrEqual(Date.now());
    }

    const fast = await startUpstream((_r, res) => res.end('ok'));
    upstreams.push(fast);
    const second = await dev(['--upstream', fast.url, '--data-dir', dataDir, '--max-attempts', '5']);
    expect(second.events[0]).toMatchObject({ resumed: { queued: 4, inFlight: 0 } });
    const delivered = await second.waitFor((e) => e.event === 'delivered', 4, 20_000);
    expect(delivered.map((e) => e.attempt)).toEqual([1, 1, 1, 1]);
    expect(fast.received.map((r) => r.headers['x-webhook-proxy-attempt'])).toEqual(['1', '1', '1', '1']);
    expect(
      new Set([slow.received[0]!, ...fast.received].map((r) => r.headers['x-webhook-proxy-id'])),
    ).toEqual(new Set(ids));
  });
});

describe('dev: one server per data directory', () => {
  it('refuses a second dev on the same directory (exit 1, naming the pid and the directory), takes over after a kill -9', async () => {
    const dataDir = tempDataDir();
    const upstream = `http://127.0.0.1:${await closedPort()}/hooks`;
    const first = await dev(['--upstream', upstream, '--data-dir', dataDir]);
    const second = await runBinAsync(['dev', '--port', '0', '--upstream', upstream, '--data-dir', dataDir]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`pid ${first.child.pid}`);
    expect(second.stderr).toContain(dataDir);
    expect((await post(first.url, 'still mine')).status).toBe(200);

    // A killed server leaves its lock behind; its pid is dead, so the next one takes over.
    await first.stop('SIGKILL');
    const third = await dev(['--upstream', upstream, '--data-dir', dataDir]);
    expect(third.events[0]).toMatchObject({ resumed: { queued: 1 } });
  });
});

describe('dev --memory', () => {
  it('still works, warns that a stop loses everything, and writes nothing to the data directory', async () => {
    const root = tempDataDir();
    const d = await dev(['--upstream', `http://127.0.0.1:${await closedPort()}/`, '--memory'], {
      WEBHOOK_PROXY_DATA_DIR: root,
    });
    expect(d.events[0]).toMatchObject({ queue: 'memory' });
    expect(d.events[0]!.dataDir).toBeUndefined();
    expect((await post(d.url, 'x')).status).toBe(200);
    expect(await d.stop('SIGTERM')).toBe(0);
    expect(d.events.at(-1)).toMatchObject({ event: 'stopped', queued: 1, lost: true });
    expect(d.stderr()).toContain('lives in memory only (--memory)');
    // The harness runs dev --json: a warning, so a JSON line on stderr.
    expect(d.stderr()).toMatch(
      /^\{"warning":\{"code":"queue_in_memory","message":"The queue lives in memory only/m,
    );
    expect(readdirSync(root)).toEqual([]);
  });
});

describe('dev: a full store', () => {
  it('answers 503 with Retry-After once --max-queue-bytes is reached, loses none it accepted, accepts again once delivered', async () => {
    const port = await closedPort();
    const d = await dev(['--upstream', `http://127.0.0.1:${port}/`, '--max-queue-bytes', '8KiB']);
    const answers: { status: number; retryAfter?: string; body: Buffer }[] = [];
    for (let i = 0; i < 12; i++) {
      const body = randomBytes(1000);
      const r = await postRaw(d.url, body);
      answers.push({ status: r.status, retryAfter: r.headers['retry-after'] as string | undefined, body });
    }
    const accepted = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status !== 200);
    // Each envelope is ~1.5 KB (base64 and headers): a few fit in 8 KiB, then every one is refused.
    expect(accepted.length).toBeGreaterThan(2);
    expect(refused.length).toBeGreaterThan(2);
    expect(answers.findIndex((a) => a.status !== 200)).toBe(accepted.length); // once full, full
    for (const r of refused) {
      expect(r.status).toBe(503);
      expect(Number(r.retryAfter)).toBeGreaterThan(0);
    }
    expect(d.events.some((e) => e.event === 'rejected' && /StoreFull/.test(String(e.reason)))).toBe(true);

    const upstream = await startUpstreamOn(port);
    upstreams.push(upstream);
    await d.waitFor((e) => e.event === 'delivered', accepted.length, 60_000);
    expect(upstream.received.map((r) => r.sha256).sort()).toEqual(accepted.map((a) => sha256(a.body)).sort());
    // Delivered, deleted, room again.
    expect((await postRaw(d.url, randomBytes(1000))).status).toBe(200);
  });
});

describe('dev: the native module', () => {
  const hook = { NODE_OPTIONS: `--require ${join(process.cwd(), 'test/helpers/native-hook.cjs')}` };

  it('is never loaded by --help or an AWS command', async () => {
    for (const args of [['--help'], ['dev', '--help'], ['status', 'nope', '--region', 'us-east-1']]) {
      const r = await runBinAsync(args, { ...hook, AWS_ENDPOINT_URL: 'http://127.0.0.1:9' });
      expect(r.stderr, args.join(' ')).not.toMatch(/dlopen .*better_sqlite3/);
    }
    // The hook does see it where it is used.
    const d = await dev(['--upstream', `http://127.0.0.1:${await closedPort()}/`], hook);
    expect(d.stderr()).toMatch(/dlopen .*better_sqlite3\.node/);
  });

  it('cannot be loaded: exit 1 saying why and how to fix it; --memory still runs', async () => {
    const env = { ...hook, WP_TEST_BREAK_SQLITE: '1' };
    const upstream = `http://127.0.0.1:${await closedPort()}/`;
    const r = await runBinAsync(['dev', '--port', '0', '--upstream', upstream], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/better-sqlite3, which could not be loaded \(.*different Node\.js version/);
    expect(r.stderr).toContain('npm rebuild better-sqlite3');
    expect(r.stderr).toContain('--memory');
    const d = await dev(['--upstream', upstream, '--memory'], env);
    expect((await post(d.url, 'x')).status).toBe(200);
  });
});
