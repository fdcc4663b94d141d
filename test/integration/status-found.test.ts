/**
 * `status NAME` of an adaptive proxy shows what deliver's containers have found: the latest control
 * line per container (log stream) of the deliver log group in the last 5 minutes, summed
 * (src/proxy/found.ts). The lines are written into moto's CloudWatch Logs as Lambda writes them
 * (text format: time, request id, level, line; and JSON format), one stream per container.
 */
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, describe, expect, it } from 'vitest';
import { resourceNames } from '../../src/proxy/names.js';
import { runCli } from '../helpers/cli.js';
import { uniqueName, useMoto } from '../helpers/moto.js';

useMoto();
const U = 'https://app.example.com/hooks';
const name = uniqueName('found');
const fixed = uniqueName('found-fixed');
afterAll(async () => {
  for (const n of [name, fixed]) await runCli('destroy', n, '--yes', '--force');
});

const control = (limit: number, state = 'delivering') =>
  JSON.stringify({ msg: 'deliver', event: 'control', adaptive: true, state, limit, ceiling: 1 });
const text = (t: number, line: string) => `${new Date(t).toISOString()}\treq-1\tINFO\t${line}`;

async function put(group: string, stream: string, events: { timestamp: number; message: string }[]) {
  const logs = new CloudWatchLogsClient({});
  await logs.send(new CreateLogGroupCommand({ logGroupName: group })).catch(() => undefined);
  await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }));
  await logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents: events }));
}

describe('status: what deliver has found', () => {
  it('sums the latest control line of each container in the last minutes (text and --json)', async () => {
    expect((await runCli('create', name, '--upstream', U, '--adaptive', '--concurrency', '4')).code).toBe(0);
    const group = resourceNames(name).deliverLogGroup;
    const now = Date.now();
    // Container a: an older share, then its latest (0.5); b: in an outage (0.25), JSON log format;
    // c: only a line from before the window; d: deliver lines that are not control lines.
    await put(group, '2026/12/04/[$LATEST]a', [
      { timestamp: now - 120_000, message: text(now - 120_000, control(0.25)) },
      { timestamp: now - 30_000, message: text(now - 30_000, control(0.5)) },
    ]);
    await put(group, '2026/12/04/[$LATEST]b', [
      {
        timestamp: now - 20_000,
        message: JSON.stringify({
          timestamp: new Date(now - 20_000).toISOString(),
          level: 'INFO',
          requestId: 'r',
          message: JSON.parse(control(0.25, 'outage')),
        }),
      },
    ]);
    await put(group, '2026/12/04/[$LATEST]c', [
      { timestamp: now - 900_000, message: text(now - 900_000, control(1)) },
    ]);
    await put(group, '2026/12/04/[$LATEST]d', [
      { timestamp: now - 10_000, message: text(now - 10_000, JSON.stringify({ msg: 'deliver', event: 'delivered', id: 'x', status: 200, attempt: 1, ms: 3 })) },
    ]); // prettier-ignore

    const res = await runCli('status', name, '--json');
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout).delivery.found).toEqual({
      containers: 2,
      concurrency: 0.75,
      outage: 1,
      windowSeconds: 300,
    });
    const plain = await runCli('status', name);
    expect(plain.stdout).toContain(
      'found: concurrency 0.75 over 2 containers, 1 holding an outage (last 5 min)',
    );
  });

  it('a fixed proxy reads no logs for it: no delivery.found', async () => {
    expect((await runCli('create', fixed, '--upstream', U)).code).toBe(0);
    const res = await runCli('status', fixed, '--json');
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout).delivery.found).toBeUndefined();
  });
});
