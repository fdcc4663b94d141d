/**
 * The built CLI with credentials that are missing, expired or refused: the error names where they
 * came from (the profile and which of --profile/AWS_PROFILE set it, the environment's key, the
 * default files) and, when one is set, the endpoint that refused them. moto accepts any key, so the
 * refusals come from a server on 127.0.0.1 that answers as AWS does (helpers/net.ts awsErrorServer).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBinAsync } from '../helpers/bin.js';
import { awsErrorServer, closedPort } from '../helpers/net.js';
import { ensureBuilt } from './dev-harness.js';

// No real AWS and nothing of this machine's: no shared files, no instance role (IMDS off, so a
// missing credential fails at once instead of after the metadata service's timeouts).
const base = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: '',
  AWS_SECRET_ACCESS_KEY: '',
  AWS_SESSION_TOKEN: '',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  AWS_ENDPOINT_URL: '',
  AWS_PROFILE: '',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_CONTAINER_CREDENTIALS_FULL_URI: '',
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '',
  AWS_WEB_IDENTITY_TOKEN_FILE: '',
  WEBHOOK_PROXY_AWS_TIMEOUT: '2',
};
const envKeys = {
  AWS_ACCESS_KEY_ID: 'ASIAEXAMPLEKEY1WXYZ',
  AWS_SECRET_ACCESS_KEY: 'secret',
  AWS_SESSION_TOKEN: 'token',
};

let expired: Awaited<ReturnType<typeof awsErrorServer>>;
let unknownKey: Awaited<ReturnType<typeof awsErrorServer>>;
let files: { config: string; credentials: string };
beforeAll(async () => {
  await ensureBuilt();
  // What AWS answers for an expired session token, and for a key it does not know (STS's words).
  expired = await awsErrorServer('ExpiredToken', 'The security token included in the request is expired');
  unknownKey = await awsErrorServer(
    'InvalidClientTokenId',
    'The security token included in the request is invalid.',
  );
  const dir = mkdtempSync(join(tmpdir(), 'wp-cred-'));
  files = { config: join(dir, 'config'), credentials: join(dir, 'credentials') };
  // "empty" has a region but no way to get credentials; "ops" has keys.
  writeFileSync(files.config, '[profile empty]\nregion = us-east-1\n\n[profile ops]\nregion = us-east-1\n');
  writeFileSync(
    files.credentials,
    '[ops]\naws_access_key_id = AKIAEXAMPLEOPS1234\naws_secret_access_key = x\n',
  );
});
afterAll(async () => {
  await expired?.close();
  await unknownKey?.close();
});

type Line = { error: { code: string; message: string; hint: string }; warning?: { code: string } };
/** With --json every stderr line is JSON; the error is the last. */
const lines = (stderr: string) =>
  stderr
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);
const json = (stderr: string) => lines(stderr).at(-1)!;

describe('built binary: credential errors name their source', () => {
  it('none anywhere: says where it looked (the environment, the default files, a role)', async () => {
    const r = await runBinAsync(['list'], base);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'error: No AWS credentials found: none in the environment (no AWS_ACCESS_KEY_ID)',
    );
    expect(r.stderr).toContain('the "default" profile (/dev/null, /dev/null)');
    expect(r.stderr).toMatch(/aws configure/);
  });

  it('half a key pair in the environment is named as such', async () => {
    const r = await runBinAsync(['list'], { ...base, AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('AWS_ACCESS_KEY_ID is set, AWS_SECRET_ACCESS_KEY is not');
  });

  it('a profile that exists but gives no credentials: names it and what set it (AWS_PROFILE)', async () => {
    const env = { ...base, AWS_CONFIG_FILE: files.config, AWS_PROFILE: 'empty' };
    const r = await runBinAsync(['--json', 'list'], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const { error } = json(r.stderr);
    expect(error.code).toBe('no_credentials');
    expect(error.message).toContain('No AWS credentials found in the profile "empty" (from AWS_PROFILE)');
    expect(error.hint).toContain('aws sso login --profile empty');
  });

  it('expired environment credentials: names the variables, the key and the endpoint', async () => {
    const r = await runBinAsync(['list', '--endpoint-url', expired.url], { ...base, ...envKeys });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'The AWS credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment with AWS_SESSION_TOKEN, key …WXYZ have expired',
    );
    expect(r.stderr).toContain(`by ${expired.url} (set by --endpoint-url)`);
    expect(r.stderr).toContain('new AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN');
    expect(expired.requests()).toBeGreaterThan(0);
    const j = await runBinAsync(['--json', 'status', 'x'], {
      ...base,
      ...envKeys,
      AWS_ENDPOINT_URL: expired.url,
    });
    expect(json(j.stderr).error.code).toBe('expired_credentials');
    expect(json(j.stderr).error.message).toContain('(set by AWS_ENDPOINT_URL)');
  });

  it('a key AWS does not know, from --profile: names the profile, not the environment it overrides', async () => {
    // The SDK takes the profile over AWS_ACCESS_KEY_ID when both are there; the error must say the same.
    const env = {
      ...base,
      ...envKeys,
      AWS_CONFIG_FILE: files.config,
      AWS_SHARED_CREDENTIALS_FILE: files.credentials,
    };
    const r = await runBinAsync(
      ['--json', 'list', '--profile', 'ops', '--endpoint-url', unknownKey.url],
      env,
    );
    expect(r.code).toBe(1);
    // The SDK's own console.warn about the two sources would not be JSON; ours is, and names --profile.
    const [warning, { error }] = lines(r.stderr) as [Line, Line];
    expect(warning.warning).toEqual({
      code: 'profile_over_environment_keys',
      message: expect.stringContaining('the AWS profile "ops" (from --profile) is used'),
    });
    expect(error.code).toBe('rejected_credentials');
    expect(error.message).toContain(
      'The AWS credentials from the profile "ops" (from --profile) were not accepted',
    );
    expect(error.message).toContain('InvalidClientTokenId');
    expect(error.hint).toContain('--endpoint-url');
  });

  it('an endpoint on a closed port: refused at once, naming the variable that set it', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const r = await runBinAsync(['list'], { ...base, ...envKeys, AWS_ENDPOINT_URL: url });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot connect (ECONNREFUSED) from ${url} (set by AWS_ENDPOINT_URL)`);
    expect(r.stderr).toContain('unset AWS_ENDPOINT_URL');
  });
});
