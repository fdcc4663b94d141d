/**
 * `logs --local NAME` on a local proxy, with the built binary: dev keeps its event log in its data
 * directory by default, so nothing has to be passed at start; `--event-log FILE` still works both
 * ways; the old `logs --local FILE` and a proxy that is not there are told what to write instead.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBinAsync } from '../helpers/bin.js';
import { tempDataDir } from '../helpers/data-dir.js';
import { startUpstream } from '../helpers/upstream.js';
import { ensureBuilt, post, startDev, type DevProcess } from './dev-harness.js';

type Upstream = Awaited<ReturnType<typeof startUpstream>>;
const base = tempDataDir();
const logs = (args: string[]) => runBinAsync(['logs', ...args], { WEBHOOK_PROXY_DATA_DIR: base });

let upstream: Upstream;
let dev: DevProcess | undefined;
const ids = { ok: '', failed: '' };

beforeAll(async () => {
  await ensureBuilt();
  // A body with "fail" is refused for good (a 400: the webhook's fault, where a 5xx could be read as an outage and
  // held uncounted): with --max-attempts 1 it goes straight to the DLQ.
  upstream = await startUpstream((r, res) => {
    res.statusCode = r.body.toString().includes('fail') ? 400 : 200;
    res.end();
  });
  dev = await startDev(['--name', 'shop', '--upstream', `${upstream.url}/`, '--max-attempts', '1'], {
    WEBHOOK_PROXY_DATA_DIR: base,
  });
  ids.ok = (await post(`${dev.url}/ok`, '{"n":1}')).id!;
  ids.failed = (await post(`${dev.url}/fail`, '{"fail":true}')).id!;
  await dev.waitFor((e) => e.event === 'delivered' && e.id === ids.ok);
  await dev.waitFor((e) => e.event === 'dead-lettered' && e.id === ids.failed);
}, 120_000);
afterAll(async () => {
  await dev?.stop();
  await upstream?.close();
});

describe('logs --local NAME', () => {
  it("reads the event log dev keeps in the proxy's data directory (nothing passed at start)", async () => {
    const file = join(base, 'shop', 'events.log');
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o077).toBe(0); // owner-only, like the store
    const r = await logs(['shop', '--local', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const entries = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id?: string; event?: string });
    const seen = new Set(entries.map((e) => e.id));
    expect(seen.has(ids.ok) && seen.has(ids.failed)).toBe(true);
  });

  it("--failed keeps the failure only; --id tells one webhook's story; --data-dir finds the same log", async () => {
    const failed = await logs(['shop', '--local', '--failed', '--json']);
    const failedIds = new Set(
      failed.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { id: string }).id),
    );
    expect([...failedIds]).toEqual([ids.failed]);
    const story = await logs(['shop', '--local', '--id', ids.failed]);
    expect(story.code, story.stderr).toBe(0);
    expect(story.stdout).toContain(ids.failed);
    // Its next step is for the local proxy, not for a proxy in AWS of that name.
    expect(story.stdout).toContain('webhook-proxy peek shop --dlq --local');
    expect(story.stdout).toContain('webhook-proxy redrive shop --local');
    const byDir = await logs(['--data-dir', join(base, 'shop'), '--json']);
    expect(byDir.stdout).toBe((await logs(['shop', '--local', '--json'])).stdout);
  });

  it('the old form, --local FILE, says to write --event-log FILE', async () => {
    const file = join(base, 'shop', 'events.log');
    const r = await logs(['--local', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--local takes the proxy's name, not a file");
    expect(r.stderr).toContain(`webhook-proxy logs --event-log ${file}`);
    const explicit = await logs(['--event-log', file, '--json']);
    expect(explicit.code, explicit.stderr).toBe(0);
    expect(explicit.stdout).toContain(ids.ok);
  });

  it('a proxy that is not there: which directory, and how to start one', async () => {
    const r = await logs(['nope', '--local']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`No local proxy "nope": there is no queue.db in ${join(base, 'nope')}`);
    expect(r.stderr).toContain('webhook-proxy dev --name nope --upstream URL');
    const missing = await logs(['--event-log', join(base, 'no-such.log')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`There is no event log at ${join(base, 'no-such.log')}`);
  });
});
