/**
 * The built `webhook-proxy dev` at its edges: bad flags (exit 2, one clear message), a busy port, an
 * upstream that is down at start (a warning, and webhooks still queue), a webhook too large for SQS,
 * a stop with webhooks still queued (kept in the data directory), and plain lines when stderr is not a terminal.
 */
import { createServer, type Server } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { runBin, spawnBin } from '../helpers/bin.js';
import { closedPort } from '../helpers/net.js';
import { ensureBuilt, post, startDev } from './dev-harness.js';

beforeAll(ensureBuilt);

const run = (...args: string[]) => runBin(['dev', ...args], {}, { timeout: 20_000 });

describe('dev flags', () => {
  it.each([
    [[], /dev needs --upstream/],
    [['--upstream', 'localhost:3000'], /--upstream must/],
    [['--upstream', 'http://localhost:3000', '--concurrency', '0'], /--concurrency must be a whole number from 1 to 1000/],
    [['--upstream', 'http://localhost:3000', '--rate', 'fast'], /--rate must be a number/],
    [['--upstream', 'http://localhost:3000', '--backoff-base', '10', '--backoff-max', '1'], /--backoff-max \(1\) must not be below/],
    [['--upstream', 'http://localhost:3000', '--timeout', '600', '--batch-size', '100'], /--batch-size 100 cannot be delivered within Lambda's 15-minute limit/],
    [['--upstream', 'http://localhost:3000', '--port', '70000'], /--port must be/],
  ])('refuses %j with exit 2', (args, message) => {
    const r = run(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  }); // prettier-ignore

  it('refuses a port already in use, and an upstream that is the proxy itself', async () => {
    const busy: Server = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const { port } = busy.address() as { port: number };
    const r = run('--upstream', 'http://localhost:3000', '--port', String(port));
    busy.close();
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`Port ${port} on 127.0.0.1 is already in use`));

    const free = await closedPort();
    const loop = run('--upstream', `http://127.0.0.1:${free}/hooks`, '--port', String(free));
    expect(loop.status).toBe(2);
    expect(loop.stderr).toMatch(/is this proxy itself/);
  });
});

describe('dev with its upstream down', () => {
  it('warns, still queues, refuses what SQS cannot hold, and says at stop what is kept and where', async () => {
    const dev = await startDev(['--upstream', `http://127.0.0.1:${await closedPort()}/hooks`]);
    for (let i = 0; i < 3; i++) {
      expect((await post(dev.url, `{"n":${i}}`, { 'content-type': 'application/json' })).status).toBe(200);
    }
    const big = await post(dev.url, Buffer.alloc(1_100_000, 0x61), { 'content-type': 'text/plain' });
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body)).toMatchObject({ error: 'payload_too_large' });
    await dev.waitFor((e) => e.event === 'retry', 3, 20_000);
    // Waited for: the event comes on stdout, the answer on the socket, in either order.
    const [rejected] = await dev.waitFor((e) => e.event === 'rejected', 1, 10_000);
    expect(rejected).toMatchObject({ status: 413 });
    expect(dev.stderr()).toMatch(/warning: the upstream .* does not answer \(ECONNREFUSED/);

    expect(await dev.stop('SIGINT')).toBe(0);
    expect(dev.events.at(-1)).toEqual({
      event: 'stopped',
      queued: 3,
      deadLettered: 0,
      lost: false,
      dataDir: dev.events[0]!.dataDir,
    });
    expect(dev.events[0]!.dataDir).toEqual(expect.any(String));
  });
});

describe('dev without --json on a pipe', () => {
  it('writes plain lines on stderr and nothing on stdout', async () => {
    const child = spawnBin(['dev', '--port', '0', '--upstream', `http://127.0.0.1:${await closedPort()}`]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const end = Date.now() + 10_000;
    while (!/listening on (http:\/\/\S+)/.test(stderr) && Date.now() < end)
      await new Promise((r) => setTimeout(r, 20));
    const url = /listening on (http:\/\/\S+)/.exec(stderr)![1]!;
    expect((await post(url, 'x=1')).status).toBe(200);
    child.kill('SIGTERM');
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(0);
    expect(stdout).toBe('');
    expect(stderr).toContain('Webhooks are kept on disk in');
    expect(stderr).toMatch(/Stopped\. 1 webhook still queued: kept in \//);
  });
});
