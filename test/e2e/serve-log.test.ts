/**
 * The JSON log under load (issue 13): `serve`'s stdout (and `dev --json`'s) is a pipe its reader may
 * stop reading. Here the reader reads nothing at all while 2,000 webhooks are delivered: delivery must
 * not wait for the log. Then the stop signal, and only then the reader catches up: every line must
 * come out (a `delivered` line per webhook, or counted in a `log-dropped` line), each one JSON, the
 * `stopped` line last, exit 0. Lines still queued in the process when it exits are lost, so this
 * fails if the exit does not wait for the log.
 */
import type { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { HEALTH_PATH } from '../../src/local/http-server.js';
import { spawnBin } from '../helpers/bin.js';
import { freePort } from './crash-harness.js';
import { blast } from './dev-harness.js';
import { get, serveFixture } from './serve-fixture.js';

const f = serveFixture();
const children: ReturnType<typeof spawnBin>[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

/** Everything a stream gives from now until it ends. */
function readAll(stream: Readable): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (c: string) => (text += c));
    stream.on('end', () => resolve(text));
    // Explicitly paused: a 'data' listener alone does not start the flow again.
    stream.resume();
  });
}

async function untilHealthy(url: string): Promise<void> {
  for (;;) {
    const ok = await get(`${url}${HEALTH_PATH}`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Start `command` with its stdout unread, send `count` webhooks, stop it with `signal`, then read. */
async function stalledRun(command: string[], count: number, signal: NodeJS.Signals) {
  const upstream = await f.startUpstream();
  const port = await freePort();
  const child = spawnBin([...command, '--upstream', upstream.url, '--memory', '--port', String(port)]);
  children.push(child);
  // Nobody reads stdout yet: once the pipe's buffer (64 KiB on Linux) is full, every line waits.
  child.stdout.pause();
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const url = `http://127.0.0.1:${port}`;
  await untilHealthy(url);

  const webhooks = Array.from({ length: count }, (_, n) => ({ body: `{"n":${n}}` }));
  const answers = await blast(url, webhooks, 16);
  expect(answers.filter((a) => a.status !== 200)).toEqual([]);
  // Delivered while the log is stalled: delivery does not wait on stdout.
  while (upstream.received.length < count) {
    if (child.exitCode !== null) throw new Error(`exited early (${child.exitCode}):\n${stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill(signal);
  // The reader stays away a while longer, past the 3 s after which the entry point exits even with
  // output pending (bin/webhook-proxy.js): a command that returns before its log is written loses
  // what the pipe has not taken, and the counts below miss.
  await new Promise((r) => setTimeout(r, 4_000));
  const out = readAll(child.stdout);
  const code = await exited;
  const text = await out;
  return { code, text, stderr, ids: answers.map((a) => a.id!) };
}

function checkLog(run: Awaited<ReturnType<typeof stalledRun>>) {
  expect(run.code, run.stderr).toBe(0);
  expect(run.text.endsWith('\n')).toBe(true);
  const events = run.text
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as { event: string; id?: string; count?: number });
  const delivered = events.filter((e) => e.event === 'delivered').map((e) => e.id!);
  const dropped = events.filter((e) => e.event === 'log-dropped').reduce((sum, e) => sum + e.count!, 0);
  expect(new Set(delivered).size).toBe(delivered.length);
  for (const id of delivered) expect(run.ids).toContain(id);
  expect(delivered.length + dropped).toBe(run.ids.length);
  // 2,000 lines are far under the writer's bound (4 MiB): none may be dropped here.
  expect(dropped).toBe(0);
  expect(events.at(-1)).toMatchObject({ event: 'stopped', queued: 0 });
  return events;
}

describe('the JSON log with a stalled reader', () => {
  it('serve keeps delivering while its stdout is not read, and after SIGTERM writes every line, the stop last', async () => {
    const run = await stalledRun(['serve'], 2_000, 'SIGTERM');
    const events = checkLog(run);
    expect(events.at(-2)!.event).toBe('stopping');
    await f.done();
  });

  it('dev --json does the same on SIGINT (Ctrl-C)', async () => {
    const run = await stalledRun(['dev', '--json'], 2_000, 'SIGINT');
    checkLog(run);
    await f.done();
  });
});
