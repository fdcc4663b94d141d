/**
 * Delete every message of the queue or the DLQ (PurgeQueue). The count reported is the one read just
 * before the purge: SQS does not say how many it deleted. SQS allows one purge per queue per 60 s.
 */
import type { Aws } from '../../aws/clients.js';
import { CliError } from '../../errors.js';

/** `statusCommand`: the status command to suggest, with the proxy's name and region. */
export async function purgeQueue(aws: Aws, url: string, label: string, statusCommand: string): Promise<void> {
  const { PurgeQueueCommand } = await import('@aws-sdk/client-sqs');
  try {
    await (await aws.sqs()).send(new PurgeQueueCommand({ QueueUrl: url }));
  } catch (err) {
    const name = (err as { name?: string }).name ?? '';
    if (name === 'PurgeQueueInProgress' || name === 'AWS.SimpleQueueService.PurgeQueueInProgress') {
      throw new CliError(
        `The ${label} was purged less than 60 seconds ago; SQS allows one purge a minute.`,
        `The earlier purge is still deleting the messages. Wait a minute, then check with "${statusCommand}".`,
        { cause: err },
      );
    }
    throw err;
  }
}
