// The adaptive scenario (issue 14): an upstream with a capacity, driven by the built `webhook-proxy dev`
// at static --concurrency 1, 2, 4, 8, 16 (a sweep, to find the best and the worst static setting in
// this run) and by `dev --adaptive --concurrency 16`; then the upstream's capacity halves and the
// adaptive proxy must follow. Every figure is a ratio to something measured in the same run: goodput
// to the best static setting, p99 latency to the unloaded latency (the static-1 run's median).
// Shared by `npm run bench` (which reports the figures) and test/e2e/dev-adaptive.test.ts (which
// asserts on them), so the test and the benchmark measure the same thing the same way.
import { createServer } from 'node:http';
import { Agent, request } from 'node:http';
import { startDevProcess } from './dev-process.mjs';
import { median, percentile, ratio, round, sleep } from './lib.mjs';

/**
 * An upstream with a capacity, on 127.0.0.1: `workers` requests are served at once, each in
 * `serviceMs`; the rest wait in line (so latency grows with the load); a request that arrives while
 * `rejectAt` are already in (served or waiting) is answered 503 at once. Throughput is capped at
 * workers / serviceMs whatever the load: past `workers` in flight, more concurrency only adds latency
 * (and past `rejectAt`, 503s). `setCapacity` changes it live (a deploy, a noisy neighbour).
 */
export async function startCapacityUpstream({ workers = 4, serviceMs = 20, rejectAt = 10 } = {}) {
  let cap = { workers, rejectAt };
  let busy = 0;
  let inside = 0;
  let maxInside = 0;
  const waiting = [];
  /** One entry per answered request: arrival (performance.now()), status, time inside (ms). */
  const log = [];
  const next = () => {
    while (busy < cap.workers && waiting.length) waiting.shift()();
  };
  const server = createServer((req, res) => {
    const at = performance.now();
    req.resume();
    req.on('end', () => {
      if (inside >= cap.rejectAt) {
        res.writeHead(503, { 'content-length': '4' });
        res.end('busy');
        log.push({ at, status: 503, ms: performance.now() - at });
        return;
      }
      inside++;
      maxInside = Math.max(maxInside, inside);
      waiting.push(() => {
        busy++;
        setTimeout(() => {
          busy--;
          inside--;
          res.writeHead(200, { 'content-length': '2' });
          res.end('ok');
          log.push({ at, status: 200, ms: performance.now() - at });
          next();
        }, serviceMs);
      });
      next();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}/hooks`,
    log,
    get maxInside() {
      return maxInside;
    },
    setCapacity(c) {
      cap = { ...cap, ...c };
      next();
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** What the upstream saw of the requests that arrived in [from, to): goodput, 503 share, latency. */
export function windowFigures(log, from, to) {
  const inWindow = log.filter((e) => e.at >= from && e.at < to);
  const ok = inWindow.filter((e) => e.status < 300);
  const rejected = inWindow.filter((e) => e.status === 503).length;
  const ms = ok.map((e) => e.ms);
  return {
    requests: inWindow.length,
    delivered: ok.length,
    goodputPerS: round(ok.length / ((to - from) / 1000), 1),
    share503: inWindow.length ? round(rejected / inWindow.length, 4) : 0,
    p50Ms: round(median(ms), 1),
    p99Ms: round(percentile(ms, 99), 1),
  };
}

function post(url, body, agent) {
  return new Promise((resolve) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
        res.on('error', () => resolve(0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

/** Queue `count` webhooks from `senders` keep-alive connections; resolves with how many were accepted. */
async function fill(url, count, senders = 20) {
  const agent = new Agent({ keepAlive: true, maxSockets: senders });
  let next = 0;
  let accepted = 0;
  await Promise.all(
    Array.from({ length: senders }, async () => {
      while (next < count) {
        const i = next++;
        if ((await post(url, `{"n":${i}}`, agent)) === 200) accepted++;
      }
    }),
  );
  agent.destroy();
  return accepted;
}

/**
 * One run of `dev` against the upstream: queue `webhooks`, wait `warmMs` after the last is stored,
 * then read a `windowMs` window at the upstream. `saturated` says the backlog outlasted the window
 * (else the figure would measure the sender, not the proxy).
 */
async function run(upstream, args, { webhooks, warmMs, windowMs, after }) {
  const dev = await startDevProcess(['--upstream', upstream.url, ...args]);
  try {
    const started = performance.now();
    const accepted = await fill(dev.url, webhooks);
    const from = performance.now() + warmMs;
    await sleep(from + windowMs - performance.now());
    const to = performance.now();
    const figures = windowFigures(upstream.log, from, to);
    const deliveredSoFar = windowFigures(upstream.log, started, to).delivered;
    const extra = after ? await after({ started, from, to }) : {};
    const okMs = upstream.log.filter((e) => e.at >= from && e.at < to && e.status < 300).map((e) => e.ms);
    return {
      args: args.join(' '),
      accepted,
      ...figures,
      saturated: deliveredSoFar < accepted,
      ...extra,
      okMs,
    };
  } finally {
    await dev.stop(5000);
  }
}

/**
 * The whole scenario. Returns the sweep, the adaptive run, the ratios, and how long the adaptive
 * proxy took to follow the halved capacity: the first second after the halving from which every
 * one-second bucket to the end has under 2 % 503s and a p99 under 2× the unloaded latency.
 */
export async function adaptiveScenario({
  statics = [1, 2, 4, 8, 16],
  webhooks = 900,
  warmMs = 500,
  windowMs = 3000,
  ceiling = 16,
  afterHalvingS = 14,
  progress = () => {},
} = {}) {
  const upstream = await startCapacityUpstream();
  try {
    const sweep = [];
    for (const c of statics) {
      progress(`static --concurrency ${c}`);
      sweep.push({
        concurrency: c,
        ...(await run(upstream, ['--concurrency', String(c)], { webhooks, warmMs, windowMs })),
      });
    }
    const one = sweep.find((s) => s.concurrency === 1) ?? sweep[0];
    // Unloaded: the static-1 run, one request at a time. Its p99 carries the machine's own timer and
    // scheduling noise (a shared 2-core VM adds 10–15 ms to a 20 ms answer now and then), so p99s are
    // compared with it, like with like; its median is the upstream's service time.
    const unloadedMs = one.p50Ms;
    // The p99 of ~100 answers is its second-worst: pooled over every static run that queued nothing
    // (median within 20 % of static-1's), the unloaded tail is measured on a few hundred.
    const unqueued = sweep.filter((s) => s.p50Ms <= unloadedMs * 1.2);
    const unloadedP99Ms = round(
      percentile(
        unqueued.flatMap((s) => s.okMs),
        99,
      ),
      1,
    );
    const best = sweep.reduce((a, b) => (b.goodputPerS > a.goodputPerS ? b : a));
    const worst = sweep.reduce((a, b) => (b.goodputPerS < a.goodputPerS ? b : a));

    progress(`--adaptive --concurrency ${ceiling}, then the capacity halves`);
    // Enough backlog for the window and the halved capacity's seconds after it (at about half the rate).
    const capacityPerS = best.goodputPerS || 200;
    const adaptiveWebhooks = Math.ceil(webhooks + capacityPerS * (windowMs / 1000 + afterHalvingS / 2 + 2));
    const adaptive = await run(upstream, ['--adaptive', '--concurrency', String(ceiling)], {
      webhooks: adaptiveWebhooks,
      warmMs,
      windowMs,
      after: async ({ started, to }) => {
        // The 503 share from the first request on: slow start's overshoot included.
        const wholeRun = windowFigures(upstream.log, started, to);
        upstream.setCapacity({ workers: 2, rejectAt: 5 });
        const halvedAt = performance.now();
        await sleep(afterHalvingS * 1000);
        const buckets = Array.from({ length: afterHalvingS }, (_x, i) =>
          windowFigures(upstream.log, halvedAt + i * 1000, halvedAt + (i + 1) * 1000),
        );
        // Following = from that second on, no second with 2 % 503s or more, and the p99 of all those
        // seconds pooled under 2× the unloaded p99 (one second's p99 is its one or two slowest answers:
        // a single busy moment of this host would otherwise reset the count).
        const pooledP99 = (k) =>
          windowFigures(upstream.log, halvedAt + k * 1000, halvedAt + afterHalvingS * 1000).p99Ms;
        let followS = buckets.length;
        while (followS > 0 && buckets[followS - 1].delivered > 0 && buckets[followS - 1].share503 < 0.02)
          followS--;
        while (followS < buckets.length && !(pooledP99(followS) < 2 * unloadedP99Ms)) followS++;
        const tail = windowFigures(upstream.log, halvedAt + followS * 1000, halvedAt + afterHalvingS * 1000);
        const accepted = adaptiveWebhooks;
        return {
          share503WholeRun: wholeRun.share503,
          halved: {
            followS: followS < buckets.length ? followS : null,
            // Still a backlog at the end, so the tail measured the proxy, not an empty queue.
            saturated: windowFigures(upstream.log, started, performance.now()).delivered < accepted,
            tail,
            buckets: buckets.map((b) => ({
              goodputPerS: b.goodputPerS,
              share503: b.share503,
              p99Ms: b.p99Ms,
            })),
          },
        };
      },
    });
    for (const s of [...sweep, adaptive]) delete s.okMs; // raw samples: not for the report
    return {
      unloadedMs,
      unloadedP99Ms,
      sweep,
      best: { concurrency: best.concurrency, goodputPerS: best.goodputPerS },
      worst: { concurrency: worst.concurrency, goodputPerS: worst.goodputPerS },
      adaptive,
      ratios: {
        goodputVsBest: ratio(adaptive.goodputPerS, best.goodputPerS),
        goodputVsWorst: ratio(adaptive.goodputPerS, worst.goodputPerS),
        p50VsUnloaded: ratio(adaptive.p50Ms, unloadedMs),
        p99VsUnloaded: ratio(adaptive.p99Ms, unloadedMs),
        p99VsUnloadedP99: ratio(adaptive.p99Ms, unloadedP99Ms),
        // After the halving: against half the best static goodput (the capacity that is left).
        halvedGoodputVsHalfBest: ratio(adaptive.halved.tail.goodputPerS, best.goodputPerS / 2),
        halvedP99VsUnloadedP99: ratio(adaptive.halved.tail.p99Ms, unloadedP99Ms),
      },
    };
  } finally {
    await upstream.close();
  }
}

/** The busiest one-second window [t, t + 1 s) of sorted arrival times. */
function busiestSecond(times) {
  let best = 0;
  let j = 0;
  for (let i = 0; i < times.length; i++) {
    while (j < times.length && times[j] < times[i] + 1000) j++;
    best = Math.max(best, j - i);
  }
  return best;
}

/**
 * The exact rate cap through the built `dev`: a burst of `webhooks` at `--rate R --concurrency C`,
 * every arrival at the upstream stamped; windows are read once the burst is sent (this process is the
 * sender too, and stamps late while it sends: test/e2e/dev-rate.test.ts).
 */
export async function rateWindows({ rate = 30, concurrency = 4, webhooks = 240 } = {}) {
  const arrivals = [];
  const server = createServer((req, res) => {
    arrivals.push(performance.now());
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const dev = await startDevProcess([
    '--upstream',
    `http://127.0.0.1:${server.address().port}/`,
    '--rate',
    String(rate),
    '--concurrency',
    String(concurrency),
  ]);
  try {
    await fill(dev.url, webhooks);
    const sentAt = performance.now();
    for (let end = Date.now() + webhooks * (2000 / rate); arrivals.length < webhooks && Date.now() < end;)
      await sleep(50);
    const settled = arrivals.filter((t) => t > sentAt + 100);
    return {
      rate,
      concurrency,
      delivered: arrivals.length,
      busiestSecond: busiestSecond(settled),
      averagePerS: round((arrivals.length - 1) / ((arrivals.at(-1) - arrivals[0]) / 1000), 2),
    };
  } finally {
    await dev.stop(5000);
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

/** Rows for `npm run bench`: the adaptive scenario and the rate windows, each a ratio in the same run. */
export async function adaptiveBench({ quick = false } = {}) {
  const r = await adaptiveScenario(quick ? { webhooks: 700, windowMs: 2000, afterHalvingS: 12 } : {});
  const w = await rateWindows(quick ? { webhooks: 150 } : {});
  const a = r.adaptive;
  const section = 'adaptive (capacity 4 × 20 ms, 503 past 10)';
  const rows = [
    {
      section,
      metric: 'goodput, --adaptive --concurrency 16',
      value: a.goodputPerS,
      unit: 'req/s',
      baseline: r.best.goodputPerS,
      baselineLabel: `best static, --concurrency ${r.best.concurrency}`,
      ratio: r.ratios.goodputVsBest,
      note: 'must be ≥ 0.9',
    },
    {
      section,
      metric: 'goodput against the worst static setting',
      value: a.goodputPerS,
      unit: 'req/s',
      baseline: r.worst.goodputPerS,
      baselineLabel: `worst static, --concurrency ${r.worst.concurrency}`,
      ratio: r.ratios.goodputVsWorst,
      note: `sweep ${r.sweep.map((s) => `${s.concurrency}: ${s.goodputPerS}/s, ${round(s.share503 * 100, 1)} % 503`).join('; ')}`,
    },
    {
      section,
      metric: '503 share at the upstream (whole adaptive run)',
      value: round(a.share503WholeRun * 100, 2),
      unit: '%',
      baseline: 2,
      baselineLabel: 'the bar',
      ratio: ratio(a.share503WholeRun * 100, 2),
      note: 'ratio must be < 1',
    },
    {
      section,
      metric: 'upstream p99 latency',
      value: a.p99Ms,
      unit: 'ms',
      baseline: r.unloadedP99Ms,
      baselineLabel: 'unloaded p99 (static runs that queued nothing)',
      ratio: r.ratios.p99VsUnloadedP99,
      note: `must be < 2; p50 ${a.p50Ms} ms against the unloaded ${r.unloadedMs} ms (${r.ratios.p50VsUnloaded})`,
    },
    {
      section,
      metric: 'capacity halved: seconds until it follows',
      value: a.halved.followS,
      unit: 's',
      baseline: 10,
      baselineLabel: 'the bar',
      ratio: ratio(a.halved.followS, 10),
      note: `then ${a.halved.tail.goodputPerS} req/s, ${r.ratios.halvedGoodputVsHalfBest} of half the best static; p99 ${r.ratios.halvedP99VsUnloadedP99} of unloaded p99`,
    },
    {
      section: `rate windows (dev --rate ${w.rate} --concurrency ${w.concurrency})`,
      metric: 'busiest one-second window',
      value: w.busiestSecond,
      unit: 'requests',
      baseline: w.rate,
      baselineLabel: '--rate',
      ratio: ratio(w.busiestSecond, w.rate),
      note: 'ratio must be ≤ 1',
    },
    {
      section: `rate windows (dev --rate ${w.rate} --concurrency ${w.concurrency})`,
      metric: 'average rate',
      value: w.averagePerS,
      unit: 'req/s',
      baseline: w.rate,
      baselineLabel: '--rate',
      ratio: ratio(w.averagePerS, w.rate),
      note: `must be ≥ 0.95; ${w.delivered} delivered`,
    },
  ];
  return { rows, details: { adaptive: r, rateWindows: w } };
}

// Run alone: node bench/adaptive.mjs (after npm run build) prints the figures as JSON.
if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await adaptiveScenario({ progress: (m) => process.stderr.write(`${m}\n`) });
  console.log(JSON.stringify(r, null, 2));
}
