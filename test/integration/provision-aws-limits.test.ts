/**
 * What AWS holds a proxy to and moto does not, and what a re-run of `create` must bring an older proxy
 * up to (issue 12 items 6, 8, 11):
 * - no URL in a function's Description (AWS caps it at 256 characters; a token in a URL's query
 *   would show in the console): a 2,000-character upstream URL with a token works, and stays out;
 * - MaximumMessageSize 1 MiB set explicitly on both queues; a queue left at 256 KiB is raised on a
 *   re-run and reported as updated;
 * - the functions run nodejs24.x on arm64; an old proxy's functions are moved on a re-run.
 *
 * moto differences: moto accepts a Description of any length (AWS: at most 256 characters,
 * https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html#lambda-CreateFunction-request-Description),
 * so the length is asserted here; moto accepts any Runtime string.
 */
import { UpdateFunctionConfigurationCommand, waitUntilFunctionUpdatedV2 } from '@aws-sdk/client-lambda';
import { SetQueueAttributesCommand, type CreateQueueCommandInput } from '@aws-sdk/client-sqs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../src/handlers/ports.js';
import { handlerZip } from '../../src/proxy/provision/bundle.js';
import { uniqueName, useMoto } from '../helpers/moto.js';
import { cliAws, describeProxy, sdk, undoAll, type Restore } from '../helpers/provision.js';
import { runCli } from '../helpers/proxy-fixture.js';

useMoto();
const UPSTREAM = 'https://app.example.com/hooks';
const json = (r: { stdout: string }) => JSON.parse(r.stdout);
const actionsOf = (r: { stdout: string }) =>
  Object.fromEntries(
    (json(r).changes as { resource: string; action: string }[]).map((c) => [c.resource, c.action]),
  );

const restore: Restore = [];
afterEach(() => undoAll(restore));

beforeAll(() => {
  handlerZip('ingest');
  handlerZip('deliver');
});

describe('function descriptions carry no URL', () => {
  it('a 2,000-character upstream URL with a token in its query: create works, the URL only in WP_UPSTREAM', async () => {
    const name = uniqueName('desc');
    const token = 'tok_' + 'S3cr3t'.repeat(8);
    const base = `https://app.example.com/hooks/${'p'.repeat(1200)}?token=${token}&pad=`;
    const upstream = base + 'x'.repeat(2000 - base.length);
    expect(upstream).toHaveLength(2000);

    const res = await runCli('create', name, '--upstream', upstream, '--json');
    expect(res.code, res.stderr).toBe(0);
    const d = await describeProxy(name);
    for (const f of [d.functions.ingest.config, d.functions.deliver.config]) {
      expect(f.Description!.length).toBeGreaterThan(0);
      expect(f.Description!.length).toBeLessThanOrEqual(256);
      expect(f.Description).not.toMatch(/https?:|app\.example\.com/);
      expect(f.Description).not.toContain(token);
    }
    expect(d.functions.deliver.config.Environment?.Variables?.[ENV.upstream]).toBe(upstream);
    expect((await runCli('destroy', name, '--yes')).code).toBe(0);
  });
});

/** The input of every CreateQueue the CLI sends from now on (a middleware on its own SQS client). */
async function createQueueInputs() {
  const sqs = await cliAws().sqs();
  const inputs: CreateQueueCommandInput[] = [];
  sqs.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'CreateQueueCommand') inputs.push(args.input as CreateQueueCommandInput);
      return next(args);
    },
    { step: 'initialize', name: 'testCreateQueueInputs' },
  );
  restore.push(() => sqs.middlewareStack.remove('testCreateQueueInputs'));
  return inputs;
}

describe('MaximumMessageSize', () => {
  it('is set to 1 MiB on both queues at create, and a queue at 256 KiB is raised on a re-run', async () => {
    const name = uniqueName('msgsz');
    const sent = await createQueueInputs();
    const first = await runCli('create', name, '--upstream', UPSTREAM, '--json');
    expect(first.code, first.stderr).toBe(0);
    undoAll(restore);
    // Sent explicitly, not left to whichever default the account's queues have (moto's is 1 MiB).
    expect(sent).toHaveLength(2);
    for (const input of sent) expect(input.Attributes?.MaximumMessageSize).toBe('1048576');
    let d = await describeProxy(name);
    expect(d.queue.attributes.MaximumMessageSize).toBe('1048576');
    expect(d.dlq.attributes.MaximumMessageSize).toBe('1048576');

    // An old proxy: both queues at the 256 KiB that was the default before.
    for (const url of [d.queue.url, d.dlq.url]) {
      await sdk().sqs.send(
        new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { MaximumMessageSize: '262144' } }),
      );
    }
    const again = await runCli('create', name, '--json');
    expect(again.code, again.stderr).toBe(0);
    expect(actionsOf(again)).toMatchObject({
      [`queue ${d.names.queue}`]: 'updated',
      [`dead-letter queue ${d.names.dlq}`]: 'updated',
    });
    d = await describeProxy(name);
    expect(d.queue.attributes.MaximumMessageSize).toBe('1048576');
    expect(d.dlq.attributes.MaximumMessageSize).toBe('1048576');
    expect((await runCli('destroy', name, '--yes')).code).toBe(0);
  });
});

/**
 * moto difference: moto ignores UpdateFunctionCode's Architectures (a function keeps the one it was
 * created with; AWS changes it, https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionCode.html#lambda-UpdateFunctionCode-request-Architectures).
 * So an x86_64 function is shown to the CLI by a middleware on its own Lambda client, until the CLI
 * sends the code with arm64; the inputs of its code updates are kept.
 */
async function x86UntilMovedToArm(fns: string[]) {
  const lambda = await cliAws().lambda();
  const moved = new Set<string>();
  const codeUpdates: { FunctionName?: string; Architectures?: string[] }[] = [];
  lambda.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { FunctionName?: string; Architectures?: string[] };
      if (context.commandName === 'UpdateFunctionCodeCommand') {
        codeUpdates.push(input);
        if (input.Architectures?.[0] === 'arm64') moved.add(input.FunctionName!);
      }
      const result = await next(args);
      const out = result.output as { Configuration?: { Architectures?: string[] } };
      if (
        context.commandName === 'GetFunctionCommand' &&
        fns.includes(input.FunctionName!) &&
        !moved.has(input.FunctionName!) &&
        out.Configuration
      ) {
        out.Configuration.Architectures = ['x86_64'];
      }
      return result;
    },
    { step: 'initialize', name: 'testX86Functions' },
  );
  restore.push(() => lambda.middlewareStack.remove('testX86Functions'));
  return codeUpdates;
}

describe('runtime', () => {
  it('an old proxy on nodejs22.x (x86_64) is moved to nodejs24.x on arm64 by a re-run', async () => {
    const name = uniqueName('rt');
    const first = await runCli('create', name, '--upstream', UPSTREAM);
    expect(first.code, first.stderr).toBe(0);
    let d = await describeProxy(name);
    expect(d.functions.deliver.config).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'] });
    const { lambda } = sdk();
    const fns = [d.names.ingestFunction, d.names.deliverFunction];
    for (const fn of fns) {
      await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: fn, Runtime: 'nodejs22.x' }));
      await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 30 }, { FunctionName: fn });
    }
    d = await describeProxy(name);
    expect(d.functions.deliver.config.Runtime).toBe('nodejs22.x');
    const codeUpdates = await x86UntilMovedToArm(fns);

    const again = await runCli('create', name, '--json');
    expect(again.code, again.stderr).toBe(0);
    expect(actionsOf(again)).toMatchObject({
      [`function ${d.names.ingestFunction}`]: 'updated',
      [`function ${d.names.deliverFunction}`]: 'updated',
    });
    d = await describeProxy(name);
    for (const f of [d.functions.ingest.config, d.functions.deliver.config]) {
      expect(f.Runtime).toBe('nodejs24.x');
    }
    // The same code (the bundles did not change), sent again with the architecture.
    expect(codeUpdates.map((u) => [u.FunctionName, u.Architectures]).sort()).toEqual(
      fns.map((fn) => [fn, ['arm64']]).sort(),
    );
    undoAll(restore);
    // Now nothing differs: a third run changes nothing.
    const third = await runCli('create', name, '--json');
    expect(third.code, third.stderr).toBe(0);
    expect(new Set(Object.values(actionsOf(third)))).toEqual(new Set(['unchanged']));
    expect((await runCli('destroy', name, '--yes')).code).toBe(0);
  });
});
