/**
 * `webhook-proxy logs` against moto's CloudWatch Logs. The log events are the handlers' own lines:
 * the real ingest and deliver handlers run (their default loggers, console.log captured) against a
 * real upstream on 127.0.0.1, and each line is put into the function's log group the way Lambda's
 * Node.js runtime writes it in its default text format: `<ISO time>\t<request id>\tINFO\t<line>`
 * (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-logging.html), among START/REPORT lines and
 * one in Lambda's JSON log format.
 *
 * moto difference: moto's FilterLogEvents applies a quoted-term filterPattern loosely or not at all,
 * so `logs` filters by id on its side as well; these tests hold that result.
 */
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeEnvelope } from '../../src/envelope.js';
import { createDeliverHandler } from '../../src/handlers/deliver.js';
import { createIngestHandler } from '../../src/handlers/ingest.js';
import { resourceNames } from '../../src/proxy/names.js';
import { httpApiEvent, sqsEvent, sqsRecord } from '../helpers/events.js';
import { recordingPort } from '../helpers/memory-port.js';
import { uniqueName, useMoto } from '../helpers/moto.js';
import { runCli } from '../helpers/proxy-fixture.js';
import { startUpstream } from '../helpers/upstream.js';

useMoto();
const name = uniqueName('logs');
const n = resourceNames(name);
const REQ = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
let good = ''; // 429 once, then delivered (a 503 first thing on a fresh container would be held, uncounted)
let doomed = ''; // 500 on both attempts: dead-lettered
let stuck = ''; // failed once, retry pending
let up: Awaited<ReturnType<typeof startUpstream>>;

/** Run `fn` with console.log captured: the handlers' default loggers write there, as on Lambda. */
async function capture(fn: () => Promise<unknown>): Promise<string[]> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
  try {
    await fn();
  } finally {
    spy.mockRestore();
  }
  return lines;
}

async function put(group: string, events: { timestamp: number; message: string }[]) {
  const logs = new CloudWatchLogsClient({});
  await logs.send(new CreateLogGroupCommand({ logGroupName: group })).catch(() => undefined);
  const stream = `2026/12/03/[$LATEST]${Math.random().toString(16).slice(2)}`;
  await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }));
  await logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents: events }));
}

const lambdaText = (t: number, line: string) => `${new Date(t).toISOString()}\t${REQ}\tINFO\t${line}`;

beforeAll(async () => {
  const seen = new Map<string, number>();
  up = await startUpstream((r, res) => {
    const id = String(r.headers['x-webhook-proxy-id']);
    const k = (seen.get(id) ?? 0) + 1;
    seen.set(id, k);
    res.statusCode = id === doomed ? 500 : id === good && k === 1 ? 429 : id === stuck ? 502 : 200;
    res.end();
  });
  const q = recordingPort();
  const ingest = createIngestHandler({ queue: q.port, config: { responseStatus: 202, fifo: false } });
  const ingestLines = await capture(async () => {
    for (const body of ['{"a":1}', 'hello', '{"c":3}']) {
      await ingest(
        httpApiEvent({ body, headers: { 'content-type': 'application/json' }, sourceIp: '198.51.100.9' }),
      );
    }
  });
  const bodies = q.sent.map((s) => s.body);
  [good, doomed, stuck] = bodies.map((b) => decodeEnvelope(b).id) as [string, string, string];
  const deliver = createDeliverHandler({
    queue: recordingPort().port,
    config: {
      upstream: up.url,
      preservePath: false,
      timeoutSeconds: 5,
      concurrency: 2,
      backoffBase: 5,
      backoffMax: 900,
      maxAttempts: 2,
    },
  });
  const deliverLines = await capture(async () => {
    await deliver(sqsEvent([sqsRecord(bodies[0]!), sqsRecord(bodies[1]!), sqsRecord(bodies[2]!)]));
    await deliver(sqsEvent([sqsRecord(bodies[0]!, { attempt: 2 }), sqsRecord(bodies[1]!, { attempt: 2 })]));
  });
  expect(ingestLines).toHaveLength(3);
  expect(deliverLines).toHaveLength(5);

  const t0 = Date.now() - 20 * 60_000; // 20 minutes ago, one second apart
  let i = 0;
  const at = () => t0 + 1000 * i++;
  await put(n.ingestLogGroup, [
    { timestamp: at(), message: `START RequestId: ${REQ} Version: $LATEST` },
    ...ingestLines.map((l) => {
      const t = at();
      return { timestamp: t, message: lambdaText(t, l) };
    }),
    { timestamp: at(), message: `REPORT RequestId: ${REQ}\tDuration: 3.1 ms` },
  ]);
  const [first, ...rest] = deliverLines;
  await put(n.deliverLogGroup, [
    // Lambda's JSON log format: the line becomes the message object.
    (() => {
      const t = at();
      return {
        timestamp: t,
        message: JSON.stringify({
          timestamp: new Date(t).toISOString(),
          level: 'INFO',
          requestId: REQ,
          message: JSON.parse(first!),
        }),
      };
    })(),
    ...rest.map((l) => {
      const t = at();
      return { timestamp: t, message: lambdaText(t, l) };
    }),
  ]);
  // An old line, outside the default hour.
  const old = Date.now() - 3 * 3600_000;
  await put(n.deliverLogGroup, [
    {
      timestamp: old,
      message: lambdaText(
        old,
        JSON.stringify({
          msg: 'deliver',
          event: 'delivered',
          id: `wh_${'0'.repeat(32)}`,
          status: 200,
          attempt: 1,
          ms: 5,
        }),
      ),
    },
  ]);
});
afterAll(() => up?.close());

const ndjson = (s: string) =>
  s
    .split('\n')
    .filter(Boolean)
    .map(
      (l) => JSON.parse(l) as { kind: string; id: string; attempt?: number; status?: number; ms?: number },
    );

describe('webhook-proxy logs', () => {
  it('shows every ingest and deliver line of the last hour, oldest first (NDJSON with --json)', async () => {
    const res = await runCli('logs', name, '--json');
    expect(res.code, res.stderr).toBe(0);
    const entries = ndjson(res.stdout);
    expect(
      entries.map((e) => `${e.kind} ${e.id === good ? 'good' : e.id === doomed ? 'doomed' : 'stuck'}`),
    ).toEqual([
      'received good',
      'received doomed',
      'received stuck',
      'failed good',
      'failed doomed',
      'failed stuck',
      'delivered good',
      'dead-lettered doomed',
    ]);
    const delivered = entries.find((e) => e.kind === 'delivered')!;
    expect(delivered).toMatchObject({ attempt: 2, status: 200 });
    expect(typeof delivered.ms).toBe('number');
  });

  it('renders one readable line per event', async () => {
    const res = await runCli('logs', name);
    expect(res.code, res.stderr).toBe(0);
    const lines = res.stdout.trim().split('\n');
    expect(lines).toHaveLength(8);
    expect(lines[3]).toMatch(
      new RegExp(`^\\S+Z\\s+failed\\s+${good}\\s+attempt 1\\s+429\\s+\\d+ ms\\s+retry in [\\d.]+ s`),
    );
    expect(lines[0]).toMatch(/received .* 202 .* 7 bytes, from 198\.51\.100\.9/);
    expect(lines[7]).toMatch(/dead-lettered .* attempt 2\s+500 .*last attempt: to the dead-letter queue/);
  });

  it('--failed keeps only failed attempts and dead letters; --since reaches older lines', async () => {
    const failed = ndjson((await runCli('logs', name, '--failed', '--json')).stdout);
    expect(failed.map((e) => e.kind)).toEqual(['failed', 'failed', 'failed', 'dead-lettered']);
    const wide = ndjson((await runCli('logs', name, '--since', '4h', '--json')).stdout);
    expect(wide).toHaveLength(9);
    expect(wide[0]!.id).toBe(`wh_${'0'.repeat(32)}`);
    const narrow = ndjson((await runCli('logs', name, '--since', '5m', '--json')).stdout);
    expect(narrow).toEqual([]);
  });

  it("--id tells one webhook's story: received, each attempt, where it is now", async () => {
    const res = await runCli('logs', name, '--id', good);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(
      /received .* POST \/, 7 bytes from 198\.51\.100\.9, no signature check, answered 202/,
    );
    expect(res.stdout).toMatch(/attempt 1 .* failed, HTTP 429/);
    expect(res.stdout).toMatch(/attempt 2 .* delivered, HTTP 200/);
    expect(res.stdout).toMatch(/now {8}delivered on attempt 2/);

    const dead = JSON.parse((await runCli('logs', name, '--id', doomed, '--json')).stdout);
    expect(dead.now.state).toBe('dead-lettered');
    expect(dead.attempts.map((a: { status: number }) => a.status)).toEqual([500, 500]);
    expect(dead.now.next).toContain(`webhook-proxy peek ${name} --dlq --region us-east-1`);

    const queued = JSON.parse((await runCli('logs', name, '--id', stuck, '--json')).stdout);
    expect(queued.now.state).toBe('queued');
    // The line's retryInSeconds (the backoff, cut to what the receive's visibility still allows).
    const a = queued.attempts[0];
    expect(Date.parse(queued.now.nextAttemptAt) - a.time).toBeCloseTo(a.retryInSeconds * 1000, -1);
  });

  it('says what was wrong: a bad id (exit 2), a proxy without log groups (exit 1)', async () => {
    const bad = await runCli('logs', name, '--id', '1234');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not a webhook id/);
    const none = await runCli('logs', uniqueName('nologs'));
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/has no log groups in us-east-1/);
  });
});
