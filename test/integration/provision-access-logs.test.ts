/**
 * Access logs under /aws/vendedlogs/ (issue 12 item 1). API Gateway adds every access-log group outside
 * that prefix to the account's one CloudWatch Logs resource policy, limited to 5,120 characters; past a
 * few dozen APIs CreateStage/UpdateStage fail and a proxy is left without a stage
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-and-resource-policy.html,
 * https://docs.aws.amazon.com/step-functions/latest/dg/bp-cwl.html). moto keeps no such policy, so the
 * limit itself cannot fail here: the tests hold the code to the name, the migration and destroy.
 *
 * - a new proxy logs to /aws/vendedlogs/apigateway/webhook-proxy-<name>, with its retention;
 * - a proxy made before (stage → /aws/apigateway/webhook-proxy-<name>) is moved on a re-run: the new
 *   group is created with its retention, then the stage points at it; the old group is left as it was
 *   (its logs age out under their own retention) until destroy, which deletes both;
 * - a same-named old group without the proxy's tags neither stops create nor is deleted by destroy.
 *
 * moto gap: UpdateStage is not implemented for HTTP APIs in moto 5.2.1 (see provision-stage.test.ts),
 * so it is answered by a stub on the CLI's own client that records what was sent.
 */
import {
  CreateStageCommand,
  DeleteStageCommand,
  UpdateStageCommand,
  type UpdateStageCommandInput,
} from '@aws-sdk/client-apigatewayv2';
import {
  CreateLogGroupCommand,
  DeleteLogGroupCommand,
  PutRetentionPolicyCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { afterEach, describe, expect, it } from 'vitest';
import { proxyTags } from '../../src/proxy/names.js';
import { ACCESS_LOG_FORMAT } from '../../src/proxy/provision/stage.js';
import { TEST_REGION, uniqueName, useMoto } from '../helpers/moto.js';
import {
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

const changesOf = (stdout: string) =>
  Object.fromEntries(
    (JSON.parse(stdout).changes as { resource: string; action: string }[])
      .filter((c) => c.action !== 'unchanged')
      .map((c) => [c.resource, c.action]),
  );

async function logGroupsNamed(prefix: string) {
  const { DescribeLogGroupsCommand } = await import('@aws-sdk/client-cloudwatch-logs');
  return (
    (await sdk().logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: prefix }))).logGroups ?? []
  );
}

/** Turn a proxy made today into one made before: access logs in the old group, the new one gone. */
async function asBefore(name: string, o: { oldGroupTagged: boolean }) {
  const d = await describeProxy(name);
  const account = d.queue.attributes.QueueArn!.split(':')[4];
  const oldGroup = d.names.legacyAccessLogGroup;
  const { logs, apigw } = sdk();
  await logs.send(
    new CreateLogGroupCommand({
      logGroupName: oldGroup,
      ...(o.oldGroupTagged ? { tags: proxyTags(name) } : {}),
    }),
  );
  await logs.send(new PutRetentionPolicyCommand({ logGroupName: oldGroup, retentionInDays: 14 }));
  await logs.send(new DeleteLogGroupCommand({ logGroupName: d.names.accessLogGroup }));
  const ApiId = d.api!.ApiId!;
  await apigw.send(new DeleteStageCommand({ ApiId, StageName: '$default' }));
  await apigw.send(
    new CreateStageCommand({
      ApiId,
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: {
        DestinationArn: `arn:aws:logs:${TEST_REGION}:${account}:log-group:${oldGroup}`,
        Format: ACCESS_LOG_FORMAT,
      },
      Tags: proxyTags(name),
    }),
  );
  return { d, account, oldGroup };
}

describe('access-log groups under /aws/vendedlogs/', () => {
  it('a new proxy logs to /aws/vendedlogs/apigateway/webhook-proxy-<name>, 14 days, tagged', async () => {
    const name = uniqueName('vend');
    const res = await runCli('create', name, '--upstream', UPSTREAM, '--json');
    expect(res.code, res.stderr).toBe(0);
    const d = await describeProxy(name);
    expect(d.names.accessLogGroup).toBe(`/aws/vendedlogs/apigateway/webhook-proxy-${name}`);
    expect(d.stage?.AccessLogSettings?.DestinationArn).toMatch(
      new RegExp(`:log-group:/aws/vendedlogs/apigateway/webhook-proxy-${name}$`),
    );
    expect(d.logGroups.access).toEqual({ retentionInDays: 14, tags: proxyTags(name) });
    expect(await logGroupsNamed(d.names.legacyAccessLogGroup)).toEqual([]);
    expect((await runCli('destroy', name, '--yes')).code).toBe(0);
    expect(await leftovers(name)).toEqual([]);
  });

  it('an old proxy moves on a re-run: new group first, then the stage; the old group is kept until destroy deletes both', async () => {
    const name = uniqueName('vendmig');
    expect((await runCli('create', name, '--upstream', UPSTREAM)).code).toBe(0);
    const { d, account, oldGroup } = await asBefore(name, { oldGroupTagged: true });

    const sent: UpdateStageCommandInput[] = [];
    inject(
      await cliAws().apigw(),
      (cmd) => {
        if (!(cmd instanceof UpdateStageCommand)) return undefined;
        sent.push(cmd.input);
        return { $metadata: {} };
      },
      restore,
    );
    const res = await runCli('create', name, '--json');
    expect(res.code, res.stderr).toBe(0);
    expect(changesOf(res.stdout)).toEqual({
      [`log group ${d.names.accessLogGroup}`]: 'created',
      'stage $default': 'updated',
    });
    // Access logs stay on: not a setting that changed.
    expect(JSON.parse(res.stdout).settings).toEqual([]);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.AccessLogSettings).toEqual({
      DestinationArn: `arn:aws:logs:${TEST_REGION}:${account}:log-group:${d.names.accessLogGroup}`,
      Format: ACCESS_LOG_FORMAT,
    });
    const after = await describeProxy(name);
    expect(after.logGroups.access).toEqual({ retentionInDays: 14, tags: proxyTags(name) });
    // The old group and its logs are left as they were, retention included.
    expect((await logGroupsNamed(oldGroup)).map((g) => [g.logGroupName, g.retentionInDays])).toEqual([
      [oldGroup, 14],
    ]);
    undoAll(restore);

    const gone = await runCli('destroy', name, '--yes', '--json');
    expect(gone.code, gone.stderr).toBe(0);
    expect(JSON.parse(gone.stdout).deleted).toEqual(
      expect.arrayContaining([`log group ${d.names.accessLogGroup}`, `log group ${oldGroup}`]),
    );
    expect(await leftovers(name)).toEqual([]);
  });

  it('an old-name group without the proxy tags does not stop create, and destroy leaves it and says so', async () => {
    const name = uniqueName('vendfor');
    expect((await runCli('create', name, '--upstream', UPSTREAM)).code).toBe(0);
    const { oldGroup } = await asBefore(name, { oldGroupTagged: false });
    inject(
      await cliAws().apigw(),
      (cmd) => (cmd instanceof UpdateStageCommand ? { $metadata: {} } : undefined),
      restore,
    );
    const res = await runCli('create', name, '--json');
    expect(res.code, res.stderr).toBe(0);
    undoAll(restore);

    const gone = await runCli('destroy', name, '--yes', '--json');
    expect(gone.code, gone.stderr).toBe(0);
    expect(JSON.parse(gone.stdout).leftAlone).toEqual([`log group ${oldGroup}`]);
    expect(JSON.parse(gone.stdout).deleted).not.toContain(`log group ${oldGroup}`);
    expect(await leftovers(name)).toEqual([`log group ${oldGroup}`]);
    await sdk().logs.send(new DeleteLogGroupCommand({ logGroupName: oldGroup }));
  });
});
