/**
 * How long `deliver` may hide a received message: SQS counts its 12 hours from the receive, not from
 * the ChangeMessageVisibility call.
 *
 * AWS: Amazon SQS API Reference, ChangeMessageVisibility: "If you attempt to set the VisibilityTimeout
 * to a value greater than the maximum time left, Amazon SQS returns an error. Amazon SQS doesn't
 * automatically recalculate and increase the timeout to the maximum remaining time." Its older wording
 * (AWS SDK for .NET reference, ChangeMessageVisibility) gives the rule: with a 30-minute visibility
 * timeout, a call for two hours makes it two hours thirty, "but this time the maximum allowed timeout
 * would be 9 hours and 30 minutes" — 12 hours in all since the receive. Asking for more fails, and the
 * message comes back after the queue's short visibility timeout instead of the backoff.
 *
 * Which receive. Each receive starts a new window with a new receipt handle; the one that counts is
 * the event source mapping's receive of this batch, and the SQS record does not say when that was.
 * Its attributes carry ApproximateFirstReceiveTimestamp (the first receive ever) and
 * ApproximateReceiveCount. So:
 * - on the first receive (count 1) the first receive is this one: its timestamp is exact;
 * - later, this receive is after the first one, and before the invocation by at most the time the
 *   mapping holds a batch: its batching window (at most 300 s) and its retries of a throttled invoke,
 *   which last at most the queue's visibility timeout (AWS: Lambda developer guide, "Creating and
 *   configuring an Amazon SQS event source mapping": 6 × the function timeout "allows Lambda to retry
 *   if your function is throttled"; `create` sets that, at most 6 × 900 s = 90 min). Two hours covers
 *   both.
 * Either way a margin is kept for the clocks of SQS and Lambda. Erring short only brings a retry
 * earlier; erring long loses the backoff altogether.
 */

export const SQS_MAX_VISIBILITY_SECONDS = 43_200;
/** Kept back from the 12 hours for clock differences between SQS and the function. */
export const RECEIVE_CLOCK_MARGIN_SECONDS = 300;
/** The longest a batch can have been received before its invocation started (see above). */
export const RECEIVE_TO_INVOKE_SECONDS = 7_200;
/**
 * The longest visibility `deliver` will ask for on a message received before: what is left of 12 h
 * once the receive-to-invoke allowance and the clock margin are taken off (before the time the batch
 * itself has taken). `--backoff-max` above this cannot be honoured in full.
 */
export const MAX_RETRY_VISIBILITY_SECONDS =
  SQS_MAX_VISIBILITY_SECONDS - RECEIVE_TO_INVOKE_SECONDS - RECEIVE_CLOCK_MARGIN_SECONDS;

export interface ReceiveAttributes {
  ApproximateReceiveCount?: string;
  ApproximateFirstReceiveTimestamp?: string;
}

/**
 * Seconds of visibility still allowed for a message of this batch: 12 h since the earliest moment it
 * can have been received, less the clock margin, at `now` (ms), for an invocation that started at
 * `invokedAt` (ms).
 */
export function visibilityLeft(attributes: ReceiveAttributes, invokedAt: number, now: number): number {
  const count = Number(attributes.ApproximateReceiveCount);
  const first = Number(attributes.ApproximateFirstReceiveTimestamp);
  const firstKnown = Number.isFinite(first) && first > 0;
  // Both are lower bounds of this receive's time; the later one is the tighter.
  const receivedNoEarlierThan =
    count === 1 && firstKnown
      ? first
      : Math.max(firstKnown ? first : 0, invokedAt - RECEIVE_TO_INVOKE_SECONDS * 1000);
  const used = Math.max(0, now - receivedNoEarlierThan) / 1000;
  return Math.max(0, Math.floor(SQS_MAX_VISIBILITY_SECONDS - RECEIVE_CLOCK_MARGIN_SECONDS - used));
}
