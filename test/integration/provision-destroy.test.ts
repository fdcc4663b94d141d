/**
 * destroy interrupted midway and finished by a re-run; create straight after destroy while SQS still
 * refuses the queue names; a region name that is not one. Faults moto cannot produce (a 5xx from
 * DeleteFunction; QueueDeletedRecently, which AWS returns for 60 s after a queue of that name was
 * deleted and moto never does) are injected with aws-sdk-client-mock on the CLI's own cached clients;
 * every other call goes on to moto.
 */
import {
  DeleteEventSourceMappingCommand,
  DeleteFunctionCommand,
  GetEventSourceMappingCommand,
  ListEventSourceMappingsCommand,
  ResourceNotFoundException,
  ServiceException,
} from '@aws-sdk/client-lambda';
import { DeleteApiCommand } from '@aws-sdk/client-apigatewayv2';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  QueueDeletedRecently,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resourceNames } from '../../src/proxy/names.js';
import { recreate } from '../../src/proxy/provision/queues.js';
import { TEST_REGION, uniqueName, useMoto } from '../helpers/moto.js';
import {
  anythingNamed,
  cliAws,
  describeProxy,
  inject,
  leftovers,
  sdk,
  undoAll,
  type Restore,
} from '../helpers/provision.js';
import { runCli } from '../helpers/proxy-fixture.js';

useMoto();
const UPSTREAM = 'https://app.example.com/hooks';

const restore: Restore = [];
afterEach(() => undoAll(restore));

beforeAll(() => {
  Object.assign(recreate, { pollMs: 5 });
});

describe('destroy', () => {
  it('stopped midway names the step and the AWS error; a re-run finishes', async () => {
    const name = uniqueName('pdm');
    const n = resourceNames(name);
    expect((await runCli('create', name, '--upstream', UPSTREAM)).code).toBe(0);
    inject(
      await cliAws().lambda(),
      (cmd) => {
        if (cmd instanceof DeleteFunctionCommand && cmd.input.FunctionName === n.deliverFunction) {
          throw new ServiceException({
            message: 'Lambda had a bad moment',
            $metadata: { httpStatusCode: 500 },
          });
        }
      },
      restore,
    );
    const res = await runCli('destroy', name, '--yes');
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(
      `destroy stopped at "function ${n.deliverFunction}": ServiceException: Lambda had a bad moment`,
    );
    expect(res.stderr).toMatch(/Run the same destroy command again/);
    // The public endpoint went first; the webhooks' queues are still there.
    const left = await leftovers(name);
    expect(left).toEqual(expect.arrayContaining([`function ${n.deliverFunction}`, `queue ${n.queue}`]));
    expect(left.filter((l) => l.startsWith('api '))).toEqual([]);

    undoAll(restore);
    const again = await runCli('destroy', name, '--yes', '--json');
    expect(again.code, again.stderr).toBe(0);
    const deleted: string[] = JSON.parse(again.stdout).deleted;
    expect(deleted).toContain(`function ${n.deliverFunction}`);
    expect(deleted).toContain(`queue ${n.queue}`);
    expect(deleted).not.toContain(`function ${n.ingestFunction}`); // gone in the first run
    expect(await leftovers(name)).toEqual([]);
  });
});

describe('destroy of a proxy that is not there', () => {
  it('says so without asking for confirmation; a part left behind is still asked about', async () => {
    const name = uniqueName('pdn');
    const res = await runCli('destroy', name, '--region', 'eu-west-1', '--json');
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual({ name, region: 'eu-west-1', deleted: [], leftAlone: [] });
    const plain = await runCli('destroy', name, '--region', 'eu-west-1');
    expect(plain.stdout).toContain(`Nothing to delete: there is no proxy "${name}" in eu-west-1.`);

    // Queues deleted by hand, the functions still there: destroy is not a no-op, so it asks.
    expect((await runCli('create', name, '--upstream', UPSTREAM)).code).toBe(0);
    const d = await describeProxy(name);
    for (const url of [d.queue.url, d.dlq.url])
      await sdk().sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
    const asked = await runCli('destroy', name);
    expect(asked.code).toBe(2);
    expect(asked.stderr).toMatch(/needs confirmation: pass --yes/);
    expect((await runCli('destroy', name, '--yes')).code).toBe(0);
    expect(await leftovers(name)).toEqual([]);
  });
});

describe('destroy while webhooks are still arriving', () => {
  it('keeps the queues when one arrived after the first count, and says how to deliver or delete it', async () => {
    const name = uniqueName('pdx');
    const n = resourceNames(name);
    expect((await runCli('create', name, '--upstream', UPSTREAM)).code).toBe(0);
    const queueUrl = (await describeProxy(name)).queue.url;
    // A sender's webhook lands as the endpoint is being deleted, after destroy counted an empty queue.
    inject(
      await cliAws().apigw(),
      async (cmd) => {
        if (cmd instanceof DeleteApiCommand) {
          await sdk().sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'late webhook' }));
        }
      },
      restore,
    );
    const res = await runCli('destroy', name, '--yes');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/1 webhook arrived in the queue and 0 in the dead-letter queue/);
    // Suggested commands carry the name and region (issue 15), so pasting one acts on this proxy.
    expect(res.stderr).toContain(`webhook-proxy destroy ${name} --region ${TEST_REGION} --force`);
    expect(res.stderr).toContain(`webhook-proxy drain ${name} --region ${TEST_REGION}`);
    const left = await leftovers(name);
    expect(left).toEqual(expect.arrayContaining([`queue ${n.queue}`, `queue ${n.dlq}`]));
    expect(left.filter((l) => l.startsWith('function ') || l.startsWith('api '))).toEqual([]);

    undoAll(restore);
    expect((await runCli('destroy', name, '--yes')).code).toBe(1); // the first count now sees it
    const forced = await runCli('destroy', name, '--yes', '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(await leftovers(name)).toEqual([]);
  });
});

describe('create after a destroy interrupted while the mapping was being deleted', () => {
  it('waits for the old mapping to go and makes a new one (it is not "unchanged")', async () => {
    const name = uniqueName('pdd');
    expect((await runCli('create', name, '--upstream', UPSTREAM)).code).toBe(0);
    const old = (await describeProxy(name)).mappings[0]!;
    // On AWS a deleted mapping stays listed as "Deleting" for a while; moto removes it at once, so the
    // listing and the polls of that moment are injected.
    await sdk().lambda.send(new DeleteEventSourceMappingCommand({ UUID: old.UUID! }));
    let listed = 0;
    let polled = 0;
    inject(
      await cliAws().lambda(),
      (cmd) => {
        const deleting = { ...old, State: 'Deleting' };
        // Listed as Deleting until the poll sees it gone (create's up-front read lists it too).
        if (cmd instanceof ListEventSourceMappingsCommand && polled === 0) {
          listed++;
          return { EventSourceMappings: [deleting] };
        }
        if (cmd instanceof GetEventSourceMappingCommand && cmd.input.UUID === old.UUID) {
          if (polled++ === 0) return deleting;
          throw new ResourceNotFoundException({ message: 'gone', $metadata: { httpStatusCode: 404 } });
        }
        return undefined;
      },
      restore,
    );
    const res = await runCli('create', name, '--upstream', UPSTREAM, '--json');
    expect(res.code, res.stderr).toBe(0);
    const mappingAction = JSON.parse(res.stdout).changes.find((c: { resource: string }) =>
      c.resource.startsWith('event source mapping'),
    ).action;
    expect(mappingAction).toBe('created');
    expect(polled).toBe(2);
    expect(listed).toBeGreaterThanOrEqual(2);
    const d = await describeProxy(name);
    expect(d.mappings).toHaveLength(1);
    expect(d.mappings[0]!.UUID).not.toBe(old.UUID);
    expect((await runCli('destroy', name, '--yes')).code).toBe(0);
  });
});

describe('create right after destroy', () => {
  it('waits while SQS refuses the recently deleted queue names, then completes', async () => {
    const name = uniqueName('pdr');
    expect((await runCli('create', name, '--upstream', UPSTREAM)).code).toBe(0);
    expect((await runCli('destroy', name, '--yes')).code).toBe(0);
    let refused = 0;
    const mock = inject(
      await cliAws().sqs(),
      (cmd) => {
        if (cmd instanceof CreateQueueCommand && refused < 2) {
          refused++;
          throw new QueueDeletedRecently({
            message:
              'You must wait 60 seconds after deleting a queue before you can create another with the same name.',
            $metadata: { httpStatusCode: 400 },
          });
        }
      },
      restore,
    );
    const res = await runCli('create', name, '--upstream', UPSTREAM, '--json');
    expect(res.code, res.stderr).toBe(0);
    expect(refused).toBe(2);
    expect(mock.commandCalls(CreateQueueCommand)).toHaveLength(4); // 2 refused, then the DLQ and the queue
    const d = await describeProxy(name);
    expect(JSON.parse(d.queue.attributes.RedrivePolicy!).deadLetterTargetArn).toBe(d.dlq.attributes.QueueArn);
    expect((await runCli('destroy', name, '--yes')).code).toBe(0);
  });

  it('past the wait, fails at the queue step with the AWS error', async () => {
    const name = uniqueName('pdw');
    const saved = recreate.waitMs;
    recreate.waitMs = 30;
    restore.push(() => (recreate.waitMs = saved));
    inject(
      await cliAws().sqs(),
      (cmd) => {
        if (cmd instanceof CreateQueueCommand) {
          throw new QueueDeletedRecently({ message: 'You must wait 60 seconds', $metadata: {} });
        }
      },
      restore,
    );
    const res = await runCli('create', name, '--upstream', UPSTREAM);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(
      `create stopped at "dead-letter queue ${resourceNames(name).dlq}": QueueDeletedRecently: You must wait 60 seconds`,
    );
    expect(await anythingNamed(name)).toEqual([]);
  });
});

describe('a region name that is not one', () => {
  it.each([['mars'], ['US-EAST-1'], ['us-east']])('--region %s: exit 2, nothing created', async (region) => {
    const name = uniqueName('pdg');
    for (const argv of [
      ['create', name, '--upstream', UPSTREAM, '--region', region],
      ['destroy', name, '--yes', '--region', region],
    ]) {
      const res = await runCli(...argv);
      expect(res.code, argv.join(' ')).toBe(2);
      expect(res.stderr).toContain(`"${region}" is not an AWS region name`);
    }
    expect(await anythingNamed(name)).toEqual([]);
  });
});
