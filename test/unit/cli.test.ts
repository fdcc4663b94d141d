/**
 * The CLI in-process: global options, help, version, usage errors → exit 2.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('cli', () => {
  it('prints its version', async () => {
    const r = await runCli('--version');
    expect(r.code).toBe(0);
    // From package.json itself, not from the code that reads it.
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  });

  it('prints help with the global options', async () => {
    const r = await runCli('--help');
    expect(r.code).toBe(0);
    for (const flag of ['--region', '--profile', '--endpoint-url', '--json', '--verbose', '--yes']) {
      expect(r.stdout).toContain(flag);
    }
  });

  it('refuses an unknown option or command with exit 2', async () => {
    const r = await runCli('--no-such-flag');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option/);
    expect((await runCli('frobnicate')).code).toBe(2);
  });
});
