/**
 * A webhook's history (`logs --id`) from the lines the real handlers write: ingest's when it checks a
 * signature (the story says which verifier passed it, "verified by" in issue 15), deliver's for an
 * attempt that got no answer (its error), and where it is now when nothing has tried it yet or no
 * line is found. integration/logs.test.ts tells the delivered,
 * dead-lettered and queued-with-its-next-attempt stories against moto; this holds the parts it cannot
 * (its ingest checks no signature, and its upstream always answers: no attempt there has an error).
 */
import { sign as githubSign } from '@octokit/webhooks-methods';
import { describe, expect, it } from 'vitest';
import { decodeEnvelope } from '../../src/envelope.js';
import { createDeliverHandler, type DeliveryEvent } from '../../src/handlers/deliver.js';
import { edgeEnv } from '../../src/handlers/edge/flags.js';
import { createIngestHandler, ingestConfigFromEnv } from '../../src/handlers/ingest.js';
import { buildHistory } from '../../src/proxy/logs/history.js';
import { parseLogEvent, type LogEntry } from '../../src/proxy/logs/parse.js';
import { formatEntry, formatHistory } from '../../src/proxy/logs/render.js';
import { httpApiEvent, sqsEvent, sqsRecord } from '../helpers/events.js';
import { recordingPort } from '../helpers/memory-port.js';
import { closedPort } from '../helpers/net.js';

const SECRET = 'github-webhook-secret-0a1b';
const REQ = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
const T = Date.UTC(2026, 11, 6, 3, 0, 0);

/** Lambda's default text format around a handler's JSON line, as in the function's log group. */
const lambdaLine = (line: object) => `${new Date(T).toISOString()}\t${REQ}\tINFO\t${JSON.stringify(line)}`;

/** What the ingest handler logs for one signed GitHub webhook, read back as `logs` reads it. */
async function signedIngestEntry(): Promise<LogEntry> {
  const lines: Record<string, unknown>[] = [];
  // From the environment, as a user should give it (a literal secret is warned about on stderr).
  process.env.LOGS_HISTORY_GITHUB_SECRET = SECRET;
  const config = ingestConfigFromEnv(edgeEnv({ verify: ['github=env:LOGS_HISTORY_GITHUB_SECRET'] })); // as deployed
  const handler = createIngestHandler({ queue: recordingPort().port, config, log: (l) => lines.push(l) });
  const body = '{"zen":"Design for failure."}';
  const res = await handler(
    httpApiEvent({
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': await githubSign(SECRET, body) },
      body,
      sourceIp: '198.51.100.9',
    }),
  );
  expect(res.statusCode).toBe(200);
  expect(lines).toHaveLength(1);
  return parseLogEvent({ timestamp: T, message: lambdaLine(lines[0]!) })!;
}

const ctx = { name: 'orders', region: 'eu-west-1', searchedSince: T - 3600_000, now: T + 1000 };

describe("a webhook's history", () => {
  it('says which verifier passed it; received and not tried yet is "queued"', async () => {
    const received = await signedIngestEntry();
    expect(received).toMatchObject({ kind: 'received', verifiedBy: 'github', sourceIp: '198.51.100.9' });
    const h = buildHistory(received.id!, [received], ctx);
    expect(h.now.state).toBe('queued');
    const text = formatHistory(h);
    expect(text).toMatch(
      /received .* bytes from 198\.51\.100\.9, signature verified by github, answered 200/,
    );
    expect(text).toContain('now        queued: not attempted yet (delivery may be paused: see status)');
  });

  it('with no line for the id: says so, and names a wider search with the name and region', () => {
    const id = `wh_${'a'.repeat(32)}`;
    const h = buildHistory(id, [], ctx);
    expect(h.now.state).toBe('unknown');
    expect(formatHistory(h)).toContain('received   (no ingest line in the time searched)');
    expect(h.now.next).toBe(`webhook-proxy logs orders --id ${id} --since 14d --region eu-west-1`);
  });

  it('an attempt that got no answer shows its error, in the line and in the story', async () => {
    const q = recordingPort();
    const ingest = createIngestHandler({
      queue: q.port,
      config: { responseStatus: 202, fifo: false },
      log: () => {},
    });
    await ingest(httpApiEvent({ body: 'x' }));
    const body = q.sent[0]!.body;
    const id = decodeEnvelope(body).id;
    const lines: DeliveryEvent[] = [];
    const deliver = createDeliverHandler({
      queue: recordingPort().port,
      log: (e) => lines.push(e),
      config: {
        upstream: `http://127.0.0.1:${await closedPort()}/hooks`, // nothing listens: refused
        preservePath: false,
        timeoutSeconds: 5,
        concurrency: 1,
        backoffBase: 5,
        backoffMax: 900,
        maxAttempts: 3,
      },
    });
    await deliver(sqsEvent([sqsRecord(body)]));
    const failed = lines.find((l) => l.event === 'failed');
    expect(failed, JSON.stringify(lines)).toBeDefined();
    const entry = parseLogEvent({ timestamp: T, message: lambdaLine({ msg: 'deliver', ...failed }) })!;
    expect(entry).toMatchObject({ kind: 'failed', id, attempt: 1 });
    expect(entry.error).toMatch(/ECONNREFUSED|refused/i);
    expect(formatEntry(entry)).toContain(entry.error!);
    const story = formatHistory(buildHistory(id, [entry], ctx));
    const attempt = story.split('\n').find((l) => l.trimStart().startsWith('attempt 1'));
    expect(attempt, story).toMatch(/ failed, /);
    expect(attempt).toContain(entry.error!);
  });
});
