/**
 * Issue 14, part 1, against moto: the event source mapping's MaximumConcurrency is the number of
 * containers the pacing plan assumes (src/proxy/limits.ts, mappingConcurrency), never more. At
 * --rate 30 --concurrency 4 the plan runs 3 containers of 10/s; a mapping of 4 would let Lambda run a
 * 4th container at 10/s too (40 in a second at the upstream).
 * - create writes the plan's 3 and keeps WP_CONCURRENCY 4 (the ceiling every container plans from);
 *   its function timeout is sized from that ceiling's per-container pacing;
 * - a re-run with the same flags changes nothing (the mapping's 3 reads back as --concurrency 4);
 * - status reads --concurrency from the function and the mapping, and shows the containers;
 * - scale and drain --concurrency change it through the same path, and drain restores it.
 */
import { GetEventSourceMappingCommand, GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import { ENV } from '../../src/handlers/ports.js';
import { deliverFunctionTimeout } from '../../src/proxy/limits.js';
import { resourceNames } from '../../src/proxy/names.js';
import { uniqueName, useMoto } from '../helpers/moto.js';
import { describeProxy, sdk } from '../helpers/provision.js';
import { fillQueue, runCli } from '../helpers/proxy-fixture.js';

useMoto();
const UPSTREAM = 'https://app.example.com/hooks';
const json = (r: { stdout: string }) => JSON.parse(r.stdout);

async function ok(...args: string[]) {
  const r = await runCli(...args);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
}

async function deliverOf(name: string) {
  return sdk().lambda.send(
    new GetFunctionConfigurationCommand({ FunctionName: resourceNames(name).deliverFunction }),
  );
}

async function mappingOf(name: string) {
  const d = await describeProxy(name);
  const uuid = d.mappings[0]!.UUID!;
  return sdk().lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }));
}

describe('the mapping runs the pacing plan’s containers', () => {
  it('create --rate 30 --concurrency 4: MaximumConcurrency 3, WP_CONCURRENCY 4; a re-run is unchanged; status shows both', async () => {
    const name = uniqueName('plan');
    const flags = ['--upstream', UPSTREAM, '--rate', '30', '--concurrency', '4', '--batch-size', '10'];
    await ok('create', name, ...flags, '--json');
    expect((await mappingOf(name)).ScalingConfig?.MaximumConcurrency).toBe(3);
    const fn = await deliverOf(name);
    expect(fn.Environment?.Variables).toMatchObject({ [ENV.rate]: '30', [ENV.concurrency]: '4' });
    // 10 × (10 s + 0.133 s: 4/30, the ceiling's even share, above the plan's 1/(10 × 97 %)) + 5 s.
    expect(fn.Timeout).toBe(107);
    expect(fn.Timeout).toBe(deliverFunctionTimeout({ batchSize: 10, timeout: 10, concurrency: 4, rate: 30 }));

    // The mapping's 3 reads back as --concurrency 4: nothing to change.
    const again = json(await ok('create', name, ...flags, '--json'));
    expect(again.settings).toEqual([]);
    expect((await mappingOf(name)).ScalingConfig?.MaximumConcurrency).toBe(3);

    const s = json(await ok('status', name, '--json'));
    expect(s.delivery).toMatchObject({ concurrency: 4, containers: 3, rate: 30 });
    expect((await ok('status', name)).stdout).toContain('concurrency 4 (3 containers, the pacing plan)');
  });

  it('the timeout is sized from the plan when a container paces slower than C/R (--rate 5 --concurrency 4: 4 × 1/s)', async () => {
    const name = uniqueName('planslow');
    await ok(
      'create',
      name,
      '--upstream',
      UPSTREAM,
      '--rate',
      '5',
      '--concurrency',
      '4',
      '--batch-size',
      '10',
    );
    expect((await mappingOf(name)).ScalingConfig?.MaximumConcurrency).toBe(4);
    // Each of 4 containers waits 1/(1 × 97 %) = 1.03 s between requests, not 4/5 = 0.8 s:
    // 10 × (10 + 1.031) + 5 = 115.3 → 116 s (the old C/R sizing gave 113).
    expect((await deliverOf(name)).Timeout).toBe(116);
  });

  it('scale and drain --concurrency go through the plan, and drain restores it', async () => {
    const name = uniqueName('planscale');
    await ok('create', name, '--upstream', UPSTREAM, '--rate', '30', '--concurrency', '4');
    const scaled = json(await ok('scale', name, '--concurrency', '7', '--json'));
    // 7 × 4 = 28 or 6 × 5 = 30 or 5 × 6 = 30: the most containers among equals, 6.
    expect(scaled.delivery).toMatchObject({ concurrency: 7, mappingConcurrency: 6, rate: 30 });
    expect((await mappingOf(name)).ScalingConfig?.MaximumConcurrency).toBe(6);
    expect((await deliverOf(name)).Environment?.Variables?.[ENV.concurrency]).toBe('7');
    expect(json(await ok('status', name, '--json')).delivery).toMatchObject({
      concurrency: 7,
      containers: 6,
    });

    // Paused, drain fails before boosting; enabled, moto never runs the function, so it times out.
    const d = await describeProxy(name);
    await fillQueue(d.queue.url, 2);
    const r = await runCli('drain', name, '--timeout', '0.5', '--interval', '0.2', '--concurrency', '16');
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain('raised from 7 to 16');
    expect(r.stderr).toContain('restored to 7');
    expect((await mappingOf(name)).ScalingConfig?.MaximumConcurrency).toBe(6);
    expect((await deliverOf(name)).Environment?.Variables?.[ENV.concurrency]).toBe('7');
  }, 60_000);
});
