/**
 * What moto cannot produce: the SQS message move task (moto 5.2.1 has no StartMessageMoveTask), a
 * refused move task, and Ctrl-C in the middle of a boosted drain. The move task is mocked with
 * aws-sdk-client-mock; the drain runs against moto with an abort signal standing in for SIGINT.
 */
import { GetEventSourceMappingCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createAws } from '../../src/aws/clients.js';
import { CliError } from '../../src/errors.js';
import type { Proxy } from '../../src/proxy/locate.js';
import { locateProxy } from '../../src/proxy/locate.js';
import { drainProxy } from '../../src/proxy/ops/drain.js';
import { waitForMappingState } from '../../src/proxy/ops/mapping.js';
import { redriveProxy } from '../../src/proxy/ops/redrive.js';
import { suggest } from '../../src/proxy/suggest.js';
import { TEST_REGION, uniqueName, useMoto } from '../helpers/moto.js';
import { createProxyFixture, fillQueue } from '../helpers/proxy-fixture.js';

const endpoint = useMoto();

const proxy: Proxy = {
  name: 'mocked',
  region: TEST_REGION,
  ordered: false,
  queue: {
    url: 'https://sqs/q',
    name: 'webhook-proxy-mocked',
    arn: 'arn:aws:sqs:us-east-1:1:webhook-proxy-mocked',
    attributes: {},
  },
  dlq: {
    url: 'https://sqs/d',
    name: 'webhook-proxy-mocked-dlq',
    arn: 'arn:aws:sqs:us-east-1:1:webhook-proxy-mocked-dlq',
    attributes: { ApproximateNumberOfMessages: '30' },
  },
};

describe('redrive with the SQS move task', () => {
  const sqsMock = mockClient(SQSClient);
  afterEach(() => sqsMock.reset());
  afterAll(() => sqsMock.restore());

  it('starts a task DLQ → queue at the rate, follows it to COMPLETED and reports the moved count', async () => {
    sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'h1' });
    sqsMock
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({
        Results: [
          {
            TaskHandle: 'h1',
            Status: 'RUNNING',
            ApproximateNumberOfMessagesMoved: 10,
            ApproximateNumberOfMessagesToMove: 30,
          },
        ],
      })
      // As AWS answers once the task is done: no TaskHandle any more (it is shown only while RUNNING),
      // and an older finished task of the same DLQ (listed first here, so taking Results[0] would fail).
      .resolves({
        Results: [
          {
            Status: 'COMPLETED',
            StartedTimestamp: Date.now() - 86_400_000,
            ApproximateNumberOfMessagesMoved: 7,
            ApproximateNumberOfMessagesToMove: 7,
          },
          {
            Status: 'COMPLETED',
            StartedTimestamp: Date.now(),
            ApproximateNumberOfMessagesMoved: 30,
            ApproximateNumberOfMessagesToMove: 30,
          },
        ],
      });
    const progress: number[] = [];
    const aws = createAws({ region: TEST_REGION, endpoint: 'http://127.0.0.1:9' });
    const r = await redriveProxy(aws, proxy, {
      rate: 40.7,
      pollMs: 1,
      onProgress: (p) => progress.push(p.moved),
    });
    expect(r).toEqual({ name: 'mocked', moved: 30, path: 'move-task' });
    expect(progress).toEqual([10, 30]);
    const start = sqsMock.commandCalls(StartMessageMoveTaskCommand)[0]!.args[0].input;
    expect(start).toEqual({
      SourceArn: proxy.dlq!.arn,
      DestinationArn: proxy.queue!.arn,
      MaxNumberOfMessagesPerSecond: 40,
    });
    // The copy path never ran.
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(0);
  });

  it('a failed task is an error naming the reason', async () => {
    sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'h2' });
    sqsMock.on(ListMessageMoveTasksCommand).resolves({
      Results: [
        {
          TaskHandle: 'h2',
          Status: 'FAILED',
          FailureReason: 'AccessDenied on the destination',
          ApproximateNumberOfMessagesMoved: 4,
        },
      ],
    });
    const aws = createAws({ region: TEST_REGION, endpoint: 'http://127.0.0.1:9' });
    const err = await redriveProxy(aws, proxy, { pollMs: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as Error).message).toContain('failed after 4 messages: AccessDenied on the destination');
  });

  it('a real refusal (a task already running) is not mistaken for a missing API', async () => {
    // AWS reports "already running" as a 400 InvalidParameterValue: shown with a hint, no fallback.
    const busy = Object.assign(
      new Error('There is already a task running. Only one active task is allowed'),
      {
        name: 'InvalidParameterValue',
        $metadata: { httpStatusCode: 400 },
      },
    );
    sqsMock.on(StartMessageMoveTaskCommand).rejects(busy);
    const aws = createAws({ region: TEST_REGION, endpoint: 'http://127.0.0.1:9' });
    const err = await redriveProxy(aws, proxy).catch((e: unknown) => e);
    expect((err as CliError).hint).toContain('already running');
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(0);
  });

  it('a task that stops showing: its outcome is unknown, and the status to check names the proxy and region', async () => {
    sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'h3' });
    sqsMock.on(ListMessageMoveTasksCommand).resolves({ Results: [] });
    // A minute without the task, in a few polls: each reading of the clock is 31 s later.
    let t = Date.now();
    const clock = vi.spyOn(Date, 'now').mockImplementation(() => (t += 31_000));
    try {
      const aws = createAws({ region: TEST_REGION, endpoint: 'http://127.0.0.1:9' });
      const err = await redriveProxy(aws, proxy, { pollMs: 1 }).catch((e: unknown) => e);
      expect((err as Error).message).toContain('no longer shows in ListMessageMoveTasks');
      expect((err as CliError).hint).toContain(
        `check with "webhook-proxy status mocked --region ${TEST_REGION}"`,
      );
    } finally {
      clock.mockRestore();
    }
  });
});

describe('drain interrupted', () => {
  it('restores the boosted concurrency on Ctrl-C and deletes nothing', async () => {
    const name = uniqueName('drc');
    // Enabled: moto never runs the function, so the queue cannot empty (a paused one now fails at once).
    const f = await createProxyFixture(name, { concurrency: 4 });
    await fillQueue(f.queueUrl, 2);
    const aws = createAws({ region: TEST_REGION, endpoint });
    const p = await locateProxy(aws, name);
    const ac = new AbortController();
    const notes: string[] = [];
    const run = drainProxy(aws, p, {
      boost: 30,
      pollMs: 50,
      signal: ac.signal,
      onNote: (m) => notes.push(m),
      onProgress: () => ac.abort(),
    });
    const err = await run.catch((e: unknown) => e);
    expect((err as CliError).exitCode).toBe(130);
    const m = await new LambdaClient({}).send(new GetEventSourceMappingCommand({ UUID: f.mappingUuid }));
    expect(m.ScalingConfig?.MaximumConcurrency).toBe(4);
    expect(notes.join('\n')).toContain('restored to 4');
  });
});

describe('a mapping that keeps changing', () => {
  // moto flips a mapping's State at once; AWS can stay "Disabling" for minutes. Mocked here (within
  // the test: a mock made while the file is collected would stand in for the drain tests' Lambda too).
  let lambdaMock: ReturnType<typeof mockClient> | undefined;
  afterEach(() => lambdaMock?.restore());

  it('past the wait: says so, and the status command to check it names the proxy and its region', async () => {
    lambdaMock = mockClient(LambdaClient);
    lambdaMock.on(GetEventSourceMappingCommand).resolves({ UUID: 'u1', State: 'Disabling' });
    const aws = createAws({ region: TEST_REGION, endpoint: 'http://127.0.0.1:9' });
    const statusCommand = suggest('status', proxy);
    const err = await waitForMappingState(aws, 'u1', 'Disabled', {
      maxWaitSeconds: 0,
      pollMs: 1,
      statusCommand,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as Error).message).toContain('still "Disabling"');
    expect((err as CliError).hint).toContain(
      `run "webhook-proxy status mocked --region ${TEST_REGION}" in a minute`,
    );
  });
});
