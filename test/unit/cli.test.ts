/**
 * The CLI in-process: global options, help, version, usage errors → exit 2.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli.js';
import { packageVersion } from '../../src/paths.js';

function capture() {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((c) => ((out += String(c)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((err += String(c)), true));
  return { out: () => out, err: () => err };
}
const run = (...args: string[]) => main(['node', 'webhook-proxy', ...args]);

afterEach(() => vi.restoreAllMocks());

describe('cli', () => {
  it('prints its version', async () => {
    const io = capture();
    expect(await run('--version')).toBe(0);
    expect(io.out().trim()).toBe(packageVersion());
  });

  it('prints help with the global options', async () => {
    const io = capture();
    expect(await run('--help')).toBe(0);
    for (const flag of ['--region', '--profile', '--endpoint-url', '--json', '--verbose', '--yes']) {
      expect(io.out()).toContain(flag);
    }
  });

  it('refuses an unknown option or command with exit 2', async () => {
    const io = capture();
    expect(await run('--no-such-flag')).toBe(2);
    expect(io.err()).toMatch(/unknown option/);
    expect(await run('frobnicate')).toBe(2);
  });
});
