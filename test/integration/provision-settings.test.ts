/**
 * A re-run of `create` never silently undoes a setting (issue 12, item 12), against moto, checked by
 * describing the resources with the SDK: a flag left out keeps the proxy's current value (even one set
 * by `scale`), `none` removes a setting and removing a verifier is flagged as a security change,
 * --dry-run shows before → after and changes nothing. Also item 3 (lowering --retention while webhooks
 * are held), item 10 (a retention shorter than the worst-case retry schedule) and item 9 (the queue's
 * visibility goes down only after deliver's timeout did, and the mapping call is retried while a
 * visibility change propagates).
 *
 * moto differences: moto never refuses a mapping whose queue's visibility is below the function's
 * timeout and applies attribute changes at once, so Lambda's refusal during SQS's propagation is
 * injected (aws-sdk-client-mock on the CLI's own client). moto invokes the function when a message
 * lands on a queue whose mapping is enabled, so tests that hold webhooks pause delivery first.
 */
import {
  GetFunctionConfigurationCommand,
  InvalidParameterValueException,
  UpdateEventSourceMappingCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import {
  GetQueueAttributesCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../src/handlers/ports.js';
import { resourceNames } from '../../src/proxy/names.js';
import { visibilityPropagation } from '../../src/proxy/provision/visibility.js';
import { TEST_REGION, uniqueName, useMoto } from '../helpers/moto.js';
import {
  cliAws,
  describeProxy,
  inject,
  recordCalls,
  sdk,
  undoAll,
  writes,
  type Restore,
} from '../helpers/provision.js';
import { runCli } from '../helpers/proxy-fixture.js';

useMoto();
const UPSTREAM = 'https://app.example.com/hooks';
const NEW_UPSTREAM = 'https://new.example.com/hooks';
const SECRET = 'gh-secret-7f3a9c1e55';

const restore: Restore = [];
afterEach(() => undoAll(restore));
beforeAll(() => {
  Object.assign(visibilityPropagation, { firstDelayMs: 5, maxDelayMs: 20 });
});

const json = (r: { stdout: string }) => JSON.parse(r.stdout);
const acted = (r: { stdout: string }) =>
  (json(r).changes as { resource: string; action: string }[])
    .filter((c) => c.action !== 'unchanged')
    .map((c) => `${c.action} ${c.resource}`)
    .sort();

async function deliverEnv(name: string) {
  const fn = await sdk().lambda.send(
    new GetFunctionConfigurationCommand({ FunctionName: resourceNames(name).deliverFunction }),
  );
  return { env: fn.Environment?.Variables ?? {}, timeout: fn.Timeout };
}

async function queueAttribute(url: string, attribute: 'VisibilityTimeout' | 'MessageRetentionPeriod') {
  const out = await sdk().sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: [attribute] }),
  );
  return Number(out.Attributes?.[attribute]);
}

/** Stop delivery (as `pause` does) so moto does not take the messages a test puts in the queue. */
async function pauseDelivery(name: string) {
  expect((await runCli('pause', name)).code).toBe(0);
}

describe('a re-run of create keeps what it is not told', () => {
  const name = uniqueName('keep');

  it('keeps --verify, --concurrency and a scaled --rate when only --upstream changes', async () => {
    const first = await runCli(
      'create',
      name,
      '--upstream',
      UPSTREAM,
      '--verify',
      `github=${SECRET}`,
      '--concurrency',
      '5',
    );
    expect(first.code, first.stderr).toBe(0);
    const scaled = await runCli('scale', name, '--rate', '7');
    expect(scaled.code, scaled.stderr).toBe(0);
    const before = await describeProxy(name);
    const verify = before.functions.ingest.config.Environment?.Variables?.[ENV.verify];
    expect(JSON.parse(verify!)).toEqual([{ name: 'github', secret: SECRET }]);

    const res = await runCli('create', name, '--upstream', NEW_UPSTREAM, '--json');
    expect(res.code, res.stderr).toBe(0);
    // Only the upstream changed; the rest was kept, so nothing else is listed either.
    expect(json(res).settings).toEqual([{ setting: 'upstream', before: UPSTREAM, after: NEW_UPSTREAM }]);
    const d = await describeProxy(name);
    expect(d.functions.ingest.config.Environment?.Variables?.[ENV.verify]).toBe(verify);
    // --concurrency 5 kept: at 7/s the pacing plan runs 3 containers (3 × 2/s), WP_CONCURRENCY says 5.
    expect(d.mappings[0]!.ScalingConfig?.MaximumConcurrency).toBe(3);
    expect(d.functions.deliver.config.Environment?.Variables).toMatchObject({
      [ENV.upstream]: NEW_UPSTREAM,
      [ENV.rate]: '7',
      [ENV.concurrency]: '5',
    });
    // Not re-derived from defaults: the same timeout as scale set (10 × (10 s + 5/7 s) + 5 s = 113 s).
    expect(d.functions.deliver.config.Timeout).toBe(before.functions.deliver.config.Timeout);
    expect(d.functions.deliver.config.Timeout).toBe(113);
    expect(JSON.stringify(json(res))).not.toContain(SECRET);

    // No flag at all (not even --upstream): nothing changes, no call that could change anything.
    const calls = await recordCalls(restore);
    const again = await runCli('create', name, '--json');
    expect(again.code, again.stderr).toBe(0);
    expect(json(again).settings).toEqual([]);
    expect(writes(calls)).toEqual([]);
  });

  it('--dry-run shows every change as before → after, marks a removed verifier, and changes nothing', async () => {
    const before = await describeProxy(name);
    const calls = await recordCalls(restore);
    const args = ['create', name, '--rate', 'none', '--concurrency', '3', '--verify', 'none', '--dry-run'];
    const res = await runCli(...args, '--json');
    expect(res.code, res.stderr).toBe(0);
    expect(json(res).settings).toEqual([
      { setting: 'concurrency', before: '5', after: '3' },
      { setting: 'rate', before: '7/s', after: 'unpaced' },
      {
        setting: 'verify',
        before: 'github',
        after: 'none',
        security: true,
        why: 'signatures are no longer checked for github: forged webhooks are accepted',
      },
    ]);
    const plain = await runCli(...args);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toContain('Settings that would change (before → after):');
    expect(plain.stdout).toMatch(/^ {4}rate +7\/s → unpaced$/m);
    expect(plain.stdout).toMatch(
      /^ {2}! verify +github → none {3}SECURITY: signatures are no longer checked/m,
    );
    expect(plain.stdout).not.toContain(SECRET);
    expect(writes(calls)).toEqual([]);
    expect(await describeProxy(name)).toEqual(before);
  });

  it('none removes: --verify none, --rate none (the real run, same report)', async () => {
    const res = await runCli('create', name, '--verify', 'none', '--rate', 'none', '--json');
    expect(res.code, res.stderr).toBe(0);
    expect(json(res).settings).toEqual([
      { setting: 'rate', before: '7/s', after: 'unpaced' },
      expect.objectContaining({ setting: 'verify', before: 'github', after: 'none', security: true }),
    ]);
    const d = await describeProxy(name);
    expect(d.functions.ingest.config.Environment?.Variables).not.toHaveProperty(ENV.verify);
    expect(d.functions.deliver.config.Environment?.Variables).not.toHaveProperty(ENV.rate);
    // Unpaced, the timeout follows: 10 × 10 s + 5 s.
    expect(d.functions.deliver.config.Timeout).toBe(105);
    expect(d.queue.attributes.VisibilityTimeout).toBe(String(6 * 105));
    expect((await runCli('destroy', name, '--yes')).code).toBe(0);
  });
});

describe('--retention', () => {
  it('lowering it is refused while the queue or DLQ holds webhooks (with the counts), allowed with --force', async () => {
    const name = uniqueName('ret');
    expect((await runCli('create', name, '--upstream', UPSTREAM)).code).toBe(0);
    const d = await describeProxy(name);
    await pauseDelivery(name);
    for (const url of [d.queue.url, d.queue.url, d.dlq.url]) {
      await sdk().sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'held' }));
    }
    const calls = await recordCalls(restore);
    const refused = await runCli('create', name, '--retention', '7');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Lowering --retention from 14 days to 7 days');
    expect(refused.stderr).toMatch(
      /holds 2 in its queue and 1 in its dead-letter queue: up to 3 could be deleted/,
    );
    expect(refused.stderr).toMatch(/webhook-proxy drain .*--force/s);
    expect(refused.stderr).toContain(`"webhook-proxy redrive ${name} --region ${TEST_REGION}"`);
    expect(writes(calls)).toEqual([]);
    undoAll(restore);
    expect(await queueAttribute(d.queue.url, 'MessageRetentionPeriod')).toBe(14 * 86_400);

    // --force lowers it anyway; raising it deletes nothing, so it needs no --force.
    const forced = await runCli('create', name, '--retention', '7', '--force', '--json');
    expect(forced.code, forced.stderr).toBe(0);
    expect(json(forced).settings).toEqual([{ setting: 'retention', before: '14 days', after: '7 days' }]);
    expect(await queueAttribute(d.queue.url, 'MessageRetentionPeriod')).toBe(7 * 86_400);
    const raised = await runCli('create', name, '--retention', '10');
    expect(raised.code, raised.stderr).toBe(0);
    expect(await queueAttribute(d.queue.url, 'MessageRetentionPeriod')).toBe(10 * 86_400);
    expect((await runCli('destroy', name, '--yes', '--force')).code).toBe(0);
  });

  it('lowering it on empty queues needs no --force; one shorter than the retry schedule is refused', async () => {
    const name = uniqueName('ret0');
    expect((await runCli('create', name, '--upstream', UPSTREAM)).code).toBe(0);
    const res = await runCli('create', name, '--retention', '6');
    expect(res.code, res.stderr).toBe(0);
    const d = await describeProxy(name);
    expect(d.queue.attributes.MessageRetentionPeriod).toBe(String(6 * 86_400));

    // 20 attempts, each retry possibly 12 h away (Retry-After): 9.5 days > 6 days.
    const calls = await recordCalls(restore);
    const long = await runCli('create', name, '--max-attempts', '20');
    expect(long.code).toBe(2);
    expect(long.stderr).toMatch(
      /--retention 6 days is shorter than the longest a failing webhook can wait for its 20 attempts: up to 9\.5 days/,
    );
    expect(long.stderr).toMatch(/Use --retention 10 or more, or --max-attempts 12 or fewer/);
    expect(writes(calls)).toEqual([]);
    expect((await runCli('destroy', name, '--yes')).code).toBe(0);
  });
});

describe('the queue visibility timeout and the deliver timeout', () => {
  /** Every write to the queue's attributes and to deliver's configuration, in the order they were sent. */
  async function recordOrder() {
    const order: string[] = [];
    inject(
      await cliAws().sqs(),
      (cmd) => {
        if (cmd instanceof SetQueueAttributesCommand && cmd.input.Attributes?.VisibilityTimeout) {
          order.push(`visibility ${cmd.input.Attributes.VisibilityTimeout}`);
        }
      },
      restore,
    );
    inject(
      await cliAws().lambda(),
      (cmd) => {
        if (
          cmd instanceof UpdateFunctionConfigurationCommand &&
          cmd.input.FunctionName?.endsWith('-deliver')
        ) {
          order.push(`deliver timeout ${cmd.input.Timeout}`);
        }
      },
      restore,
    );
    return order;
  }

  it('visibility goes down after the function timeout did, and up before it goes up', async () => {
    const name = uniqueName('vis');
    const flags = ['--upstream', UPSTREAM, '--timeout', '30', '--rate', '1'];
    expect((await runCli('create', name, ...flags)).code).toBe(0);
    // Paced: 10 × (30 s + 2.06 s: 2 containers of ½/s at the pacer's 97 %) + 5 s = 325.6 → 326 s;
    // unpaced: 10 × 30 s + 5 s = 305 s.
    expect((await deliverEnv(name)).timeout).toBe(326);

    let order = await recordOrder();
    const down = await runCli('create', name, '--rate', 'none', '--json');
    expect(down.code, down.stderr).toBe(0);
    expect(order).toEqual(['deliver timeout 305', `visibility ${6 * 305}`]);
    expect(acted(down)).toContain(`updated queue ${resourceNames(name).queue} visibility timeout`);
    undoAll(restore);

    order = await recordOrder();
    const up = await runCli('create', name, '--rate', '1', '--json');
    expect(up.code, up.stderr).toBe(0);
    expect(order).toEqual([`visibility ${6 * 326}`, 'deliver timeout 326']);
    undoAll(restore);
    const d = await describeProxy(name);
    expect(d.queue.attributes.VisibilityTimeout).toBe(String(6 * 326));
    expect((await runCli('destroy', name, '--yes')).code).toBe(0);
  });

  it('the mapping update is retried while Lambda still sees the old visibility (SQS propagation)', async () => {
    const name = uniqueName('visp');
    expect((await runCli('create', name, '--upstream', UPSTREAM)).code).toBe(0);
    let refused = 0;
    inject(
      await cliAws().lambda(),
      (cmd) => {
        if (cmd instanceof UpdateEventSourceMappingCommand && refused < 2) {
          refused++;
          throw new InvalidParameterValueException({
            message: 'Queue visibility timeout: 630 seconds is less than Function timeout: 900 seconds',
            $metadata: { httpStatusCode: 400 },
          });
        }
      },
      restore,
    );
    const res = await runCli('create', name, '--concurrency', '6');
    expect(res.code, res.stderr).toBe(0);
    expect(refused).toBe(2);
    // scale's mapping update goes through the same retry.
    refused = 0;
    const scaled = await runCli('scale', name, '--concurrency', '8');
    expect(scaled.code, scaled.stderr).toBe(0);
    expect(refused).toBe(2);
    undoAll(restore);
    expect((await describeProxy(name)).mappings[0]!.ScalingConfig?.MaximumConcurrency).toBe(8);
    expect((await runCli('destroy', name, '--yes')).code).toBe(0);
  });
});
