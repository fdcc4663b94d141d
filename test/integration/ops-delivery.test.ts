/**
 * pause / resume / scale against moto, checked through the SDK (not through the CLI's own output).
 * moto flips a mapping's State at once; AWS passes through Disabling/Enabling, which the commands poll.
 */
import {
  GetEventSourceMappingCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
} from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { TEST_REGION, uniqueName, useMoto } from '../helpers/moto.js';
import { createProxyFixture, runCli } from '../helpers/proxy-fixture.js';

useMoto();
const lambda = new LambdaClient({});
const sqs = new SQSClient({});
const mapping = (uuid: string) => lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }));

describe('pause and resume', () => {
  it('disable then enable the event source mapping', async () => {
    const name = uniqueName('pr');
    const f = await createProxyFixture(name);
    const p = await runCli('pause', name, '--json');
    expect(p.code, p.stderr).toBe(0);
    expect(JSON.parse(p.stdout)).toEqual({ name, delivery: { state: 'paused' }, changed: true });
    expect((await mapping(f.mappingUuid)).State).toBe('Disabled');

    const again = await runCli('pause', name);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('it already was');
    // The way back names the proxy and its region (a bare "resume" acts on "default").
    expect(again.stdout).toContain(
      `"webhook-proxy resume ${name} --region ${TEST_REGION}" restarts delivery`,
    );

    const st = await runCli('status', name);
    expect(st.stdout).toContain('PAUSED');

    const r = await runCli('resume', name, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ name, delivery: { state: 'enabled' } });
    expect((await mapping(f.mappingUuid)).State).toBe('Enabled');
  });

  it('says the proxy is incomplete when its mapping is missing', async () => {
    const name = uniqueName('prm');
    await createProxyFixture(name, { without: ['mapping'] });
    const r = await runCli('pause', name);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is incomplete');
    expect(r.stderr).toContain(`webhook-proxy create ${name} --region ${TEST_REGION} --upstream URL`);
    expect(r.stderr).toContain(`webhook-proxy destroy ${name} --region ${TEST_REGION} --yes`);
  });
});

describe('scale', () => {
  it('sets MaximumConcurrency, and with --rate the env, timeout and visibility timeout', async () => {
    const name = uniqueName('sc');
    const f = await createProxyFixture(name, { batchSize: 5 });
    const r = await runCli('scale', name, '--concurrency', '12', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ name, delivery: { concurrency: 12, rate: null } });
    expect((await mapping(f.mappingUuid)).ScalingConfig?.MaximumConcurrency).toBe(12);

    const before = await lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: f.deliverFunction }),
    );
    const r2 = await runCli('set-concurrency', name, '--concurrency', '4', '--rate', '2', '--json');
    expect(r2.code, r2.stderr).toBe(0);
    // The mapping runs the pacing plan's containers, 2 of 1/s (⌊2/3⌋ = ⌊2/4⌋ = 0 whole requests per
    // second for more); the function keeps --concurrency 4, the ceiling every container plans from.
    expect(JSON.parse(r2.stdout)).toMatchObject({
      delivery: { concurrency: 4, rate: 2, mappingConcurrency: 2 },
    });
    expect((await mapping(f.mappingUuid)).ScalingConfig?.MaximumConcurrency).toBe(2);
    const after = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: f.deliverFunction }));
    // The fixture's batch of 5 at 10 s per request, now paced at 4/2 s: 5 × (10 + 2) + 5 s slack = 65 s.
    expect(after.Timeout).toBe(65);
    // Every other variable is kept as it was.
    expect(after.Environment?.Variables).toEqual({
      ...before.Environment?.Variables,
      WP_RATE: '2',
      WP_CONCURRENCY: '4',
    });
    const vis = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: f.queueUrl, AttributeNames: ['VisibilityTimeout'] }),
    );
    expect(Number(vis.Attributes?.VisibilityTimeout)).toBe(6 * 65);
  });

  it('refuses concurrency 1 on a standard proxy with exit 2 and the way out', async () => {
    const name = uniqueName('sc1');
    const f = await createProxyFixture(name, { concurrency: 3 });
    const r = await runCli('scale', name, '--concurrency', '1');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("AWS's minimum");
    expect(r.stderr).toContain(
      `webhook-proxy create ${name} --region ${TEST_REGION} --ordered --upstream URL`,
    );
    expect((await mapping(f.mappingUuid)).ScalingConfig?.MaximumConcurrency).toBe(3);
  });

  it('refuses a rate so slow that a batch would outlast Lambda, changing nothing', async () => {
    const name = uniqueName('scs');
    const f = await createProxyFixture(name, { concurrency: 3 });
    // 10 messages × (10 s + 100/1 s pacing) > 900 s.
    const r = await runCli('scale', name, '--concurrency', '100', '--rate', '1');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Lambda's 900s limit");
    expect((await mapping(f.mappingUuid)).ScalingConfig?.MaximumConcurrency).toBe(3);
  });

  it('refuses out-of-range values as usage errors', async () => {
    const r = await runCli('scale', 'x', '--concurrency', '1001');
    expect(r.code).toBe(2);
    const r2 = await runCli('scale', 'x');
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('scale needs --concurrency, --rate, --adaptive or --no-adaptive.');
    const r3 = await runCli('scale', 'x', '--rate', 'slow');
    expect(r3.code).toBe(2);
    expect(r3.stderr).toMatch(/--rate must be a number[\s\S]*Or "none"/);
  });

  it('--rate alone keeps the concurrency; --rate none makes it unpaced, lowering the visibility after the timeout', async () => {
    const name = uniqueName('scr');
    const f = await createProxyFixture(name, { concurrency: 6, batchSize: 5 });
    const r = await runCli('scale', name, '--rate', '3', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ delivery: { concurrency: 6, rate: 3 } });
    // The pacing plan at 3/s: 3 containers of 1/s; unpaced again below, all 6.
    expect((await mapping(f.mappingUuid)).ScalingConfig?.MaximumConcurrency).toBe(3);
    let fn = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: f.deliverFunction }));
    expect(fn.Environment?.Variables).toMatchObject({ WP_RATE: '3', WP_CONCURRENCY: '6' });
    // 5 × (10 s + 6/3 s) + 5 s = 65 s.
    expect(fn.Timeout).toBe(65);

    const unpaced = await runCli('scale', name, '--rate', 'none', '--json');
    expect(unpaced.code, unpaced.stderr).toBe(0);
    expect(JSON.parse(unpaced.stdout)).toMatchObject({ delivery: { concurrency: 6, rate: null } });
    fn = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: f.deliverFunction }));
    expect(fn.Environment?.Variables).not.toHaveProperty('WP_RATE');
    expect(fn.Environment?.Variables).toMatchObject({ WP_CONCURRENCY: '6', WP_BACKOFF_MAX: '900' });
    // 5 × 10 s + 5 s = 55 s, and the visibility 6 × that (lowered after the function's timeout went down).
    expect(fn.Timeout).toBe(55);
    const vis = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: f.queueUrl, AttributeNames: ['VisibilityTimeout'] }),
    );
    expect(Number(vis.Attributes?.VisibilityTimeout)).toBe(6 * 55);
    expect((await mapping(f.mappingUuid)).ScalingConfig?.MaximumConcurrency).toBe(6);
  });

  it('accepts 1 on an ordered proxy and keeps the mapping at 2', async () => {
    const name = uniqueName('sco');
    const f = await createProxyFixture(name, { ordered: true });
    const r = await runCli('scale', name, '--concurrency', '1', '--rate', '3', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      delivery: { concurrency: 1, rate: 3, mappingConcurrency: 2 },
    });
    expect((await mapping(f.mappingUuid)).ScalingConfig?.MaximumConcurrency).toBe(2);
    const fn = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: f.deliverFunction }));
    expect(fn.Environment?.Variables).toMatchObject({ WP_RATE: '3', WP_CONCURRENCY: '1' });
  });
});
