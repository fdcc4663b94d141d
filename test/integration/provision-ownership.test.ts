/**
 * Never adopt or delete what the tool did not make (issue 12, item 13), against moto: a same-named
 * role, queue, function, log group or HTTP API without the tool's tags (managed-by=webhook-proxy and
 * webhook-proxy:name=NAME) stops `create` with exit 1, naming it, before anything is created; `destroy`
 * leaves it alone and says so. The same for one part of a real proxy whose tags were removed by hand.
 */
import { CreateApiCommand } from '@aws-sdk/client-apigatewayv2';
import { CreateLogGroupCommand, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateRoleCommand, GetRoleCommand, UntagRoleCommand } from '@aws-sdk/client-iam';
import { CreateFunctionCommand, GetFunctionCommand } from '@aws-sdk/client-lambda';
import { CreateQueueCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { strToU8, zipSync } from 'fflate';
import { afterEach, describe, expect, it } from 'vitest';
import { NAME_TAG, resourceNames, TOOL_TAG } from '../../src/proxy/names.js';
import { uniqueName, useMoto } from '../helpers/moto.js';
import {
  apisNamed,
  leftovers,
  recordCalls,
  sdk,
  undoAll,
  writes,
  type Restore,
} from '../helpers/provision.js';
import { runCli } from '../helpers/proxy-fixture.js';

useMoto();
const UPSTREAM = 'https://app.example.com/hooks';
const restore: Restore = [];
afterEach(() => undoAll(restore));

const trust = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

/** Someone else's resource under one of the proxy's names (untagged, or tagged for another tool). */
const FOREIGN: [string, (name: string) => Promise<string>, (name: string) => Promise<boolean>][] = [
  [
    'role',
    async (name) => {
      const role = resourceNames(name).deliverRole;
      await sdk().iam.send(new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: trust }));
      return `role ${role}`;
    },
    async (name) =>
      Boolean((await sdk().iam.send(new GetRoleCommand({ RoleName: resourceNames(name).deliverRole }))).Role),
  ],
  [
    'queue',
    async (name) => {
      const queue = resourceNames(name).queue;
      await sdk().sqs.send(new CreateQueueCommand({ QueueName: queue, tags: { team: 'billing' } }));
      return `queue ${queue}`;
    },
    async (name) =>
      Boolean(
        (await sdk().sqs.send(new GetQueueUrlCommand({ QueueName: resourceNames(name).queue }))).QueueUrl,
      ),
  ],
  [
    'function',
    async (name) => {
      const fn = resourceNames(name).ingestFunction;
      const role = await sdk().iam.send(
        new CreateRoleCommand({ RoleName: `other-${name}`, AssumeRolePolicyDocument: trust }),
      );
      await sdk().lambda.send(
        new CreateFunctionCommand({
          FunctionName: fn,
          Runtime: 'nodejs22.x',
          Handler: 'index.handler',
          Role: role.Role!.Arn!,
          Code: { ZipFile: zipSync({ 'index.mjs': strToU8('export const handler = async () => ({});\n') }) },
          // Tagged, but by another proxy: not this one's either.
          Tags: { [TOOL_TAG]: 'webhook-proxy', [NAME_TAG]: 'someone-else' },
        }),
      );
      return `function ${fn}`;
    },
    async (name) =>
      Boolean(
        (
          await sdk().lambda.send(
            new GetFunctionCommand({ FunctionName: resourceNames(name).ingestFunction }),
          )
        ).Configuration,
      ),
  ],
  [
    'log group',
    async (name) => {
      const group = resourceNames(name).deliverLogGroup;
      await sdk().logs.send(new CreateLogGroupCommand({ logGroupName: group }));
      return `log group ${group}`;
    },
    async (name) => {
      const group = resourceNames(name).deliverLogGroup;
      const found = await sdk().logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: group }));
      return Boolean(found.logGroups?.some((g) => g.logGroupName === group));
    },
  ],
  [
    'HTTP API',
    async (name) => {
      const api = resourceNames(name).api;
      await sdk().apigw.send(new CreateApiCommand({ Name: api, ProtocolType: 'HTTP' }));
      return `HTTP API ${api}`;
    },
    async (name) => (await apisNamed(resourceNames(name).api)).length === 1,
  ],
];

describe('a same-named resource that is not the proxy’s', () => {
  it.each(FOREIGN)(
    '%s: create stops before anything is created (exit 1, naming it); destroy leaves it alone',
    async (_kind, make, stillThere) => {
      const name = uniqueName('own');
      const label = await make(name);
      const before = await leftovers(name);

      const calls = await recordCalls(restore);
      const res = await runCli('create', name, '--upstream', UPSTREAM);
      expect(res.code).toBe(1);
      expect(res.stderr).toContain(`create stopped before changing anything: ${label} exists`);
      expect(res.stderr).toContain(`not made by webhook-proxy for proxy "${name}"`);
      expect(res.stderr).toMatch(/never adopts, changes or deletes what it did not make/);
      expect(writes(calls)).toEqual([]);
      expect(await leftovers(name)).toEqual(before);
      // --dry-run stops the same way.
      expect((await runCli('create', name, '--upstream', UPSTREAM, '--dry-run')).code).toBe(1);

      const gone = await runCli('destroy', name, '--yes', '--json');
      expect(gone.code, gone.stderr).toBe(0);
      expect(JSON.parse(gone.stdout)).toMatchObject({ deleted: [], leftAlone: [label] });
      const plain = await runCli('destroy', name, '--yes');
      expect(plain.stdout).toContain(`Left alone, not made by webhook-proxy for "${name}"`);
      expect(writes(calls)).toEqual([]);
      expect(await stillThere(name)).toBe(true);
      undoAll(restore);
    },
  );
});

describe('a part of a real proxy whose tags were removed by hand', () => {
  it('stops create with no change at all, and destroy deletes everything but that part', async () => {
    const name = uniqueName('untag');
    const n = resourceNames(name);
    expect((await runCli('create', name, '--upstream', UPSTREAM)).code).toBe(0);
    await sdk().iam.send(new UntagRoleCommand({ RoleName: n.deliverRole, TagKeys: [TOOL_TAG, NAME_TAG] }));

    const calls = await recordCalls(restore);
    const res = await runCli('create', name, '--concurrency', '4');
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`role ${n.deliverRole} exists`);
    expect(writes(calls)).toEqual([]);
    undoAll(restore);

    const gone = await runCli('destroy', name, '--yes', '--json');
    expect(gone.code, gone.stderr).toBe(0);
    expect(JSON.parse(gone.stdout).leftAlone).toEqual([`role ${n.deliverRole}`]);
    expect(await leftovers(name)).toEqual([`role ${n.deliverRole}`]);
  });
});
