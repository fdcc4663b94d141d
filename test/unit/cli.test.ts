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

  it('tells an --upstream without a scheme which URL to write (http for this machine, https otherwise)', async () => {
    for (const cmd of ['create', 'dev']) {
      const local = await runCli(cmd, '--upstream', 'localhost:3000/x');
      expect(local.code).toBe(2);
      expect(local.stderr).toContain('--upstream http://localhost:3000/x');
      const loop = await runCli(cmd, '--upstream', '127.0.0.1:8080');
      expect(loop.code).toBe(2);
      expect(loop.stderr).toContain('--upstream http://127.0.0.1:8080/');
    }
    const remote = await runCli('create', '--upstream', 'app.example.com/hooks');
    expect(remote.code).toBe(2);
    expect(remote.stderr).toContain('--upstream https://app.example.com/hooks');
    // A scheme that is there but wrong is named as such, not "add http://".
    const ftp = await runCli('create', '--upstream', 'ftp://app.example.com/');
    expect(ftp.code).toBe(2);
    expect(ftp.stderr).toMatch(/must use http or https \(got "ftp:"\)/);
    expect(ftp.stderr).not.toContain('Add the scheme');
  });
});
