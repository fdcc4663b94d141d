/**
 * AWS calls time out, and the errors about where the CLI talks to are clear (issue 12, item 14):
 * - an endpoint that accepts connections and never answers (a real TCP server on 127.0.0.1) is an
 *   error naming it and its source (--endpoint-url or AWS_ENDPOINT_URL), exit 1, within the budget;
 * - a malformed endpoint URL is a usage error (exit 2) before any call;
 * - a profile that does not exist says so, and where it looked.
 * The per-attempt timeout is shortened with WEBHOOK_PROXY_AWS_TIMEOUT so the tests do not wait 10 s a
 * try; the default is checked on its own below.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { createAws } from '../../src/aws/clients.js';
import { AWS_TIMEOUT_ENV, callTimeouts } from '../../src/aws/timeouts.js';
import { EndpointUnreachableError } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { TEST_REGION, useMoto } from '../helpers/moto.js';
import { closedPort, silentServer } from '../helpers/net.js';

const moto = useMoto();
const saved = { ...process.env };
const servers: { close: () => Promise<void> }[] = [];
afterEach(async () => {
  for (const k of [AWS_TIMEOUT_ENV, 'AWS_ENDPOINT_URL', 'AWS_PROFILE', 'AWS_CONFIG_FILE']) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function hung() {
  const s = await silentServer();
  servers.push(s);
  return s;
}

describe('the timeouts', () => {
  it('default to 10 s a try, 5 s to connect, and at most 30 s for a call that keeps timing out', () => {
    expect(callTimeouts({})).toEqual({ requestMs: 10_000, connectMs: 5000, budgetMs: 30_000 });
    expect(callTimeouts({ [AWS_TIMEOUT_ENV]: '0.5' })).toEqual({
      requestMs: 500,
      connectMs: 500,
      budgetMs: 1500,
    });
    expect(() => callTimeouts({ [AWS_TIMEOUT_ENV]: 'soon' })).toThrow(/WEBHOOK_PROXY_AWS_TIMEOUT/);
  });

  it('end a call to a hung endpoint within its budget: 2 attempts, not the 6 of the retry policy', async () => {
    process.env[AWS_TIMEOUT_ENV] = '0.5';
    const server = await hung();
    const aws = createAws({ region: TEST_REGION, endpoint: server.url });
    const started = Date.now();
    const err = await (
      await aws.sqs()
    )
      .send(new GetQueueAttributesCommand({ QueueUrl: `${server.url}/123456789012/q` }))
      .catch((e: unknown) => e);
    const seconds = (Date.now() - started) / 1000;
    expect(err).toBeInstanceOf(EndpointUnreachableError);
    expect((err as Error).message).toBe(
      `SQS GetQueueAttributes: no answer within 0.5 s (2 attempts) from ${server.url} (set by --endpoint-url).`,
    );
    expect(server.connections()).toBe(2);
    // The budget is 3 × 0.5 s; the two attempts and the SDK's backoff between them fit in it.
    expect(seconds).toBeLessThan(1.5 + 1);
  });
});

describe('an SQS long poll', () => {
  it('may wait longer than the request timeout: its own timeout adds the wait (dev --queue-url)', async () => {
    process.env[AWS_TIMEOUT_ENV] = '0.5';
    const aws = createAws({ region: TEST_REGION, endpoint: `${moto}//` });
    const sqs = await aws.sqs();
    const { CreateQueueCommand } = await import('@aws-sdk/client-sqs');
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `lp-${Date.now()}` }));
    const { createSqsLocalQueue } = await import('../../src/local/sqs-queue.js');
    const queue = await createSqsLocalQueue(sqs, QueueUrl!);
    const started = Date.now();
    // moto holds an empty long poll for its whole wait (2 s), four times the 0.5 s request timeout.
    await expect(queue.receive({ max: 1, waitSeconds: 2 })).resolves.toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
  });
});

describe('a hung endpoint, through the CLI', () => {
  it('--endpoint-url: exit 1, the message names the endpoint and the flag', async () => {
    process.env[AWS_TIMEOUT_ENV] = '0.5';
    const server = await hung();
    const r = await runCli('status', 'nothing-here', '--endpoint-url', server.url);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(`no answer within 0\\.5 s .*from ${server.url} \\(set by --endpoint-url\\)`),
    );
    expect(r.stderr).toContain('The endpoint comes from --endpoint-url');
  });

  it('AWS_ENDPOINT_URL: exit 1, the message names the endpoint and the variable', async () => {
    process.env[AWS_TIMEOUT_ENV] = '0.5';
    const server = await hung();
    process.env.AWS_ENDPOINT_URL = server.url;
    const r = await runCli('pause', 'nothing-here');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`from ${server.url} (set by AWS_ENDPOINT_URL)`);
    expect(r.stderr).toContain('unset AWS_ENDPOINT_URL');
  });

  it('a refused connection is named the same way, without waiting for a timeout', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const r = await runCli('status', 'nothing-here', '--endpoint-url', url);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot connect (ECONNREFUSED) from ${url} (set by --endpoint-url)`);
  });
});

describe('a malformed endpoint URL', () => {
  it.each([['not-a-url'], ['ftp://127.0.0.1:21'], ['http://user:secret@127.0.0.1:5000']])(
    '--endpoint-url %s: exit 2 before any call',
    async (bad) => {
      const r = await runCli('status', 'x', '--endpoint-url', bad);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/error: --endpoint-url must/);
    },
  );

  it('from AWS_ENDPOINT_URL: exit 2, naming the variable', async () => {
    process.env.AWS_ENDPOINT_URL = 'not-a-url';
    const r = await runCli('list');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: AWS_ENDPOINT_URL must be an absolute http(s) URL (got "not-a-url")');
  });
});

describe('a profile that does not exist', () => {
  it('--profile nope with an empty config: says so and where it looked (exit 2)', async () => {
    // useMoto points AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE at /dev/null: no profiles at all.
    const r = await runCli('status', 'x', '--profile', 'nope', '--endpoint-url', moto);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'error: The AWS profile "nope" (from --profile) does not exist: it is in neither /dev/null (AWS_CONFIG_FILE) nor /dev/null (AWS_SHARED_CREDENTIALS_FILE).',
    );
    expect(r.stderr).toContain('aws configure --profile nope');
  });

  it('AWS_PROFILE, with a config that has other profiles: lists them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wp-aws-'));
    const config = join(dir, 'config');
    writeFileSync(config, '[default]\nregion = us-east-1\n\n[profile staging]\nregion = eu-west-1\n');
    process.env.AWS_CONFIG_FILE = config;
    process.env.AWS_PROFILE = 'prod';
    const r = await runCli('list');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `The AWS profile "prod" (from AWS_PROFILE) does not exist: it is in neither ${config}`,
    );
    expect(r.stderr).toContain('Profiles there: default, staging.');
  });

  it('an existing profile passes the check', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wp-aws-'));
    const config = join(dir, 'config');
    writeFileSync(config, '[profile staging]\nregion = us-east-1\n');
    process.env.AWS_CONFIG_FILE = config;
    const r = await runCli('status', 'no-such-proxy-here', '--profile', 'staging');
    expect(r.stderr).not.toContain('does not exist:');
  });
});
