/**
 * A re-run of `create` converges the `$default` stage: a changed --ingress-rate/--ingress-burst is sent
 * with UpdateStage, --no-access-logs removes the stage's log settings with DeleteAccessLogSettings, and
 * turning access logs back on sends UpdateStage with AccessLogSettings.
 *
 * moto gap: moto 5.2.1 implements neither UpdateStage nor DeleteAccessLogSettings for HTTP APIs (it
 * answers both with an HTML 404 page, which the SDK fails to parse), so a re-run against moto alone stops
 * at "stage $default". These two calls are answered by an aws-sdk-client-mock stub on the CLI's own
 * cached API Gateway client, which records what the CLI sent; every other call (GetStage included, so
 * the stage the CLI compares against is the one moto holds) goes on to moto. The code is for AWS.
 */
import { DeleteAccessLogSettingsCommand, UpdateStageCommand } from '@aws-sdk/client-apigatewayv2';
import { afterEach, describe, expect, it } from 'vitest';
import { ACCESS_LOG_FORMAT } from '../../src/proxy/provision/stage.js';
import { TEST_REGION, uniqueName, useMoto } from '../helpers/moto.js';
import { cliAws, describeProxy, inject, undoAll, type Restore } from '../helpers/provision.js';
import { runCli } from '../helpers/proxy-fixture.js';

useMoto();
const UPSTREAM = 'https://app.example.com/hooks';

const ingress = (rate: number, burst: number) => ['--ingress-rate', `${rate}`, '--ingress-burst', `${burst}`];

const restore: Restore = [];
afterEach(() => undoAll(restore));

const changes = (stdout: string) =>
  Object.fromEntries(
    (JSON.parse(stdout).changes as { resource: string; action: string }[]).map((c) => [c.resource, c.action]),
  );

/** Answer the two stage calls moto lacks, keeping what the CLI sent; all else reaches moto. */
async function stubStageWrites() {
  const sent: { command: string; input: object }[] = [];
  inject(
    await cliAws().apigw(),
    (cmd) => {
      if (cmd instanceof UpdateStageCommand || cmd instanceof DeleteAccessLogSettingsCommand) {
        const command = cmd instanceof UpdateStageCommand ? 'UpdateStage' : 'DeleteAccessLogSettings';
        sent.push({ command, input: cmd.input });
        return { $metadata: {} };
      }
      return undefined;
    },
    restore,
  );
  return sent;
}

/** The access log group's ARN as the stage names it (no trailing `:*`). */
async function accessLogArn(name: string) {
  const d = await describeProxy(name);
  const account = d.queue.attributes.QueueArn!.split(':')[4];
  return `arn:aws:logs:${TEST_REGION}:${account}:log-group:${d.names.accessLogGroup}`;
}

/** The changes that are not `unchanged` are exactly `expected` (resource → action). */
function onlyTheseChanged(stdout: string, expected: Record<string, string>) {
  const acted = Object.fromEntries(Object.entries(changes(stdout)).filter(([, a]) => a !== 'unchanged'));
  expect(acted).toEqual(expected);
}

describe('the $default stage on a re-run of create', () => {
  it('a changed --ingress-rate/--ingress-burst sends UpdateStage with the new DefaultRouteSettings', async () => {
    const name = uniqueName('stg');
    const first = await runCli('create', name, '--upstream', UPSTREAM, ...ingress(50, 100));
    expect(first.code, first.stderr).toBe(0);
    const { api } = await describeProxy(name);

    const sent = await stubStageWrites();
    const res = await runCli('create', name, '--upstream', UPSTREAM, ...ingress(80, 160), '--json');
    expect(res.code, res.stderr).toBe(0);
    onlyTheseChanged(res.stdout, { 'stage $default': 'updated' });
    // Access logs stay on, so the update carries their settings too (UpdateStage would keep them anyway).
    expect(sent).toEqual([
      {
        command: 'UpdateStage',
        input: {
          ApiId: api!.ApiId,
          StageName: '$default',
          AutoDeploy: true,
          DefaultRouteSettings: { ThrottlingRateLimit: 80, ThrottlingBurstLimit: 160 },
          AccessLogSettings: { DestinationArn: await accessLogArn(name), Format: ACCESS_LOG_FORMAT },
        },
      },
    ]);

    // The limits moto still holds (50/100: the update above went to the stub) send nothing: the stage
    // is compared with what is wanted, not rewritten on every run.
    const same = await runCli('create', name, '--upstream', UPSTREAM, ...ingress(50, 100), '--json');
    expect(same.code, same.stderr).toBe(0);
    onlyTheseChanged(same.stdout, {});
    expect(sent).toHaveLength(1);
    expect((await runCli('destroy', name, '--yes')).code).toBe(0);
  });

  it('--ingress-rate none sets the account-level limit (a stage throttle cannot be unset), flagged as security', async () => {
    const name = uniqueName('stgnone');
    const first = await runCli('create', name, '--upstream', UPSTREAM, ...ingress(50, 100));
    expect(first.code, first.stderr).toBe(0);
    const { api } = await describeProxy(name);

    const sent = await stubStageWrites();
    // Left out, the limit is kept.
    const kept = await runCli('create', name, '--json');
    expect(kept.code, kept.stderr).toBe(0);
    onlyTheseChanged(kept.stdout, {});
    const res = await runCli('create', name, '--ingress-rate', 'none', '--json');
    expect(res.code, res.stderr).toBe(0);
    onlyTheseChanged(res.stdout, { 'stage $default': 'updated' });
    expect(JSON.parse(res.stdout).settings).toEqual([
      expect.objectContaining({
        setting: 'ingress-rate',
        before: '50/s, burst 100',
        after: 'none',
        security: true,
      }),
    ]);
    expect(sent).toEqual([
      {
        command: 'UpdateStage',
        input: expect.objectContaining({
          ApiId: api!.ApiId,
          DefaultRouteSettings: { ThrottlingRateLimit: 10_000, ThrottlingBurstLimit: 5_000 },
        }),
      },
    ]);
    expect((await runCli('destroy', name, '--yes')).code).toBe(0);
  });

  it('--no-access-logs sends DeleteAccessLogSettings and no UpdateStage', async () => {
    const name = uniqueName('stgoff');
    const first = await runCli('create', name, '--upstream', UPSTREAM);
    expect(first.code, first.stderr).toBe(0);
    const { api, stage } = await describeProxy(name);
    expect(stage?.AccessLogSettings?.DestinationArn).toBe(await accessLogArn(name));

    const sent = await stubStageWrites();
    const res = await runCli('create', name, '--upstream', UPSTREAM, '--no-access-logs', '--json');
    expect(res.code, res.stderr).toBe(0);
    onlyTheseChanged(res.stdout, { 'stage $default': 'updated' });
    // Throttling and auto-deploy are as wanted: removing the log settings is the whole update.
    expect(sent).toEqual([
      { command: 'DeleteAccessLogSettings', input: { ApiId: api!.ApiId, StageName: '$default' } },
    ]);
    expect((await runCli('destroy', name, '--yes')).code).toBe(0);
  });

  it('access logs turned back on send UpdateStage with AccessLogSettings, and make the log group', async () => {
    const name = uniqueName('stgon');
    const first = await runCli('create', name, '--upstream', UPSTREAM, '--no-access-logs');
    expect(first.code, first.stderr).toBe(0);
    const before = await describeProxy(name);
    expect(before.stage?.AccessLogSettings?.DestinationArn).toBeUndefined();
    expect(before.logGroups.access).toBeUndefined();

    const sent = await stubStageWrites();
    // Left out, --no-access-logs is kept: turning them back on takes --access-logs.
    const kept = await runCli('create', name, '--json');
    expect(kept.code, kept.stderr).toBe(0);
    onlyTheseChanged(kept.stdout, {});
    expect(sent).toEqual([]);
    const res = await runCli('create', name, '--access-logs', '--json');
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout).settings).toEqual([{ setting: 'access-logs', before: 'off', after: 'on' }]);
    const logGroup = `log group ${before.names.accessLogGroup}`;
    onlyTheseChanged(res.stdout, { [logGroup]: 'created', 'stage $default': 'updated' });
    expect(sent).toEqual([
      {
        command: 'UpdateStage',
        input: {
          ApiId: before.api!.ApiId,
          StageName: '$default',
          AutoDeploy: true,
          DefaultRouteSettings: {},
          AccessLogSettings: { DestinationArn: await accessLogArn(name), Format: ACCESS_LOG_FORMAT },
        },
      },
    ]);
    const after = await describeProxy(name);
    expect(after.logGroups.access).toEqual({ retentionInDays: 14, tags: after.functions.ingest.tags });
    expect((await runCli('destroy', name, '--yes')).code).toBe(0);
  });
});
