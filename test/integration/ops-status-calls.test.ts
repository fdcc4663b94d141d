/**
 * status is one parallel round: count its AWS calls and check that only the queue reads wait for
 * another call (critical path depth 2). Every SDK call is recorded by a middleware on the clients.
 */
import { describe, expect, it } from 'vitest';
import { createAws } from '../../src/aws/clients.js';
import { inspectProxy } from '../../src/proxy/inspect.js';
import { TEST_REGION, uniqueName, useMoto } from '../helpers/moto.js';
import { createProxyFixture } from '../helpers/proxy-fixture.js';

const endpoint = useMoto();

type Handler = (args: unknown) => Promise<unknown>;
interface Stack {
  add(
    mw: (next: Handler, context: { commandName?: string }) => Handler,
    options: { step: 'initialize'; name: string },
  ): void;
}

describe('status API calls', () => {
  it('8 calls; 6 start before any answer, the 2 queue reads after ListQueues', async () => {
    const name = uniqueName('calls');
    await createProxyFixture(name);
    // A fresh client set (a distinct settings key), so nothing is shared with other tests.
    const aws = createAws({ region: TEST_REGION, endpoint: `${endpoint}/` });
    const calls: { command: string; startedAfter: number }[] = [];
    let finished = 0;
    const finishedNames: string[] = [];
    for (const client of await Promise.all([aws.sqs(), aws.lambda(), aws.apigw(), aws.cloudwatch()])) {
      (client.middlewareStack as unknown as Stack).add(
        (next, context) => async (args) => {
          const command = String(context.commandName);
          calls.push({ command, startedAfter: finished });
          try {
            return await next(args);
          } finally {
            finished++;
            finishedNames.push(command);
          }
        },
        { step: 'initialize', name: 'countCalls' },
      );
    }
    const s = await inspectProxy(aws, name);
    expect(s.name).toBe(name);
    expect(calls.map((c) => c.command).sort()).toEqual(
      [
        'GetApisCommand',
        'GetDomainNamesCommand',
        'GetFunctionConfigurationCommand',
        'GetMetricDataCommand',
        'GetQueueAttributesCommand',
        'GetQueueAttributesCommand',
        'ListEventSourceMappingsCommand',
        'ListQueuesCommand',
      ].sort(),
    );
    const depth1 = calls.filter((c) => c.startedAfter === 0).map((c) => c.command);
    expect(depth1).toHaveLength(6);
    expect(depth1).not.toContain('GetQueueAttributesCommand');
    // Each queue read starts once ListQueues has answered, not later than needed for anything else.
    for (const c of calls.filter((x) => x.command === 'GetQueueAttributesCommand')) {
      expect(finishedNames.slice(0, c.startedAfter)).toContain('ListQueuesCommand');
    }
  });
});
