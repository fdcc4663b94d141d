/**
 * The delivery control in `deliver` under Lambda-like conditions, in one process and without AWS:
 * several `createDeliverHandler` instances, each with its own state (its own control, as each Lambda
 * container has), fed by the event source mapping's loop (src/local/poller.ts: batches, deletes,
 * ReportBatchItemFailures) from the embedded queue with SQS's semantics (src/local/memory-queue.ts).
 * Nothing is shared between the instances but the queue and the upstream.
 * - --adaptive with 16 containers against the capacity upstream of bench/adaptive.mjs (4 served at
 *   once in 20 ms, 503 past 10 inside): goodput against the best static container count of a sweep in
 *   the same run, the 503 share, p99 against the unloaded p99 (ratios, no wall-clock bar).
 * - --rate 30 --concurrency 4: the mapping must run no more containers than the pacing plan
 *   (the cap itself, per container, is proved on a virtual clock in test/unit/control.test.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  startCapacityUpstream,
  windowFigures,
  type CapacityUpstream,
  type Figures,
} from '../../bench/adaptive.mjs';
import { createEnvelope, encodeEnvelope } from '../../src/envelope.js';
import { pacingPlan } from '../../src/handlers/control/rate.js';
import { createDeliverHandler, type DeliverConfig } from '../../src/handlers/deliver.js';
import type { QueuePort } from '../../src/handlers/ports.js';
import { MemoryQueue } from '../../src/local/memory-queue.js';
import { startPoller } from '../../src/local/poller.js';
import { wantedMapping } from '../../src/proxy/provision/mapping.js';
import type { ProvisionSpec } from '../../src/proxy/provision/types.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const envelope = (n: number) =>
  encodeEnvelope(
    createEnvelope({
      method: 'POST',
      rawPath: '/',
      rawQueryString: '',
      headers: { 'content-type': 'application/json' },
      cookies: [],
      sourceIp: '203.0.113.7',
      host: 'hooks.example.com',
      protocol: 'https',
      body: Buffer.from(`{"n":${n}}`),
    }),
  );

/**
 * `containers` deliver handlers, each built as Lambda builds one per container (no shared control),
 * polling a queue that holds `webhooks`; `config` is what the function's environment would say.
 */
function lambdaLike(
  upstreamUrl: string,
  containers: number,
  webhooks: number,
  config: Partial<DeliverConfig>,
) {
  const queue = new MemoryQueue({ visibilityTimeout: 60, maxReceiveCount: 1000 });
  for (let i = 0; i < webhooks; i++) queue.sendNow(envelope(i));
  const dead: string[] = [];
  const port: QueuePort = {
    send: async (body, options) => {
      queue.sendNow(body, options?.delaySeconds ? { delaySeconds: options.delaySeconds } : {});
    },
    changeVisibility: (handle, seconds) => queue.changeVisibility(handle, seconds),
    deadLetter: async (body) => {
      dead.push(body);
    },
  };
  const handlers = Array.from({ length: containers }, () =>
    createDeliverHandler({
      queue: port,
      config: {
        upstream: upstreamUrl,
        preservePath: false,
        timeoutSeconds: 10,
        concurrency: containers,
        backoffBase: 1,
        backoffMax: 5,
        maxAttempts: 10,
        ...config,
      },
      log: () => {},
    }),
  );
  const poller = startPoller({ queue, handlers, batchSize: 10, functionTimeoutSeconds: 60, waitSeconds: 1 });
  return {
    dead,
    stop: async () => {
      await poller.stop();
      await queue.close();
    },
  };
}

/** One run: a full queue, a `windowMs` window at the upstream after `warmMs`. */
async function measure(
  upstream: CapacityUpstream,
  containers: number,
  config: Partial<DeliverConfig>,
  warmMs: number,
  windowMs = 2500,
  webhooks = 1200,
): Promise<Figures & { containers: number; saturated: boolean }> {
  const started = performance.now();
  const run = lambdaLike(upstream.url, containers, webhooks, config);
  try {
    await sleep(warmMs + windowMs);
    const to = performance.now();
    const figures = windowFigures(upstream.log, to - windowMs, to);
    const saturated = windowFigures(upstream.log, started, to).delivered < webhooks;
    expect(run.dead).toEqual([]);
    return { containers, ...figures, saturated };
  } finally {
    await run.stop();
  }
}

// Like test/e2e/dev-adaptive.test.ts: its p99 and goodput ratios miss on a loaded 2-core machine (the p99
// bar failed once while other suites ran), so it runs with `npm run test:adaptive`, not in `npm test`.
const adaptiveEnabled = process.env.WP_TEST_ADAPTIVE === '1';
if (!adaptiveEnabled) {
  console.warn(
    'deliver-lambda-control --adaptive: skipped (set WP_TEST_ADAPTIVE=1 or run "npm run test:adaptive")',
  );
}

describe.runIf(adaptiveEnabled)('deliver on Lambda-like containers: --adaptive', () => {
  it('16 containers, each adapting its own share, find the capacity: ≥ 90 % of the best static count, < 2 % 503s, p99 < 2× unloaded p99', async () => {
    const upstream = await startCapacityUpstream();
    closers.push(upstream.close);
    const sweep = [];
    for (const c of [1, 2, 4, 8, 16]) sweep.push(await measure(upstream, c, { adaptive: false }, 300));
    const unloaded = sweep[0]!;
    const best = sweep.reduce((a, b) => (b.goodputPerS > a.goodputPerS ? b : a));
    // A cold container starts at 1/16 of a slot, pausing 15 round trips after each request, and doubles
    // its share per window of 3 answers: the 16 take a few seconds to find the capacity. Warm up longer.
    const adaptive = await measure(upstream, 16, { adaptive: true }, 5000, 2500, 2400);
    const summary = JSON.stringify({ sweep, adaptive }, null, 1);
    for (const s of [...sweep, adaptive]) expect(s.saturated, summary).toBe(true);
    expect(sweep.at(-1)!.share503, summary).toBeGreaterThan(0.02); // 16 static containers overload it
    expect(adaptive.goodputPerS / best.goodputPerS, summary).toBeGreaterThanOrEqual(0.9);
    expect(adaptive.share503, summary).toBeLessThan(0.02);
    expect(adaptive.p99Ms / unloaded.p99Ms, summary).toBeLessThan(2);
  }, 120_000);
});

describe('deliver on Lambda-like containers: --rate 30 --concurrency 4', () => {
  // The pacing plan runs 3 containers of 10/s at --rate 30 --concurrency 4: a mapping that allowed 4
  // would let Lambda run a 4th container pacing at 10/s too, and the upstream would see up to 40 in
  // a second. (create against moto: test/integration/provision-mapping-plan.test.ts.)
  it('the mapping runs no more containers than the pacing plan (MaximumConcurrency)', () => {
    const spec = { concurrency: 4, rate: 30, batchSize: 10, ordered: false } as ProvisionSpec;
    expect(pacingPlan(30, 4).containers).toBe(3);
    expect(wantedMapping({ spec }).ScalingConfig.MaximumConcurrency).toBe(3);
  });
});
