/**
 * The dashboard's counts, the runtime in-process against a real upstream on 127.0.0.1 and the real
 * store. `dev`'s "in flight" is the requests on the wire, never more than --concurrency: a deliver
 * invocation takes a batch of up to 10 and sends it one record after another, so counting every
 * record handed out showed 18 "in flight" at --concurrency 2. "retrying" and "delayed" are read from
 * the store (issue 13: a Set of failed ids grew with every failing webhook), so a restart still
 * shows the retries it found, and held webhooks are apart from the queued ones.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { localStoreFromOptions } from '../../src/commands/local-options.js';
import { startDev, type DevRuntime, type DevSettings } from '../../src/local/runtime.js';
import type { DevSnapshot } from '../../src/local/stats.js';
import { tempDataDir } from '../helpers/data-dir.js';
import { startUpstream } from '../helpers/upstream.js';

let runtime: DevRuntime | undefined;
let upstream: Awaited<ReturnType<typeof startUpstream>> | undefined;
afterEach(async () => {
  await runtime?.stop();
  await upstream?.close();
});

describe('dev in flight', () => {
  it('at --concurrency 2 with a slow upstream: in flight ≤ 2, the rest counted as queued', async () => {
    upstream = await startUpstream(async (_r, res) => {
      await new Promise((r) => setTimeout(r, 150));
      res.end('ok');
    });
    runtime = await startDev(
      {
        upstream: upstream.url,
        host: '127.0.0.1',
        port: 0,
        concurrency: 2,
        maxAttempts: 5,
        backoffBase: 0.1,
        backoffMax: 1,
        timeout: 5,
        batchSize: 10,
        preservePath: false,
        responseStatus: 200,
      },
      () => undefined,
    );
    const total = 24;
    await Promise.all(
      Array.from({ length: total }, (_x, i) =>
        fetch(runtime!.url, { method: 'POST', body: `{"n":${i}}` }).then((r) => r.text()),
      ),
    );
    const seen: { inFlight: number; queued: number; delivered: number }[] = [];
    for (let i = 0; i < 400; i++) {
      const s = await runtime.snapshot();
      seen.push({ inFlight: s.inFlight, queued: s.queued, delivered: s.delivered });
      if (s.delivered === total) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(seen.at(-1)!.delivered).toBe(total);
    expect(Math.max(...seen.map((s) => s.inFlight))).toBeLessThanOrEqual(2);
    // It did count what was on the wire (not 0 throughout), and what waited was queued, not lost.
    expect(seen.some((s) => s.inFlight === 2)).toBe(true);
    for (const s of seen) expect(s.inFlight + s.queued + s.delivered).toBeLessThanOrEqual(total);
    expect(seen.some((s) => s.queued > 0 && s.inFlight > 0)).toBe(true);
    expect(upstream.maxInFlight).toBeLessThanOrEqual(2);
  });
});

describe('dev retrying and delayed', () => {
  const settings = (upstreamUrl: string, dataDir: string): DevSettings => ({
    upstream: upstreamUrl,
    host: '127.0.0.1',
    port: 0,
    concurrency: 2,
    maxAttempts: 5,
    // Long enough that a failed webhook is still backing off when the test looks.
    backoffBase: 60,
    backoffMax: 60,
    timeout: 5,
    batchSize: 10,
    preservePath: false,
    responseStatus: 200,
    store: localStoreFromOptions({ dataDir }),
  });
  const post = (n: number) =>
    Promise.all(
      Array.from({ length: n }, (_x, i) =>
        fetch(runtime!.url, { method: 'POST', body: `{"n":${i}}` }).then((r) => r.text()),
      ),
    );
  const until = async (ok: (s: DevSnapshot) => boolean) => {
    let s = await runtime!.snapshot();
    for (let i = 0; i < 200 && !ok(s); i++) {
      await new Promise((r) => setTimeout(r, 25));
      s = await runtime!.snapshot();
    }
    return s;
  };

  it('counts failed webhooks backing off from the store, also after a restart', async () => {
    upstream = await startUpstream((_r, res) => res.writeHead(500).end('broken'));
    const dataDir = tempDataDir();
    runtime = await startDev(settings(upstream.url, dataDir), () => undefined);
    await post(6);
    let s = await until((x) => x.retrying === 6);
    expect(s).toMatchObject({ retrying: 6, queued: 0, delayed: 0, inFlight: 0, delivered: 0 });
    await runtime.stop();
    // A new process knows nothing of the failures it did not see: the store does.
    runtime = await startDev(settings(upstream.url, dataDir), () => undefined);
    s = await runtime.snapshot();
    expect(s).toMatchObject({ retrying: 6, queued: 0, delayed: 0, received: 0 });
  });

  it('shows webhooks held through an outage as delayed, apart from queued and retrying', async () => {
    // 503s from an upstream never seen answering: an outage, so each is held (a delayed copy),
    // its attempt not counted.
    upstream = await startUpstream((_r, res) => res.writeHead(503).end('down'));
    runtime = await startDev(settings(upstream.url, tempDataDir()), () => undefined);
    await post(5);
    const s = await until((x) => x.delayed === 5);
    expect(s).toMatchObject({ delayed: 5, queued: 0, retrying: 0, inFlight: 0 });
  });
});
