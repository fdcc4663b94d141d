/**
 * `peek --local`: read the rows, oldest first. Unlike SQS there is no receive to make, so peeking
 * changes nothing (no receive count raised, nothing hidden), whether a server is running or not.
 * Every message is shown, in flight or backing off included (`attempts` says how far along it is).
 */
import { previewMessage, type PeekedMessage } from '../../proxy/preview.js';
import { DLQ, MAIN } from '../store/schema.js';
import type { LocalProxy } from './open.js';

export function peekLocal(p: LocalProxy, o: { dlq?: boolean; limit: number }): PeekedMessage[] {
  const rows = p.db
    .prepare('SELECT id, body, sent_at, receive_count FROM messages WHERE queue = ? ORDER BY seq LIMIT ?')
    .all(o.dlq ? DLQ : MAIN, o.limit) as {
    id: string;
    body: string;
    sent_at: number;
    receive_count: number;
  }[];
  return rows.map((r) =>
    previewMessage({
      MessageId: r.id,
      Body: r.body,
      Attributes: { ApproximateReceiveCount: String(r.receive_count), SentTimestamp: String(r.sent_at) },
    }),
  );
}
