/**
 * The built CLI run as a user runs it (`npm test` builds before it tests).
 */
import { existsSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { handlerBundlePath, packageVersion } from '../../src/paths.js';
import { runBin } from '../helpers/bin.js';

const bin = (...args: string[]) => runBin(args);

describe('built binary', () => {
  it('answers --version and --help', () => {
    const v = bin('--version');
    expect(v.status).toBe(0);
    expect(v.stdout.trim()).toBe(packageVersion());
    const h = bin('--help');
    expect(h.status).toBe(0);
    expect(h.stdout).toContain('Usage: webhook-proxy');
  });

  it('exits 2 on a usage error, with the message on stderr', () => {
    const r = bin('--bogus');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown option '--bogus'");
    expect(r.stdout).toBe('');
  });

  it('has both handler bundles, small', () => {
    for (const name of ['ingest', 'deliver'] as const) {
      const path = handlerBundlePath(name);
      expect(existsSync(path), path).toBe(true);
      // The SDK is left to the Lambda runtime; a bundle that grew past 100 KB pulled something in by mistake.
      expect(statSync(path).size).toBeLessThan(100_000);
    }
  });
});
