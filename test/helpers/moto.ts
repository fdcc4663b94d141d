/**
 * Point the AWS SDK (and the CLI run in-process or as a child) at the run's moto server.
 * Call `useMoto()` at the top of an integration test file.
 */
import { inject } from 'vitest';

export const TEST_REGION = 'us-east-1';

export function motoEnv(): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: inject('motoEndpoint'),
    AWS_REGION: TEST_REGION,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    // Never read the developer's real ~/.aws files during tests.
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  };
}

export function useMoto(): string {
  const env = motoEnv();
  Object.assign(process.env, env);
  delete process.env.AWS_PROFILE;
  return env.AWS_ENDPOINT_URL!;
}

/** A name no other test in this run uses, so tests can share one moto server. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`.slice(0, 40);
}
