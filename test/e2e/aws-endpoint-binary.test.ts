/**
 * The built CLI against a hung endpoint, a malformed one and a missing profile, as a user runs it
 * (the in-process cases, with the reasons, are in test/integration/aws-endpoint-errors.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBinAsync } from '../helpers/bin.js';
import { silentServer } from '../helpers/net.js';
import { ensureBuilt } from './dev-harness.js';

// No real AWS: fake keys, no shared files, no endpoint unless a test gives one.
const env = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  AWS_ENDPOINT_URL: '',
  AWS_PROFILE: '',
  WEBHOOK_PROXY_AWS_TIMEOUT: '0.5',
};

let server: Awaited<ReturnType<typeof silentServer>>;
beforeAll(async () => {
  await ensureBuilt();
  server = await silentServer();
});
afterAll(() => server.close());

describe('built binary: where it talks to', () => {
  it('a hung --endpoint-url: exit 1, naming the endpoint and the flag', async () => {
    const r = await runBinAsync(['status', 'x', '--endpoint-url', server.url], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`from ${server.url} (set by --endpoint-url)`);
    expect(r.stderr).toMatch(/no answer within 0\.5 s/);
  });

  it('a hung AWS_ENDPOINT_URL: exit 1, naming the variable', async () => {
    const r = await runBinAsync(['list'], { ...env, AWS_ENDPOINT_URL: server.url });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`from ${server.url} (set by AWS_ENDPOINT_URL)`);
  });

  it('--endpoint-url not-a-url: exit 2', async () => {
    const r = await runBinAsync(['status', '--endpoint-url', 'not-a-url'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: --endpoint-url must be an absolute http(s) URL (got "not-a-url")');
  });

  it('--profile nope with an empty config: the profile does not exist, and where it looked', async () => {
    const r = await runBinAsync(['status', '--profile', 'nope'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('The AWS profile "nope" (from --profile) does not exist');
    expect(r.stderr).toContain('/dev/null (AWS_CONFIG_FILE)');
  });
});
