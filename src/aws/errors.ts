/**
 * AWS's many ways of saying "that does not exist", in one place: every describe step treats them as
 * "absent" (create then makes it, destroy counts it as done, status reports it missing).
 */
const NOT_FOUND = new Set([
  'ResourceNotFoundException', // Lambda, CloudWatch Logs
  'NoSuchEntityException', // IAM
  'NotFoundException', // API Gateway
  'QueueDoesNotExist', // SQS (JSON protocol)
  'AWS.SimpleQueueService.NonExistentQueue', // SQS (query protocol)
  'NoSuchHostedZone', // Route 53
]);

export function isNotFound(err: unknown): boolean {
  return NOT_FOUND.has((err as { name?: string } | undefined)?.name ?? '');
}
