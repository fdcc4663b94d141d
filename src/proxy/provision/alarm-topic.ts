/**
 * The SNS side of the alarms: the tool's own topic (`webhook-proxy-<name>-alarms`, tagged, holding the
 * e-mail subscription) and the check of a topic the user gives. A user's topic is never changed.
 */
import {
  CreateTopicCommand,
  DeleteTopicCommand,
  GetTopicAttributesCommand,
  ListTagsForResourceCommand,
  paginateListSubscriptionsByTopic,
  SubscribeCommand,
  TagResourceCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import type { Aws } from '../../aws/clients.js';
import { isNotFound } from '../../aws/errors.js';
import { CliError } from '../../errors.js';
import { PREFIX } from '../names.js';

type Tags = Record<string, string>;
const tagList = (tags: Tags) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

export const alarmTopicName = (proxy: string) => `${PREFIX}${proxy}-alarms`;

export async function topicArnOf(aws: Aws, proxy: string): Promise<string> {
  const region = aws.settings.region;
  const partition = region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  return `arn:${partition}:sns:${region}:${await aws.accountId()}:${alarmTopicName(proxy)}`;
}

export interface EmailSubscription {
  address: string;
  arn: string;
  /** Not confirmed yet: SNS sends nothing to it, and it has no ARN to remove it by. */
  pending: boolean;
}

/** The topic's tags and e-mail subscriptions, or undefined when there is no such topic. */
export async function readTopic(
  aws: Aws,
  arn: string,
): Promise<{ tags: Tags; emails: EmailSubscription[] } | undefined> {
  const sns = await aws.sns();
  try {
    await sns.send(new GetTopicAttributesCommand({ TopicArn: arn }));
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  const tags = Object.fromEntries(
    ((await sns.send(new ListTagsForResourceCommand({ ResourceArn: arn }))).Tags ?? []).map((t) => [
      t.Key!,
      t.Value ?? '',
    ]),
  );
  const emails: EmailSubscription[] = [];
  for await (const page of paginateListSubscriptionsByTopic({ client: sns }, { TopicArn: arn })) {
    for (const s of page.Subscriptions ?? []) {
      if (s.Protocol !== 'email' || !s.Endpoint) continue;
      const pending = !s.SubscriptionArn || s.SubscriptionArn === 'PendingConfirmation';
      emails.push({ address: s.Endpoint, arn: s.SubscriptionArn ?? '', pending });
    }
  }
  return { tags, emails };
}

/** A user's topic must exist: a typo would leave the alarms notifying nobody. */
export async function checkUserTopic(aws: Aws, arn: string): Promise<void> {
  try {
    await (await aws.sns()).send(new GetTopicAttributesCommand({ TopicArn: arn }));
  } catch (err) {
    if (isNotFound(err)) {
      throw new CliError(
        `--alarm-topic-arn ${arn}: there is no such SNS topic (create stopped before changing anything).`,
        'Check the ARN (its region and account too), or use --alarm-email to let webhook-proxy make a topic.',
      );
    }
    // Not allowed to read it (another account's topic, say): CloudWatch may still publish to it.
  }
}

export async function createTopic(aws: Aws, proxy: string, tags: Tags): Promise<string> {
  const out = await (
    await aws.sns()
  ).send(new CreateTopicCommand({ Name: alarmTopicName(proxy), Tags: tagList(tags) }));
  return out.TopicArn!;
}

export async function tagTopic(aws: Aws, arn: string, tags: Tags): Promise<void> {
  await (await aws.sns()).send(new TagResourceCommand({ ResourceArn: arn, Tags: tagList(tags) }));
}

export async function subscribeEmail(aws: Aws, arn: string, email: string): Promise<void> {
  await (
    await aws.sns()
  ).send(
    new SubscribeCommand({ TopicArn: arn, Protocol: 'email', Endpoint: email, ReturnSubscriptionArn: true }),
  );
}

export async function unsubscribe(aws: Aws, subscriptionArn: string): Promise<void> {
  await (await aws.sns()).send(new UnsubscribeCommand({ SubscriptionArn: subscriptionArn }));
}

/** Deleting a topic deletes its subscriptions, pending ones included. */
export async function deleteTopic(aws: Aws, arn: string): Promise<void> {
  await (await aws.sns()).send(new DeleteTopicCommand({ TopicArn: arn }));
}
