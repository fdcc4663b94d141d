/**
 * A QueuePort that records what the handlers ask of the queue, for unit tests of the handlers as
 * plain functions. (The integration tests use moto's real SQS instead.)
 */
import type { QueuePort, SendOptions } from '../../src/handlers/ports.js';

export function recordingPort(opts: { failSend?: Error } = {}) {
  const sent: { body: string; options?: SendOptions }[] = [];
  const visibility: { receiptHandle: string; seconds: number }[] = [];
  const port: QueuePort = {
    async send(body, options) {
      if (opts.failSend) throw opts.failSend;
      sent.push({ body, options });
    },
    async changeVisibility(receiptHandle, seconds) {
      visibility.push({ receiptHandle, seconds });
    },
  };
  return { port, sent, visibility };
}
