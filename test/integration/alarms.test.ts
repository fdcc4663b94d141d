/**
 * Alarms (issue 15): `create --alarm-email/--alarm-topic-arn/--alarm-age` against moto, described with
 * the SDK (clients of the test's own): the four alarms' metrics, namespaces, dimensions, thresholds
 * and actions; the tool's topic (tagged) with its e-mail subscription; a re-run without alarm flags
 * changes nothing; each flag changes (or removes) only its part, shown before → after; `status`
 * shows the alarms; `destroy` removes the alarms and the tool's topic and never the user's topic.
 *
 * moto differences: moto lists an e-mail subscription with its ARN at once (AWS shows
 * "PendingConfirmation" until the address confirms it); moto evaluates no alarm (states stay INSUFFICIENT_DATA), so the states AWS would
 * reach are not tested here; it accepts alarm actions naming topics that do not exist (AWS does too:
 * the CLI checks the user's topic itself, which is what the typo test holds it to).
 */
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  ListTagsForResourceCommand as ListAlarmTagsCommand,
  PutMetricAlarmCommand,
  DeleteAlarmsCommand,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import {
  CreateTopicCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListTagsForResourceCommand,
  SNSClient,
} from '@aws-sdk/client-sns';
import { afterEach, describe, expect, it } from 'vitest';
import { alarmNames } from '../../src/proxy/alarm-states.js';
import { NAME_TAG, TOOL_TAG, TOOL_TAG_VALUE, resourceNames } from '../../src/proxy/names.js';
import { uniqueName, useMoto } from '../helpers/moto.js';
import { recordCalls, undoAll, writes, type Restore } from '../helpers/provision.js';
import { runCli } from '../helpers/proxy-fixture.js';

useMoto();
const UPSTREAM = 'https://app.example.com/hooks';
const ACCOUNT = '123456789012'; // moto's
const cw = () => new CloudWatchClient({});
const sns = () => new SNSClient({});
const restore: Restore = [];
afterEach(() => undoAll(restore));

const json = (r: { stdout: string }) => JSON.parse(r.stdout);
const toolTopic = (name: string) => `arn:aws:sns:us-east-1:${ACCOUNT}:webhook-proxy-${name}-alarms`;

async function alarmsOf(name: string): Promise<Record<string, MetricAlarm>> {
  const names = alarmNames(name);
  const out = await cw().send(new DescribeAlarmsCommand({ AlarmNames: Object.values(names) }));
  return Object.fromEntries((out.MetricAlarms ?? []).map((a) => [a.AlarmName!.replace(/^.*-alarm-/, ''), a]));
}

async function topicExists(arn: string): Promise<boolean> {
  try {
    await sns().send(new GetTopicAttributesCommand({ TopicArn: arn }));
    return true;
  } catch (err) {
    if (/NotFound/.test((err as Error).name)) return false;
    throw err;
  }
}

const emailsOn = async (arn: string) =>
  ((await sns().send(new ListSubscriptionsByTopicCommand({ TopicArn: arn }))).Subscriptions ?? [])
    .filter((s) => s.Protocol === 'email')
    .map((s) => s.Endpoint);

const alarmSteps = (r: { stdout: string }) =>
  (json(r).changes as { resource: string; action: string }[]).filter((c) =>
    /^(alarm|SNS topic|e-mail subscription) /.test(c.resource),
  );

describe('create --alarm-email', () => {
  const name = uniqueName('alarm');
  const r = resourceNames(name);

  it('makes four alarms on the right metrics, a tagged topic and a pending e-mail subscription', async () => {
    const res = await runCli('create', name, '--upstream', UPSTREAM, '--alarm-email', 'ops@example.com');
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/Alarm e-mails to ops@example.com: PENDING CONFIRMATION/);

    const a = await alarmsOf(name);
    expect(Object.keys(a).sort()).toEqual(['age', 'dlq', 'errors', 'throttles']);
    const common = {
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [toolTopic(name)],
      OKActions: [toolTopic(name)],
    };
    expect(a.dlq).toMatchObject({
      ...common,
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: r.dlq }],
      Statistic: 'Maximum',
      Threshold: 0,
      Period: 60,
    });
    expect(a.age).toMatchObject({
      ...common,
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: r.queue }],
      Threshold: 900, // the 15-minute default
    });
    for (const [kind, metric] of [
      ['errors', 'Errors'],
      ['throttles', 'Throttles'],
    ] as const) {
      expect(a[kind]).toMatchObject({
        ...common,
        Namespace: 'AWS/Lambda',
        MetricName: metric,
        Dimensions: [{ Name: 'FunctionName', Value: r.deliverFunction }],
        Statistic: 'Sum',
        Threshold: 0,
      });
    }
    // Each alarm says what to run next, with the proxy's name and region.
    expect(a.dlq!.AlarmDescription).toContain(`webhook-proxy logs ${name} --failed --region us-east-1`);
    const alarmTags = await cw().send(new ListAlarmTagsCommand({ ResourceARN: a.dlq!.AlarmArn }));
    expect(alarmTags.Tags).toEqual(
      expect.arrayContaining([
        { Key: TOOL_TAG, Value: TOOL_TAG_VALUE },
        { Key: NAME_TAG, Value: name },
      ]),
    );
    const topicTags = await sns().send(new ListTagsForResourceCommand({ ResourceArn: toolTopic(name) }));
    expect(topicTags.Tags).toEqual(expect.arrayContaining([{ Key: NAME_TAG, Value: name }]));
    expect(await emailsOn(toolTopic(name))).toEqual(['ops@example.com']);
  });

  it('a re-run without alarm flags leaves them all unchanged and writes nothing to CloudWatch or SNS', async () => {
    const calls = await recordCalls(restore, { clients: ['cloudwatch', 'sns'] });
    const res = await runCli('create', name, '--json');
    expect(res.code, res.stderr).toBe(0);
    const steps = alarmSteps(res);
    expect(steps.map((s) => s.resource.split(' ')[0])).toEqual(['SNS', 'alarm', 'alarm', 'alarm', 'alarm']);
    expect(steps.every((s) => s.action === 'unchanged')).toBe(true);
    expect(json(res).settings).toEqual([]);
    expect(writes(calls)).toEqual([]);
  });

  it('--alarm-age and --alarm-topic-arn change only their parts, before → after', async () => {
    const user = (await sns().send(new CreateTopicCommand({ Name: `${name}-oncall` }))).TopicArn!;
    const res = await runCli('create', name, '--alarm-age', '30m', '--alarm-topic-arn', user, '--json');
    expect(res.code, res.stderr).toBe(0);
    expect(json(res).settings).toEqual([
      { setting: 'alarm-topic-arn', before: 'none', after: user },
      { setting: 'alarm-age', before: '15 min', after: '30 min' },
    ]);
    const a = await alarmsOf(name);
    expect(a.age!.Threshold).toBe(1800);
    for (const alarm of Object.values(a)) {
      expect([...alarm.AlarmActions!].sort()).toEqual([toolTopic(name), user].sort());
    }
    expect(await emailsOn(toolTopic(name))).toEqual(['ops@example.com']);

    // The e-mail changes: the new address is subscribed (pending), the old one removed.
    const moved = await runCli('create', name, '--alarm-email', 'night@example.com', '--json');
    expect(moved.code, moved.stderr).toBe(0);
    expect(json(moved).settings).toEqual([
      { setting: 'alarm-email', before: 'ops@example.com', after: 'night@example.com' },
    ]);
    expect(json(moved).alarmEmailPending).toBe('night@example.com');
    // moto lists a new e-mail subscription with its ARN at once, as AWS lists a confirmed one, so the
    // old address is removed; on AWS one still pending would be kept (it has no ARN to remove it by).
    expect(await emailsOn(toolTopic(name))).toEqual(['night@example.com']);
    expect(alarmSteps(moved)).toContainEqual({
      resource: 'e-mail subscription ops@example.com',
      action: 'deleted',
    });

    // --alarm-email none: the tool's topic goes, the alarms keep notifying the user's topic.
    const noEmail = await runCli('create', name, '--alarm-email', 'none', '--json');
    expect(noEmail.code, noEmail.stderr).toBe(0);
    expect(await topicExists(toolTopic(name))).toBe(false);
    for (const alarm of Object.values(await alarmsOf(name))) expect(alarm.AlarmActions).toEqual([user]);
    expect(alarmSteps(noEmail)).toContainEqual({
      resource: `SNS topic webhook-proxy-${name}-alarms`,
      action: 'deleted',
    });

    // --alarm-topic-arn none as well: nowhere to send them, so the alarms go; the user's topic stays.
    const none = await runCli('create', name, '--alarm-topic-arn', 'none', '--json');
    expect(none.code, none.stderr).toBe(0);
    expect(await alarmsOf(name)).toEqual({});
    expect(await topicExists(user)).toBe(true);
    expect(json(none).settings).toEqual([
      { setting: 'alarm-topic-arn', before: user, after: 'none' },
      { setting: 'alarm-age', before: '30 min', after: 'none' },
    ]);
  });

  it('status shows the alarms; destroy removes them and the tool topic, never the user topic', async () => {
    const user = (await sns().send(new CreateTopicCommand({ Name: `${name}-pager` }))).TopicArn!;
    const res = await runCli('create', name, '--alarm-email', 'ops@example.com', '--alarm-topic-arn', user);
    expect(res.code, res.stderr).toBe(0);
    const status = await runCli('status', name, '--json');
    expect(status.code, status.stderr).toBe(0);
    const states = json(status).alarms as { kind: string; state: string }[];
    expect(states.map((s) => s.kind)).toEqual(['dlq', 'age', 'errors', 'throttles']);
    // moto never evaluates an alarm: they stay without data (AWS would say OK once it has some).
    expect(states.every((s) => ['OK', 'ALARM', 'INSUFFICIENT_DATA'].includes(s.state))).toBe(true);
    const text = await runCli('status', name);
    expect(text.stdout).toMatch(/^alarms {5}/m);

    const gone = await runCli('destroy', name, '--yes', '--json');
    expect(gone.code, gone.stderr).toBe(0);
    expect(json(gone).deleted).toEqual(
      expect.arrayContaining([`alarm ${alarmNames(name).dlq}`, `SNS topic webhook-proxy-${name}-alarms`]),
    );
    expect(await alarmsOf(name)).toEqual({});
    expect(await topicExists(toolTopic(name))).toBe(false);
    expect(await topicExists(user)).toBe(true);
  });
});

describe('alarm flags that are wrong, and alarms that are not ours', () => {
  it('refuses a bad address (exit 2) and a topic that does not exist (exit 1), creating nothing', async () => {
    const name = uniqueName('alarmbad');
    const bad = await runCli('create', name, '--upstream', UPSTREAM, '--alarm-email', 'ops.example.com');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not an e-mail address/);
    const arn = `arn:aws:sns:us-east-1:${ACCOUNT}:${name}-typo`;
    const missing = await runCli('create', name, '--upstream', UPSTREAM, '--alarm-topic-arn', arn);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no such SNS topic/);
    const age = await runCli('create', name, '--upstream', UPSTREAM, '--alarm-age', '10s');
    expect(age.code).toBe(2);
    expect(age.stderr).toMatch(/--alarm-age must be a duration from 1m/);
    const list = await runCli('list', '--json');
    expect((json(list) as { name: string }[]).map((p) => p.name)).not.toContain(name);
  });

  it('a same-named alarm without the tool tags stops create and is left alone by destroy', async () => {
    const name = uniqueName('alarmforeign');
    const theirs = alarmNames(name).dlq;
    await cw().send(
      new PutMetricAlarmCommand({
        AlarmName: theirs,
        Namespace: 'Custom',
        MetricName: 'Other',
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanThreshold',
      }),
    );
    const res = await runCli('create', name, '--upstream', UPSTREAM, '--alarm-email', 'ops@example.com');
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`alarm ${theirs}`);
    expect((await alarmsOf(name)).dlq!.Namespace).toBe('Custom');
    const list = await runCli('list', '--json');
    expect((json(list) as { name: string }[]).map((p) => p.name)).not.toContain(name);
    await cw().send(new DeleteAlarmsCommand({ AlarmNames: [theirs] }));
  });
});
