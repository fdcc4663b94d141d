/**
 * The runbook commands on a local proxy (issue 13): `status|peek|redrive|purge|pause|resume|scale|drain
 * --local` (or --data-dir) with the built binary, against a stopped proxy (a queue.db filled through
 * SqliteQueue itself) and a running `dev --data-dir`.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeEnvelope } from '../../src/envelope.js';
import { openStoreDb } from '../../src/local/store/open.js';
import { SqliteQueue } from '../../src/local/store/sqlite-queue.js';
import { runBinAsync, spawnBin } from '../helpers/bin.js';
import { tempDataDir } from '../helpers/data-dir.js';
import { numberedEnvelope as envelope } from '../helpers/proxy-fixture.js';
import { startUpstream } from '../helpers/upstream.js';
import { ensureBuilt, post, startDev, type DevProcess } from './dev-harness.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The CLI with WEBHOOK_PROXY_DATA_DIR set; --json output parsed when it is JSON. */
async function cli(base: string, args: string[]) {
  const r = await runBinAsync(args, { WEBHOOK_PROXY_DATA_DIR: base });
  let json: unknown;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = undefined;
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { ...r, json: json as any };
}

beforeAll(ensureBuilt, 180_000);

describe('no local proxy', () => {
  it('says which directory has no store and how to start one', async () => {
    const base = tempDataDir();
    const r = await cli(base, ['status', 'stripe', '--local']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(join(base, 'stripe'));
    expect(r.stderr).toContain('no queue.db');
    expect(r.stderr).toContain('webhook-proxy dev --name stripe --upstream URL');
    const dir = join(base, 'elsewhere');
    const p = await cli(base, ['peek', '--data-dir', dir]);
    expect(p.code).toBe(1);
    expect(p.stderr).toContain(dir);
  });
});

describe('a stopped local proxy', () => {
  const base = tempDataDir();
  const dataDir = join(base, 'default');
  const ids: string[] = [];
  const dead: string[] = [];

  beforeAll(async () => {
    // What a dev that stopped (or was killed) leaves: 3 waiting, 1 in flight, 1 delayed, 2 in the DLQ.
    const db = await openStoreDb({ dataDir });
    const q = new SqliteQueue(db, { visibilityTimeout: 600, maxReceiveCount: 5 });
    for (let n = 0; n < 7; n++) ids.push(envelope(n).id);
    const bodies = ids.map((_id, n) => encodeEnvelope({ ...envelope(n), id: ids[n]! }));
    await Promise.all(bodies.slice(0, 4).map((b) => q.send(b)));
    const [leased] = await q.receive({ max: 1, waitSeconds: 0 });
    expect(leased).toBeDefined();
    await q.sendDelayed(bodies[4]!, 600);
    await q.deadLetter(bodies[5]!);
    await q.deadLetter(bodies[6]!);
    dead.push(ids[5]!, ids[6]!);
    await q.close();
  });

  it('status shows the counts, no server and the stopped state (text and --json)', async () => {
    const r = await cli(base, ['status', '--local', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({
      name: 'default',
      region: 'local',
      endpoint: null,
      delivery: { state: 'stopped' },
      queue: { visible: 3, inFlight: 1, delayed: 1 },
      dlq: { visible: 2 },
      local: { dataDir, server: null },
    });
    const text = await cli(base, ['status', '--data-dir', dataDir]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('STOPPED');
    expect(text.stdout).toContain('server     not running');
    expect(text.stdout).toContain('3 waiting, 1 in flight, 1 delayed');
    expect(text.stdout).toContain('webhook-proxy peek default --local --dlq');
  });

  it('peek shows webhooks without consuming them (attempts unchanged however often)', async () => {
    const first = await cli(base, ['peek', '--local', '--json']);
    expect(first.code, first.stderr).toBe(0);
    const again = await cli(base, ['peek', '--local', '--json', '--limit', '100']);
    expect(again.json).toEqual(first.json);
    expect(first.json.map((m: { id: string }) => m.id)).toEqual(ids.slice(0, 5));
    expect(first.json.map((m: { attempts: number }) => m.attempts)).toEqual([1, 0, 0, 0, 0]);
    expect(first.json[2]).toMatchObject({ method: 'POST', path: '/hook/2', bodyPreview: '{"n":2}' });
    const dlq = await cli(base, ['peek', '--local', '--dlq', '--json']);
    expect(dlq.json.map((m: { id: string }) => m.id)).toEqual(dead);
    const status = await cli(base, ['status', '--local', '--json']);
    expect(status.json.queue).toMatchObject({ visible: 3, inFlight: 1, delayed: 1 });
  });

  it('pause, resume and scale are kept in the settings for the next server', async () => {
    const p = await cli(base, ['pause', '--local', '--json']);
    expect(p.code, p.stderr).toBe(0);
    expect(p.json).toMatchObject({ name: 'default', delivery: { state: 'paused' }, applied: 'no-server' });
    expect((await cli(base, ['status', '--local', '--json'])).json.delivery.state).toBe('paused');
    const again = await cli(base, ['pause', '--local']);
    expect(again.stdout).toContain('(it already was)');
    const s = await cli(base, ['scale', '--local', '--concurrency', '3', '--rate', '7', '--json']);
    expect(s.json).toMatchObject({ delivery: { concurrency: 3, rate: 7 }, changed: ['settings'] });
    const kept = await cli(base, ['scale', '--local', '--rate', 'none', '--json']);
    expect(kept.json.delivery).toEqual({ concurrency: 3, rate: null, adaptive: false });
    const r = await cli(base, ['resume', '--local', '--json']);
    expect(r.json.delivery.state).toBe('stopped');
    const st = (await cli(base, ['status', '--local', '--json'])).json;
    expect(st.delivery).toMatchObject({ state: 'stopped', concurrency: 3, rate: null });
  });

  it('drain says at once that no server is running', async () => {
    const r = await cli(base, ['drain', '--local', '--timeout', '60']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`no server is running on ${dataDir}`);
    expect(r.stderr).toContain('webhook-proxy dev');
  });

  it('redrive moves DLQ messages back with the same message, --limit first', async () => {
    const one = await cli(base, ['redrive', '--local', '--limit', '1', '--json']);
    expect(one.code, one.stderr).toBe(0);
    expect(one.json).toEqual({ name: 'default', moved: 1, path: 'local' });
    const rest = await cli(base, ['redrive', '--local', '--json']);
    expect(rest.json.moved).toBe(1);
    const queue = (await cli(base, ['peek', '--local', '--json', '--limit', '100'])).json;
    const back = queue.filter((m: { id: string }) => dead.includes(m.id));
    expect(back.map((m: { id: string }) => m.id)).toEqual(dead);
    expect(back[0]).toMatchObject({ path: '/hook/5', bodyPreview: '{"n":5}', attempts: 0 });
    const st = (await cli(base, ['status', '--local', '--json'])).json;
    expect(st.dlq.visible).toBe(0);
    expect(st.queue.visible).toBe(5);
  });

  it('purge asks for --yes, then deletes the queue (the DLQ apart)', async () => {
    const no = await cli(base, ['purge', '--local']);
    expect(no.code).toBe(2);
    expect(no.stderr).toContain('--yes');
    const emptyDlq = await cli(base, ['purge', '--local', '--dlq', '--yes', '--json']);
    expect(emptyDlq.json).toEqual({ name: 'default', queue: 'dlq', purged: 0 });
    const r = await cli(base, ['purge', '--local', '--yes', '--json']);
    expect(r.json).toEqual({ name: 'default', queue: 'queue', purged: 7 });
    const st = (await cli(base, ['status', '--local', '--json'])).json;
    expect(st.queue).toMatchObject({ visible: 0, inFlight: 0, delayed: 0 });
  });
});

describe('several local proxies under the data root', () => {
  const base = tempDataDir();

  beforeAll(async () => {
    // alpha: 2 queued; beta: 1 queued, 1 in the DLQ; beside them what is not a proxy's directory.
    for (const [name, queued, dead] of [
      ['alpha', 2, 0],
      ['beta', 1, 1],
      ['Not_A_Name', 1, 0],
    ] as const) {
      const q = new SqliteQueue(await openStoreDb({ dataDir: join(base, name) }), {
        visibilityTimeout: 600,
        maxReceiveCount: 5,
      });
      for (let n = 0; n < queued; n++) await q.send(encodeEnvelope(envelope(n)));
      for (let n = 0; n < dead; n++) await q.deadLetter(encodeEnvelope(envelope(n)));
      await q.close();
    }
    mkdirSync(join(base, 'gamma')); // no store in it
  });

  it('status --local without a name shows each of them (text and --json)', async () => {
    const r = await cli(base, ['status', '--local', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject([
      { name: 'alpha', region: 'local', queue: { visible: 2 }, dlq: { visible: 0 } },
      { name: 'beta', region: 'local', queue: { visible: 1 }, dlq: { visible: 1 } },
    ]);
    expect(r.json).toHaveLength(2);
    const text = await cli(base, ['status', '--local']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('alpha');
    expect(text.stdout).toContain('beta');
    // A name still picks one.
    expect((await cli(base, ['status', 'beta', '--local', '--json'])).json).toMatchObject({ name: 'beta' });
  });

  it('list --local has a row each, stopped, with its data directory', async () => {
    const r = await cli(base, ['list', '--local', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toEqual([
      {
        name: 'alpha',
        endpoint: null,
        customUrl: null,
        upstream: null,
        queued: 2,
        dlq: 0,
        state: 'stopped',
        dataDir: join(base, 'alpha'),
      },
      {
        name: 'beta',
        endpoint: null,
        customUrl: null,
        upstream: null,
        queued: 1,
        dlq: 1,
        state: 'stopped',
        dataDir: join(base, 'beta'),
      },
    ]);
    const text = await cli(base, ['list', '--local']);
    expect(text.stdout.split('\n')[0]).toMatch(/^NAME\s+STATE\s+QUEUED\s+DLQ/);
    expect(text.stdout).toMatch(/beta\s+stopped\s+1\s+1/);
  });

  it('with none there: list --local says so, status --local says how to start one', async () => {
    const empty = tempDataDir();
    const l = await cli(empty, ['list', '--local']);
    expect(l.code).toBe(0);
    expect(l.stdout).toContain(`No webhook proxies in the local data root ${empty}.`);
    const s = await cli(empty, ['status', '--local']);
    expect(s.code).toBe(1);
    expect(s.stderr).toContain('No local proxy "default"');
  });

  it('with just one, status --local shows that one, whatever its name', async () => {
    const one = tempDataDir();
    (await openStoreDb({ dataDir: join(one, 'stripe') })).close();
    const r = await cli(one, ['status', '--local', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ name: 'stripe', local: { dataDir: join(one, 'stripe') } });
    // --watch too (one line per refresh without a terminal): stopped at its first line.
    const watch = spawnBin(['status', '--local', '--watch', '--interval', '0.5'], {
      WEBHOOK_PROXY_DATA_DIR: one,
    });
    const line = await new Promise<string>((resolve, reject) => {
      watch.stdout.once('data', (d: Buffer) => resolve(d.toString()));
      watch.once('exit', (code) => reject(new Error(`status --watch exited (${code}) before a line`)));
    });
    watch.kill('SIGINT');
    expect(line).toMatch(/ stripe stopped waiting=0/);
  });
});

describe('scale --local --adaptive', () => {
  it('on a stopped proxy is kept for the next start; on a running one it applies live, --no-adaptive too', async () => {
    const base = tempDataDir();
    const dataDir = join(base, 'default');
    (await openStoreDb({ dataDir })).close();
    const saved = await cli(base, ['scale', '--local', '--adaptive', '--json']);
    expect(saved.code, saved.stderr).toBe(0);
    expect(saved.json).toMatchObject({ delivery: { adaptive: true }, applied: 'no-server' });
    expect((await cli(base, ['status', '--local', '--json'])).json.delivery.adaptive).toBe(true);

    const upstream = await startUpstream((_r, res) => res.end('ok'));
    // Started without --adaptive: the stored setting decides, and the server says so at start.
    const dev = await startDev(['--data-dir', dataDir, '--upstream', upstream.url], {
      WEBHOOK_PROXY_DATA_DIR: base,
    });
    try {
      await dev.waitFor((e) => e.event === 'settings' && e.adaptive === true, 1, 10_000);
      const running = (await cli(base, ['status', '--local', '--json'])).json;
      expect(running).toMatchObject({
        delivery: { adaptive: true },
        local: { server: { pid: dev.child.pid } },
      });

      const off = await cli(base, ['scale', '--local', '--no-adaptive', '--json']);
      expect(off.json).toMatchObject({
        delivery: { adaptive: false },
        changed: ['settings'],
        applied: 'applied',
      });
      await dev.waitFor((e) => e.event === 'settings' && e.adaptive === false, 1, 10_000);
      expect((await cli(base, ['status', '--local', '--json'])).json.delivery.adaptive).toBe(false);
      const on = await cli(base, ['scale', '--local', '--adaptive']);
      expect(on.code, on.stderr).toBe(0);
      expect(on.stdout).toContain('adaptive');
      expect(on.stdout).toContain(`applied by the running server (pid ${dev.child.pid})`);
      // Still delivers, adaptive.
      expect((await post(dev.url, '{"a":1}')).status).toBe(200);
      await dev.waitFor((e) => e.event === 'delivered', 1, 10_000);
    } finally {
      expect(await dev.stop('SIGTERM')).toBe(0);
      await upstream.close();
    }
  }, 60_000);

  it('--no-adaptive undoes a start with --adaptive, even when the store said false before', async () => {
    const base = tempDataDir();
    const dataDir = join(base, 'default');
    (await openStoreDb({ dataDir })).close();
    expect((await cli(base, ['scale', '--local', '--no-adaptive', '--json'])).json.delivery.adaptive).toBe(
      false,
    );
    const upstream = await startUpstream((_r, res) => res.end('ok'));
    const dev = await startDev(['--data-dir', dataDir, '--upstream', upstream.url, '--adaptive'], {
      WEBHOOK_PROXY_DATA_DIR: base,
    });
    try {
      // The flag wins over the old stored false.
      expect((await cli(base, ['status', '--local', '--json'])).json.delivery.adaptive).toBe(true);
      const off = await cli(base, ['scale', '--local', '--no-adaptive', '--json']);
      expect(off.json).toMatchObject({ delivery: { adaptive: false }, applied: 'applied' });
    } finally {
      expect(await dev.stop('SIGTERM')).toBe(0);
      await upstream.close();
    }
  }, 60_000);
});

describe('a running local proxy (dev --data-dir)', () => {
  const base = tempDataDir();
  const dataDir = join(base, 'runner');
  let failing = true;
  let dev: DevProcess;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  const local = ['--data-dir', dataDir];

  beforeAll(async () => {
    upstream = await startUpstream((_r, res) => {
      res.statusCode = failing ? 500 : 200;
      res.end();
    });
    dev = await startDev(
      ['--data-dir', dataDir, '--upstream', upstream.url, '--max-attempts', '1', '--concurrency', '2'],
      { WEBHOOK_PROXY_DATA_DIR: base },
    );
  }, 60_000);
  afterAll(async () => {
    await dev?.stop();
    await upstream?.close();
  });

  it('status names the server, its URL and upstream', async () => {
    const r = await cli(base, ['status', ...local, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({
      endpoint: dev.url,
      upstream: `${upstream.url}/`,
      delivery: { state: 'enabled', concurrency: 2, rate: null },
      local: { dataDir, server: { pid: dev.child.pid, url: dev.url } },
    });
  });

  it('dead-lettered webhooks are peeked and redriven to the upstream with the same id', async () => {
    const sent = await Promise.all([1, 2].map((n) => post(`${dev.url}/dead/${n}`, `{"dead":${n}}`)));
    await dev.waitFor((e) => e.event === 'dead-lettered', 2);
    const dlq = (await cli(base, ['peek', ...local, '--dlq', '--json'])).json;
    expect(dlq.map((m: { id: string }) => m.id).sort()).toEqual(sent.map((s) => s.id).sort());
    // --max-attempts 1: each was tried once before it was dead-lettered.
    expect(dlq.map((m: { attempts: number }) => m.attempts)).toEqual([1, 1]);
    failing = false;
    const r = await cli(base, ['redrive', ...local, '--json']);
    expect(r.json.moved).toBe(2);
    await dev.waitFor((e) => e.event === 'delivered', 2);
    // Without --preserve-path the upstream URL is the same for all: the bodies tell them apart.
    const got = upstream.received.filter(
      (q) => q.body.toString().startsWith('{"dead"') && q.headers['x-webhook-proxy-attempt'] === '1',
    );
    const delivered = dev.events.filter((e) => e.event === 'delivered').map((e) => e.id);
    expect(delivered.sort()).toEqual(sent.map((s) => s.id).sort());
    expect(new Set(got.map((q) => q.headers['x-webhook-proxy-id']))).toEqual(new Set(sent.map((s) => s.id)));
  }, 60_000);

  it('pause holds delivery (the server confirms), drain refuses while paused, resume and drain empty it', async () => {
    const p = await cli(base, ['pause', ...local, '--json']);
    expect(p.json).toMatchObject({ delivery: { state: 'paused' }, applied: 'applied' });
    const before = upstream.received.length;
    const sent = await Promise.all([1, 2, 3].map((n) => post(`${dev.url}/held/${n}`, `{"held":${n}}`)));
    expect(sent.every((s) => s.status === 200)).toBe(true);
    await sleep(1500);
    expect(upstream.received.length).toBe(before);
    const st = (await cli(base, ['status', ...local, '--json'])).json;
    expect(st.delivery.state).toBe('paused');
    expect(st.queue.visible).toBe(3);
    const d = await cli(base, ['drain', ...local]);
    expect(d.code).toBe(1);
    expect(d.stderr).toContain('delivery is paused');
    const r = await cli(base, ['resume', ...local, '--json']);
    expect(r.json).toMatchObject({ delivery: { state: 'enabled' }, applied: 'applied' });
    const drained = await cli(base, ['drain', ...local, '--timeout', '30', '--interval', '0.2', '--json']);
    expect(drained.code, drained.stderr).toBe(0);
    expect(drained.json).toMatchObject({ drained: true });
    expect(upstream.received.filter((q) => q.body.toString().startsWith('{"held"'))).toHaveLength(3);
  }, 60_000);

  it('scale changes the running limits live: one delivery at a time after --concurrency 1', async () => {
    const s = await cli(base, ['scale', ...local, '--concurrency', '1', '--json']);
    expect(s.json).toMatchObject({ delivery: { concurrency: 1, rate: null }, applied: 'applied' });
    await dev.waitFor((e) => e.event === 'settings' && e.concurrency === 1);
    // A slow upstream now: with one slot, never two requests on the wire at once.
    let inFlight = 0;
    let most = 0;
    upstream.server.removeAllListeners('request');
    upstream.server.on('request', (req, res) => {
      inFlight++;
      most = Math.max(most, inFlight);
      req.resume();
      setTimeout(() => {
        inFlight--;
        res.end('ok');
      }, 100);
    });
    await Promise.all([1, 2, 3, 4, 5, 6].map((n) => post(`${dev.url}/slow/${n}`, `{"n":${n}}`)));
    const drained = await cli(base, ['drain', ...local, '--timeout', '30', '--interval', '0.2', '--json']);
    expect(drained.json.drained).toBe(true);
    expect(most).toBe(1);
    const st = (await cli(base, ['status', ...local, '--json'])).json;
    expect(st.delivery).toMatchObject({ concurrency: 1 });
  }, 60_000);

  it('drain --concurrency boosts the running server for the drain and restores the setting after', async () => {
    await cli(base, ['scale', ...local, '--concurrency', '1']);
    // 20 webhooks of 200 ms each, one at a time: about 4 s, longer than the drain takes to start.
    upstream.server.removeAllListeners('request');
    upstream.server.on('request', (req, res) => {
      req.resume();
      setTimeout(() => res.end('ok'), 200);
    });
    await Promise.all(Array.from({ length: 20 }, (_x, n) => post(`${dev.url}/boost/${n}`, `{"boost":${n}}`)));
    const d = await cli(base, [
      'drain',
      ...local,
      '--concurrency',
      '3',
      '--interval',
      '0.2',
      '--timeout',
      '30',
      '--json',
    ]);
    expect(d.code, d.stderr).toBe(0);
    expect(d.json.drained).toBe(true);
    const settings = () => dev.events.filter((e) => e.event === 'settings');
    const boosted = settings().findIndex((e) => e.concurrency === 3);
    expect(boosted).toBeGreaterThanOrEqual(0);
    expect((await cli(base, ['status', ...local, '--json'])).json.delivery.concurrency).toBe(1);
    // The server applies the restored value too.
    await dev.waitFor(
      () =>
        settings()
          .slice(boosted + 1)
          .some((e) => e.concurrency === 1),
      1,
      10_000,
    );
  }, 60_000);

  it('a pause mid-batch lets the batch finish: no receive is counted without an attempt', async () => {
    // --max-attempts 1 and one slot (scaled above), 200 ms per delivery: a pause that handed the rest
    // of the batch back would dead-letter it on its next receive, never attempted.
    await cli(base, ['scale', ...local, '--concurrency', '1']);
    const deadBefore = dev.events.filter((e) => e.event === 'dead-lettered').length;
    const sent = await Promise.all(
      Array.from({ length: 8 }, (_x, n) => post(`${dev.url}/mid/${n}`, `{"mid":${n}}`)),
    );
    await dev.waitFor((e) => e.event === 'delivered' && sent.some((x) => x.id === e.id));
    const p = await cli(base, ['pause', ...local, '--json']);
    expect(p.json.applied).toBe('applied');
    await cli(base, ['resume', ...local]);
    const d = await cli(base, ['drain', ...local, '--interval', '0.2', '--timeout', '30', '--json']);
    expect(d.json.drained).toBe(true);
    expect(dev.events.filter((e) => e.event === 'dead-lettered').length).toBe(deadBefore);
    const delivered = new Set(dev.events.filter((e) => e.event === 'delivered').map((e) => e.id));
    expect(sent.every((x) => delivered.has(x.id))).toBe(true);
  }, 60_000);

  it('a pause is kept across a restart of the server until resume', async () => {
    await cli(base, ['pause', ...local]);
    expect(await dev.stop()).toBe(0);
    const stopped = (await cli(base, ['status', ...local, '--json'])).json;
    expect(stopped.delivery.state).toBe('paused');
    expect(stopped.local.server).toBeNull();
    dev = await startDev(['--data-dir', dataDir, '--upstream', upstream.url], {
      WEBHOOK_PROXY_DATA_DIR: base,
    });
    await dev.waitFor((e) => e.event === 'settings' && e.paused === true);
    // The kept pause names the command that resumes this proxy, not a bare `resume --local` ("default").
    const kept = dev.events.find((e) => e.event === 'settings' && e.paused === true);
    expect(kept?.resume).toBe(`webhook-proxy resume default --data-dir ${dataDir}`);
    const r = await cli(base, ['resume', ...local, '--json']);
    expect(r.json.applied).toBe('applied');
    await dev.waitFor((e) => e.event === 'settings' && e.paused === false);
  }, 60_000);

  it('peek, list and purge on the running server: paused, its held webhooks are seen, then purged, none delivered', async () => {
    await cli(base, ['pause', ...local]);
    await dev.waitFor((e) => e.event === 'settings' && e.paused === true, 2);
    const before = upstream.received.length;
    const sent = await Promise.all([1, 2].map((n) => post(`${dev.url}/purged/${n}`, `{"purged":${n}}`)));
    const peeked = (await cli(base, ['peek', ...local, '--json'])).json as { id: string }[];
    expect(peeked.map((m) => m.id).sort()).toEqual(sent.map((x) => x.id).sort());
    const listed = (await cli(base, ['list', '--local', '--json'])).json;
    expect(listed).toEqual([expect.objectContaining({ name: 'runner', state: 'paused', queued: 2 })]);
    const r = await cli(base, ['purge', ...local, '--yes', '--json']);
    expect(r.json).toMatchObject({ queue: 'queue', purged: 2 });
    await cli(base, ['resume', ...local]);
    await dev.waitFor((e) => e.event === 'settings' && e.paused === false, 2);
    const st = (await cli(base, ['status', ...local, '--json'])).json;
    expect(st.queue).toMatchObject({ visible: 0, inFlight: 0, delayed: 0 });
    // The running server holds nothing of them: a second later, still nothing went to the upstream.
    await sleep(1000);
    expect(upstream.received.length).toBe(before);
  }, 60_000);
});
