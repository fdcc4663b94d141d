/**
 * Alarms (`create --alarm-email ADDR`, `--alarm-topic-arn ARN`, `--alarm-age D`): four CloudWatch
 * alarms that tell an operator something is wrong without anyone watching `status`:
 *
 *   dlq        AWS/SQS ApproximateNumberOfMessagesVisible of the dead-letter queue  > 0
 *   age        AWS/SQS ApproximateAgeOfOldestMessage of the queue                    > --alarm-age
 *   errors     AWS/Lambda Errors of the deliver function (a crash or a timeout)      > 0
 *   throttles  AWS/Lambda Throttles of the deliver function                          > 0
 *
 * Each notifies (and says "OK" again) on the tool's own SNS topic, `webhook-proxy-<name>-alarms`,
 * which holds the e-mail subscription, and/or on a topic the user gives (never changed or deleted).
 * The alarms exist while the proxy has somewhere to send them; with both removed (`none`) they go.
 *
 * Like every other setting there is no state file: a re-run reads the alarms back (their actions and
 * the age threshold) and the topic's subscriptions, a flag left out keeps what is there, and only
 * what carries the tool's tags is ever changed or deleted.
 *
 * AWS facts this relies on (checked against the docs, Dec 2026):
 * - SQS pushes its metrics at one-minute intervals while a queue is active, and stops after six idle
 *   hours; a queue "is active … if it contains any messages" (SQS developer guide, "Monitoring Amazon
 *   SQS queues using CloudWatch",
 *   https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/monitoring-using-cloudwatch.html).
 *   So a DLQ that holds anything keeps reporting, and missing data means "empty and idle":
 *   TreatMissingData notBreaching (the default, `missing`, would leave a quiet proxy in
 *   INSUFFICIENT_DATA forever). Period 60 s matches SQS's resolution.
 * - In a DLQ, ApproximateAgeOfOldestMessage counts from the move, not the send (same guide,
 *   "Available CloudWatch metrics"): that is why the DLQ alarm is on the count, not the age.
 * - The deliver handler never throws for a failed upstream (it reports batch item failures), so
 *   Errors counts crashes and timeouts of the function itself; upstream failures show in the age and
 *   the DLQ alarms, and in `webhook-proxy logs --failed`.
 * - PutMetricAlarm "Tags … are ignored" when it updates an alarm (PutMetricAlarm API reference): tags
 *   of an existing alarm are set with TagResource.
 * - An e-mail subscription stays "PendingConfirmation" until the address confirms it (SNS developer
 *   guide, "Setting up and managing Amazon SNS email subscriptions"); nothing is sent to it before.
 *
 * moto differences: moto keeps alarms in INSUFFICIENT_DATA (it evaluates nothing), lists an e-mail
 * subscription with its ARN at once (as AWS lists a confirmed one), and never checks that an alarm
 * action's topic exists. The tests therefore hold the alarm definitions (metric, namespace,
 * dimensions, threshold, actions) to what is described here, not the states.
 */
import {
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  ListTagsForResourceCommand,
  PutMetricAlarmCommand,
  TagResourceCommand,
  type MetricAlarm,
  type PutMetricAlarmCommandInput,
} from '@aws-sdk/client-cloudwatch';
import type { Aws } from '../../aws/clients.js';
import { CliError } from '../../errors.js';
import {
  ALARM_KINDS,
  alarmNames,
  DEFAULT_ALARM_AGE_SECONDS,
  formatAge,
  type AlarmKind,
} from '../alarm-states.js';
import { isOurs, proxyTags, resourceNames } from '../names.js';
import {
  alarmTopicName,
  checkUserTopic,
  createTopic,
  deleteTopic,
  readTopic,
  subscribeEmail,
  tagTopic,
  topicArnOf,
  unsubscribe,
  type EmailSubscription,
} from './alarm-topic.js';
import { includesAll, sameJson } from './compare.js';
import type { SettingChange } from './settings.js';
import type { StepAction, StepContext } from './types.js';

/** What the alarm flags ask for. Absent: keep; null: remove (`none`). */
export interface AlarmRequest {
  email?: string | null;
  topicArn?: string | null;
  ageSeconds?: number;
}

type Tags = Record<string, string>;

/** What AWS holds of a proxy's alarms now, read before anything changes. */
export interface AlarmsRead {
  /** This proxy's alarms (tool-tagged), by kind. */
  alarms: Partial<Record<AlarmKind, MetricAlarm>>;
  /** Their tags, by kind. */
  tags: Partial<Record<AlarmKind, Tags>>;
  /** The tool's topic, when it exists and is ours. */
  topic?: { arn: string; tags: Tags };
  /** E-mail subscriptions on the tool's topic. */
  emails: EmailSubscription[];
  /** The user's topic (an action of our alarms that is not the tool's topic). */
  userTopicArn: string | null;
  /** The age threshold (seconds) of the age alarm, when it exists. */
  ageSeconds?: number;
  /** Same-named alarms or topic that are not this proxy's: never touched. */
  foreign: string[];
}

const listTags = async (aws: Aws, arn: string): Promise<Tags> => {
  const out = await (await aws.cloudwatch()).send(new ListTagsForResourceCommand({ ResourceARN: arn }));
  return Object.fromEntries((out.Tags ?? []).map((t) => [t.Key!, t.Value ?? '']));
};

/** Read one proxy's alarms and topic (DescribeAlarms, ListTagsForResource per alarm, the topic's reads). */
export async function readAlarms(aws: Aws, proxy: string): Promise<AlarmsRead> {
  const names = alarmNames(proxy);
  const [described, topicArn] = await Promise.all([
    (await aws.cloudwatch()).send(new DescribeAlarmsCommand({ AlarmNames: Object.values(names) })),
    topicArnOf(aws, proxy),
  ]);
  const found = described.MetricAlarms ?? [];
  const [tagged, topic] = await Promise.all([
    Promise.all(found.map(async (a) => [a, await listTags(aws, a.AlarmArn!)] as const)),
    readTopic(aws, topicArn),
  ]);
  const read: AlarmsRead = { alarms: {}, tags: {}, emails: [], userTopicArn: null, foreign: [] };
  for (const [alarm, tags] of tagged) {
    const kind = ALARM_KINDS.find((k) => names[k] === alarm.AlarmName);
    if (!kind) continue;
    if (!isOurs(tags, proxy)) {
      read.foreign.push(`alarm ${alarm.AlarmName}`);
      continue;
    }
    read.alarms[kind] = alarm;
    read.tags[kind] = tags;
  }
  if (topic) {
    if (isOurs(topic.tags, proxy)) {
      read.topic = { arn: topicArn, tags: topic.tags };
      read.emails = topic.emails;
    } else {
      read.foreign.push(`SNS topic ${alarmTopicName(proxy)}`);
    }
  }
  const anyAlarm = read.alarms.dlq ?? Object.values(read.alarms)[0];
  read.userTopicArn = anyAlarm?.AlarmActions?.find((a) => a !== topicArn) ?? null;
  if (read.alarms.age?.Threshold !== undefined) read.ageSeconds = read.alarms.age.Threshold;
  return read;
}

/** The alarm settings a run converges to. */
export interface AlarmPlan {
  proxy: string;
  /** The e-mail address to subscribe; undefined: keep the topic's subscriptions as they are. */
  email: string | null | undefined;
  topicArn: string | null;
  ageSeconds: number;
  current: AlarmsRead;
}

/** Merge the flags over what exists; checks the user's topic. Throws before anything changes. */
export async function planAlarms(
  aws: Aws,
  proxy: string,
  current: AlarmsRead,
  req: AlarmRequest,
): Promise<AlarmPlan> {
  const topicArn = req.topicArn !== undefined ? req.topicArn : current.userTopicArn;
  // Left out: the tool's topic and its subscriptions stay as they are (even with none confirmed).
  const email = req.email;
  const hasEmail = email !== null && (email !== undefined || current.topic !== undefined);
  if (req.ageSeconds !== undefined && !hasEmail && topicArn === null) {
    throw new CliError(
      `--alarm-age needs somewhere to send the alarms: proxy "${proxy}" has no alarm e-mail or topic.`,
      'Add --alarm-email ADDR or --alarm-topic-arn ARN.',
    );
  }
  if (req.topicArn) await checkUserTopic(aws, req.topicArn);
  return {
    proxy,
    email,
    topicArn,
    ageSeconds: req.ageSeconds ?? current.ageSeconds ?? DEFAULT_ALARM_AGE_SECONDS,
    current,
  };
}

const wantsTopic = (p: AlarmPlan) =>
  p.email !== null && (p.email !== undefined || p.current.topic !== undefined);
/** Alarms exist while they have somewhere to go. */
const wantsAlarms = (p: AlarmPlan) => wantsTopic(p) || p.topicArn !== null;

/** The alarm settings that change, as before → after lines (only for a proxy that exists). */
export function alarmChanges(plan: AlarmPlan, proxyExists: boolean): SettingChange[] {
  if (!proxyExists) return [];
  const c = plan.current;
  const out: SettingChange[] = [];
  const wasEmail = c.emails.length ? c.emails.map((e) => e.address).join(', ') : 'none';
  const nowEmail = plan.email === undefined ? wasEmail : (plan.email ?? 'none');
  if (wasEmail !== nowEmail) out.push({ setting: 'alarm-email', before: wasEmail, after: nowEmail });
  const wasTopic = c.userTopicArn ?? 'none';
  const nowTopic = plan.topicArn ?? 'none';
  if (wasTopic !== nowTopic) out.push({ setting: 'alarm-topic-arn', before: wasTopic, after: nowTopic });
  const had = Object.keys(c.alarms).length > 0;
  const wasAge = had && c.ageSeconds !== undefined ? formatAge(c.ageSeconds) : 'none';
  const nowAge = wantsAlarms(plan) ? formatAge(plan.ageSeconds) : 'none';
  if (wasAge !== nowAge) out.push({ setting: 'alarm-age', before: wasAge, after: nowAge });
  return out;
}

/** The four alarms' definitions: what PutMetricAlarm is given, and what DescribeAlarms must return. */
export function alarmDefinitions(
  proxy: string,
  region: string,
  o: { ordered: boolean; ageSeconds: number; actions: string[]; tags: Tags },
): Record<AlarmKind, PutMetricAlarmCommandInput> {
  const names = alarmNames(proxy);
  const r = resourceNames(proxy, { ordered: o.ordered });
  const next = (what: string) =>
    `webhook-proxy ${proxy} (${region}): ${what} Next: webhook-proxy logs ${proxy} --failed --region ${region}`;
  const common = {
    EvaluationPeriods: 1,
    DatapointsToAlarm: 1,
    ComparisonOperator: 'GreaterThanThreshold' as const,
    TreatMissingData: 'notBreaching',
    ActionsEnabled: true,
    AlarmActions: o.actions,
    OKActions: o.actions,
    Tags: Object.entries(o.tags).map(([Key, Value]) => ({ Key, Value })),
  };
  const sqs = (queue: string) => ({
    Namespace: 'AWS/SQS',
    Dimensions: [{ Name: 'QueueName', Value: queue }],
  });
  const fn = { Namespace: 'AWS/Lambda', Dimensions: [{ Name: 'FunctionName', Value: r.deliverFunction }] };
  return {
    dlq: {
      ...common,
      ...sqs(r.dlq),
      AlarmName: names.dlq,
      AlarmDescription: next(
        `webhooks reached the dead-letter queue after every attempt failed. They are kept; ` +
          `see them with "webhook-proxy peek ${proxy} --dlq", retry them with "webhook-proxy redrive ${proxy}".`,
      ),
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 0,
    },
    age: {
      ...common,
      ...sqs(r.queue),
      AlarmName: names.age,
      AlarmDescription: next(
        `the oldest queued webhook has waited over ${formatAge(o.ageSeconds)}: delivery is slow, paused or failing. ` +
          `See "webhook-proxy status ${proxy}".`,
      ),
      MetricName: 'ApproximateAgeOfOldestMessage',
      Statistic: 'Maximum',
      Period: 60,
      Threshold: o.ageSeconds,
    },
    errors: {
      ...common,
      ...fn,
      AlarmName: names.errors,
      AlarmDescription: next('the deliver function crashed or timed out (its batches are retried).'),
      MetricName: 'Errors',
      Statistic: 'Sum',
      Period: 300,
      Threshold: 0,
    },
    throttles: {
      ...common,
      ...fn,
      AlarmName: names.throttles,
      AlarmDescription: next('Lambda throttled the deliver function (account concurrency is short).'),
      MetricName: 'Throttles',
      Statistic: 'Sum',
      Period: 300,
      Threshold: 0,
    },
  };
}

/** The fields of a described alarm that a definition sets (Tags are compared separately). */
function differs(found: MetricAlarm, want: PutMetricAlarmCommandInput): boolean {
  const pick = (a: Partial<MetricAlarm> | PutMetricAlarmCommandInput) => ({
    Namespace: a.Namespace,
    MetricName: a.MetricName,
    Dimensions: [...(a.Dimensions ?? [])].map((d) => ({ Name: d.Name, Value: d.Value })),
    Statistic: a.Statistic,
    Period: a.Period,
    EvaluationPeriods: a.EvaluationPeriods,
    DatapointsToAlarm: a.DatapointsToAlarm,
    Threshold: a.Threshold,
    ComparisonOperator: a.ComparisonOperator,
    TreatMissingData: a.TreatMissingData,
    ActionsEnabled: a.ActionsEnabled,
    AlarmActions: [...(a.AlarmActions ?? [])].sort(),
    OKActions: [...(a.OKActions ?? [])].sort(),
    AlarmDescription: a.AlarmDescription,
  });
  return !sameJson(pick(found), pick(want));
}

type Step = <T extends { action: StepAction }>(label: string, run: () => Promise<T>) => Promise<T>;
/**
 * Converge the topic, the e-mail subscription and the four alarms (create's last steps: the queues and
 * the function they watch exist by now). Returns the e-mail still waiting for its confirmation.
 */
export async function ensureAlarms(
  ctx: StepContext,
  plan: AlarmPlan,
  step: Step,
): Promise<{ pendingEmail?: string }> {
  const { aws, dryRun } = ctx;
  const c = plan.current;
  const proxy = plan.proxy;
  if (!wantsAlarms(plan) && !c.topic && Object.keys(c.alarms).length === 0) return {};
  const tags = proxyTags(proxy, ctx.spec.tags);
  const topicName = alarmTopicName(proxy);
  const topicArn = c.topic?.arn ?? (await topicArnOf(aws, proxy));
  const cw = await aws.cloudwatch();
  let pendingEmail: string | undefined;

  if (!wantsAlarms(plan)) {
    // Both destinations removed: the alarms go, then (below) the tool's topic with its subscriptions.
    for (const kind of ALARM_KINDS) {
      const found = c.alarms[kind];
      if (!found) continue;
      await step(`alarm ${found.AlarmName}`, async () => {
        if (!dryRun) await cw.send(new DeleteAlarmsCommand({ AlarmNames: [found.AlarmName!] }));
        return { action: 'deleted' as const };
      });
    }
  }

  if (wantsTopic(plan)) {
    await step(`SNS topic ${topicName}`, async () => {
      if (!c.topic) {
        if (!dryRun) await createTopic(aws, proxy, tags);
        return { action: 'created' as const };
      }
      if (includesAll(c.topic.tags, tags)) return { action: 'unchanged' as const };
      if (!dryRun) await tagTopic(aws, topicArn, tags);
      return { action: 'updated' as const };
    });
    const email = plan.email;
    if (email) {
      const have = c.emails.find((e) => e.address === email);
      await step(`e-mail subscription ${email}`, async () => {
        if (have) {
          if (have.pending) pendingEmail = email;
          return { action: 'unchanged' as const };
        }
        if (!dryRun) await subscribeEmail(aws, topicArn, email);
        pendingEmail = email;
        return { action: 'created' as const };
      });
      // The address it replaces. One still pending confirmation has no ARN to remove it by
      // (ListSubscriptionsByTopic shows "PendingConfirmation"): kept, and it receives nothing.
      for (const old of c.emails.filter((e) => e.address !== email)) {
        await step(`e-mail subscription ${old.address}`, async () => {
          if (old.pending) return { action: 'kept' as const };
          if (!dryRun) await unsubscribe(aws, old.arn);
          return { action: 'deleted' as const };
        });
      }
    } else {
      pendingEmail = c.emails.find((e) => e.pending)?.address;
    }
  }

  if (wantsAlarms(plan)) {
    const actions = [...(wantsTopic(plan) ? [topicArn] : []), ...(plan.topicArn ? [plan.topicArn] : [])];
    const defs = alarmDefinitions(proxy, aws.settings.region, {
      ordered: ctx.spec.ordered,
      ageSeconds: plan.ageSeconds,
      actions,
      tags,
    });
    for (const kind of ALARM_KINDS) {
      const want = defs[kind];
      const found = c.alarms[kind];
      await step(`alarm ${want.AlarmName}`, async () => {
        if (!found) {
          if (!dryRun) await cw.send(new PutMetricAlarmCommand(want));
          return { action: 'created' as const };
        }
        let changed = false;
        if (differs(found, want)) {
          changed = true;
          if (!dryRun) await cw.send(new PutMetricAlarmCommand(want));
        }
        // PutMetricAlarm ignores Tags on an update: an existing alarm is tagged with TagResource.
        if (!includesAll(c.tags[kind], tags)) {
          changed = true;
          if (!dryRun)
            await cw.send(new TagResourceCommand({ ResourceARN: found.AlarmArn!, Tags: want.Tags! }));
        }
        return { action: changed ? ('updated' as const) : ('unchanged' as const) };
      });
    }
  }

  if (!wantsTopic(plan) && c.topic) {
    await step(`SNS topic ${topicName}`, async () => {
      if (!dryRun) await deleteTopic(aws, topicArn);
      return { action: 'deleted' as const };
    });
  }
  return pendingEmail ? { pendingEmail } : {};
}

/** destroy: this proxy's alarms and the tool's topic; only what carries the tool's tags. */
export async function destroyAlarms(
  aws: Aws,
  proxy: string,
): Promise<{ deleted: string[]; leftAlone: string[] }> {
  const c = await readAlarms(aws, proxy);
  const deleted: string[] = [];
  const names = Object.values(c.alarms).map((a) => a.AlarmName!);
  if (names.length) {
    await (await aws.cloudwatch()).send(new DeleteAlarmsCommand({ AlarmNames: names }));
    deleted.push(...names.map((n) => `alarm ${n}`));
  }
  if (c.topic) {
    await deleteTopic(aws, c.topic.arn);
    deleted.push(`SNS topic ${alarmTopicName(proxy)}`);
  }
  return { deleted, leftAlone: c.foreign };
}
