/**
 * A QueuePort that records what the handlers ask of the queue, for unit tests of the handlers as
 * plain functions. (The integration tests use moto's real SQS instead.) `dlq: true` gives it the DLQ
 * send deliver uses on AWS (DLQ_URL set), recorded in `dead`.
 */
import type { QueuePort, SendOptions } from '../../src/handlers/ports.js';

export function recordingPort(opts: { failSend?: Error; dlq?: boolean } = {}) {
  const sent: { body: string; options?: SendOptions }[] = [];
  const visibility: { receiptHandle: string; seconds: number }[] = [];
  const dead: string[] = [];
  const port: QueuePort = {
    async send(body, options) {
      if (opts.failSend) throw opts.failSend;
      sent.push({ body, options });
    },
    async changeVisibility(receiptHandle, seconds) {
      visibility.push({ receiptHandle, seconds });
    },
    ...(opts.dlq
      ? {
          async deadLetter(body: string) {
            dead.push(body);
          },
        }
      : {}),
  };
  return { port, sent, visibility, dead };
}
