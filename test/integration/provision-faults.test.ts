/**
 * The failure paths of `create` and the safety of `destroy`, against moto:
 * - an IAM-propagation error on CreateFunction is retried until it passes;
 * - a failure midway names the step, the AWS error and the way out, and a re-run completes the proxy;
 * - --dry-run sends only read calls and creates nothing, on a new proxy and on an existing one;
 * - destroy refuses while webhooks are queued or dead-lettered, unless --force.
 *
 * moto cannot produce the first two faults (it never delays IAM, never fails with a 5xx), so they are
 * injected with aws-sdk-client-mock on the CLI's own cached Lambda client; every other call goes on to
 * moto. The SDK's retry middleware sits below `send`, so an injected 5xx stands for one that AWS kept
 * returning through all of the client's retries.
 */
import {
  CreateEventSourceMappingCommand,
  CreateFunctionCommand,
  InvalidParameterValueException,
  ListEventSourceMappingsCommand,
  ServiceException,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { DeleteRoleCommand, DeleteRolePolicyCommand, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { DeleteQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resourceNames } from '../../src/proxy/names.js';
import { propagation } from '../../src/proxy/provision/functions.js';
import { runCli } from '../helpers/proxy-fixture.js';
import { TEST_REGION, uniqueName, useMoto } from '../helpers/moto.js';
import {
  anythingNamed,
  cliAws,
  describeProxy,
  inject,
  leftovers,
  recordCalls,
  sdk,
  undoAll,
  writes,
  type Restore,
} from '../helpers/provision.js';

useMoto();
const UPSTREAM = 'https://app.example.com/hooks';

const changes = (stdout: string) =>
  Object.fromEntries(
    (JSON.parse(stdout).changes as { resource: string; action: string }[]).map((c) => [c.resource, c.action]),
  );

const restore: Restore = [];
afterEach(() => undoAll(restore));

/** Put a stub in front of the CLI's Lambda client: `fault` may throw for a command, else it goes to moto. */
async function lambdaFaults(fault: (command: object) => void) {
  return inject(await cliAws().lambda(), fault, restore);
}

beforeAll(() => {
  // Real IAM needs 5–20 s; the retry schedule is what is under test, not the wall clock.
  propagation.firstDelayMs = 5;
  propagation.maxDelayMs = 20;
});

describe('IAM propagation', () => {
  it('retries CreateFunction while Lambda cannot assume the new role yet', async () => {
    const name = uniqueName('iamprop');
    let injected = 0;
    const mock = await lambdaFaults((command) => {
      if (command instanceof CreateFunctionCommand && injected < 3) {
        injected++;
        throw new InvalidParameterValueException({
          message: 'The role defined for the function cannot be assumed by Lambda.',
          $metadata: { httpStatusCode: 400 },
        });
      }
    });
    const res = await runCli('create', name, '--upstream', UPSTREAM, '--json');
    expect(res.code, res.stderr).toBe(0);
    expect(injected).toBe(3);
    // 3 refused + one success per function.
    expect(mock.commandCalls(CreateFunctionCommand)).toHaveLength(5);
    const d = await describeProxy(name);
    expect(d.functions.ingest.config.State).toBe('Active');
    expect(d.functions.deliver.config.State).toBe('Active');
    expect((await runCli('destroy', name, '--yes')).code).toBe(0);
  });

  it('gives up after its retries with an error that names the step and says to re-run', async () => {
    const name = uniqueName('iamfail');
    await lambdaFaults((command) => {
      if (command instanceof CreateFunctionCommand && command.input.FunctionName?.endsWith('-ingest')) {
        throw new InvalidParameterValueException({
          message: 'The role defined for the function cannot be assumed by Lambda.',
          $metadata: { httpStatusCode: 400 },
        });
      }
    });
    const res = await runCli('create', name, '--upstream', UPSTREAM);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`create stopped at "function ${resourceNames(name).ingestFunction}"`);
    expect(res.stderr).toContain('InvalidParameterValueException: The role defined for the function');
    expect(res.stderr).toMatch(/run the same create command\s+again/);
    undoAll(restore);
    const again = await runCli('create', name, '--upstream', UPSTREAM, '--json');
    expect(again.code, again.stderr).toBe(0);
    expect(changes(again.stdout)[`function ${resourceNames(name).ingestFunction}`]).toBe('created');
    expect((await runCli('destroy', name, '--yes')).code).toBe(0);
  });
});

describe('a failure midway', () => {
  it('stops at the step with the AWS error; a re-run creates only what is missing', async () => {
    const name = uniqueName('midway');
    await lambdaFaults((command) => {
      if (command instanceof CreateEventSourceMappingCommand) {
        throw new ServiceException({
          message: 'We are having a bad day',
          $metadata: { httpStatusCode: 500 },
        });
      }
    });
    const res = await runCli('create', name, '--upstream', UPSTREAM);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(
      'create stopped at "event source mapping (queue → deliver)": ServiceException: We are having a bad day',
    );
    expect(res.stderr).toMatch(/run the same create command\s+again: it continues from here/);
    // Everything else is in place, the API exactly once (the steps beside the failed one finished).
    const d = await describeProxy(name);
    expect(d.mappings).toEqual([]);
    expect(d.apis).toHaveLength(1);
    expect(d.routes).toHaveLength(1);

    undoAll(restore);
    const again = await runCli('create', name, '--upstream', UPSTREAM, '--json');
    expect(again.code, again.stderr).toBe(0);
    const acted = Object.entries(changes(again.stdout)).filter(([, a]) => a !== 'unchanged');
    expect(acted).toEqual([['event source mapping (queue → deliver)', 'created']]);
    const after = await describeProxy(name);
    expect(after.mappings).toHaveLength(1);
    expect(after.apis).toHaveLength(1);
    expect((await runCli('destroy', name, '--yes')).code).toBe(0);
    expect(await leftovers(name)).toEqual([]);
  });
});

describe('--dry-run', () => {
  it('on a new proxy: plans every resource, sends only read calls, creates nothing', async () => {
    const name = uniqueName('dry');
    const sent = await recordCalls(restore);
    const res = await runCli('create', name, '--upstream', UPSTREAM, '--dry-run', '--json');
    expect(res.code, res.stderr).toBe(0);
    const plan = JSON.parse(res.stdout);
    expect(plan.dryRun).toBe(true);
    expect(plan.changes.length).toBeGreaterThanOrEqual(10);
    expect(new Set(Object.values(changes(res.stdout)))).toEqual(new Set(['created']));
    expect(sent.length).toBeGreaterThan(0);
    expect(writes(sent)).toEqual([]);
    expect(await leftovers(name)).toEqual([]);

    const human = await runCli('create', name, '--upstream', UPSTREAM, '--dry-run');
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/Nothing was changed/);
    expect(human.stdout).toContain(`would be created: queue ${resourceNames(name).queue}`);
    expect(writes(sent)).toEqual([]);
    expect(await leftovers(name)).toEqual([]);
    expect(await anythingNamed(name)).toEqual([]);
  });

  it('on an existing proxy: shows what would change, and changes nothing', async () => {
    const name = uniqueName('dryex');
    expect((await runCli('create', name, '--upstream', UPSTREAM)).code).toBe(0);
    const sent = await recordCalls(restore);
    const res = await runCli(
      'create',
      name,
      '--upstream',
      UPSTREAM,
      '--concurrency',
      '9',
      '--dry-run',
      '--json',
    );
    expect(res.code, res.stderr).toBe(0);
    expect(changes(res.stdout)['event source mapping (queue → deliver)']).toBe('updated');
    expect(writes(sent)).toEqual([]);
    // The mapping is still as the first create made it with the defaults (a standard queue and a
    // batch of 10: no batching window).
    const d = await describeProxy(name);
    expect(d.mappings[0]).toMatchObject({
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 0,
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    expect((await runCli('destroy', name, '--yes')).code).toBe(0);
  });
});

describe('--dry-run after parts were deleted by hand', () => {
  it('plans exactly what the real run then does (planned ARNs are the real ones)', async () => {
    const name = uniqueName('drym');
    const n = resourceNames(name);
    expect((await runCli('create', name, '--upstream', UPSTREAM)).code).toBe(0);
    const { sqs, iam } = sdk();
    await sqs.send(new DeleteQueueCommand({ QueueUrl: (await describeProxy(name)).dlq.url }));
    const policies = await iam.send(new ListRolePoliciesCommand({ RoleName: n.ingestRole }));
    for (const p of policies.PolicyNames ?? []) {
      await iam.send(new DeleteRolePolicyCommand({ RoleName: n.ingestRole, PolicyName: p }));
    }
    await iam.send(new DeleteRoleCommand({ RoleName: n.ingestRole }));

    const dry = await runCli('create', name, '--upstream', UPSTREAM, '--dry-run', '--json');
    expect(dry.code, dry.stderr).toBe(0);
    const plan = changes(dry.stdout);
    // Re-made under the same names, they get the same ARNs: the queue's redrive policy and the
    // function's role need no change, and the plan must not say they do.
    expect(plan).toMatchObject({
      [`dead-letter queue ${n.dlq}`]: 'created',
      [`queue ${n.queue}`]: 'unchanged',
      [`role ${n.ingestRole}`]: 'created',
      [`function ${n.ingestFunction}`]: 'unchanged',
    });
    const real = await runCli('create', name, '--upstream', UPSTREAM, '--json');
    expect(real.code, real.stderr).toBe(0);
    expect(changes(real.stdout)).toEqual(plan);
    expect((await runCli('destroy', name, '--yes')).code).toBe(0);
  });
});

describe('destroy with webhooks still held', () => {
  it('refuses with the counts (exit 1), deletes nothing; --force deletes all', async () => {
    const name = uniqueName('held');
    expect((await runCli('create', name, '--upstream', UPSTREAM)).code).toBe(0);
    const d = await describeProxy(name);
    const { sqs, lambda } = sdk();
    for (const i of [1, 2]) {
      await sqs.send(new SendMessageCommand({ QueueUrl: d.dlq.url, MessageBody: `dead ${i}` }));
    }
    const before = await leftovers(name);
    let res = await runCli('destroy', name, '--yes');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/0 queued webhooks and 2 in its dead-letter queue/);
    expect(res.stderr).toMatch(/--force/);
    // The way out names the proxy and its region, so pasting it acts on this proxy (issue 15).
    expect(res.stderr).toContain(`"webhook-proxy redrive ${name} --region ${TEST_REGION}" for the DLQ`);
    expect(await leftovers(name)).toEqual(before);

    // moto invokes the function (and so takes the message) when a message arrives on a queue with an
    // enabled mapping; pause delivery first, as a real proxy holds webhooks while delivery is paused.
    const uuid = (
      await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: d.names.deliverFunction }))
    ).EventSourceMappings![0]!.UUID!;
    await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: false }));
    await sqs.send(new SendMessageCommand({ QueueUrl: d.queue.url, MessageBody: 'waiting' }));
    res = await runCli('destroy', name, '--yes');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/1 queued webhook and 2 in its dead-letter queue/);
    expect(await leftovers(name)).toEqual(before);

    res = await runCli('destroy', name, '--yes', '--force', '--json');
    expect(res.code, res.stderr).toBe(0);
    expect(await leftovers(name)).toEqual([]);
  });
});
