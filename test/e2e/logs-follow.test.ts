/**
 * `logs --follow` with the built CLI against moto's CloudWatch Logs: the lines already there are shown
 * at once, a line written to the deliver function's log group afterwards is shown by a later poll,
 * each line once however many polls see it (FilterLogEvents answers from the last event's time on),
 * `--failed` still applies while following, and Ctrl-C (SIGINT) ends it with 130.
 * The lines are in the format the deliver handler writes, inside Lambda's default text format
 * (`<ISO time>\t<request id>\tINFO\t<line>`); integration/logs.test.ts holds that format against the
 * real handlers.
 */
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { beforeAll, describe, expect, it } from 'vitest';
import { resourceNames } from '../../src/proxy/names.js';
import { spawnBin } from '../helpers/bin.js';
import { motoEnv, uniqueName, useMoto } from '../helpers/moto.js';
import { ensureBuilt } from './dev-harness.js';

useMoto();
const env = motoEnv();
beforeAll(() => ensureBuilt());

const REQ = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
const STREAM = '2026/12/06/[$LATEST]0123456789abcdef';
const whId = (n: number) => `wh_${String(n).padStart(32, '0')}`;

/** A deliver line as the handler writes it, with Lambda's text-format prefix. */
function deliverLine(t: number, id: string, event: 'delivered' | 'failed', status: number) {
  const line = {
    msg: 'deliver',
    event,
    id,
    attempt: 1,
    status,
    ms: 12,
    ...(event === 'failed' ? { retryInSeconds: 5 } : {}),
  };
  return { timestamp: t, message: `${new Date(t).toISOString()}\t${REQ}\tINFO\t${JSON.stringify(line)}` };
}

async function put(group: string, events: { timestamp: number; message: string }[]) {
  await new CloudWatchLogsClient({}).send(
    new PutLogEventsCommand({ logGroupName: group, logStreamName: STREAM, logEvents: events }),
  );
}

/** Resolves once `pattern` appears in what the stream has said so far. */
function waitFor(read: () => string, pattern: RegExp, what: string, ms = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = setInterval(() => {
      if (pattern.test(read())) {
        clearInterval(tick);
        resolve();
      } else if (Date.now() - started > ms) {
        clearInterval(tick);
        reject(new Error(`no ${what} within ${ms} ms; stdout so far:\n${read()}`));
      }
    }, 100);
  });
}

describe('logs --follow', () => {
  it('shows what is there, then each new line once; --failed applies; Ctrl-C exits 130', async () => {
    const name = uniqueName('follow');
    const group = resourceNames(name).deliverLogGroup;
    const logs = new CloudWatchLogsClient({});
    await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: STREAM }));
    const t0 = Date.now() - 60_000;
    // Each batch ends with a failure: the next poll asks again from its time, so it would be shown twice
    // if the lines already seen were not dropped (a hidden delivery last would not show that).
    await put(group, [
      deliverLine(t0, whId(2), 'delivered', 200),
      deliverLine(t0 + 1, whId(1), 'failed', 500),
    ]);

    const child = spawnBin(['logs', name, '--follow', '--failed', '--json', '--interval', '0.2'], env);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    try {
      await waitFor(() => stdout, new RegExp(whId(1)), 'first failure');
      // After it started: one more failure and one more delivery (the delivery stays hidden).
      await put(group, [
        deliverLine(Date.now(), whId(4), 'delivered', 200),
        deliverLine(Date.now() + 1, whId(3), 'failed', 503),
      ]);
      await waitFor(() => stdout, new RegExp(whId(3)), 'line written after the start');
      // A few more polls, so a line a later poll saw again would have been printed twice.
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited, stderr).toBe(130);
    const entries = stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { kind: string; id: string; status: number });
    expect(entries.map((e) => [e.kind, e.id, e.status])).toEqual([
      ['failed', whId(1), 500],
      ['failed', whId(3), 503],
    ]);
  });
});
