/**
 * `serve --host` checks (src/local/listen-host.ts) in every spelling the e2e test (serve-host) does
 * not start a process for: what counts as loopback, what the parser accepts and how it normalises.
 */
import { describe, expect, it } from 'vitest';
import { checkListenHost, isLoopback, parseListenHost } from '../../src/local/listen-host.js';

describe('listen-host', () => {
  it('knows loopback in its spellings, and nothing else as loopback', () => {
    for (const a of ['127.0.0.1', '127.255.0.9', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1'])
      expect(isLoopback(a), a).toBe(true);
    for (const a of ['0.0.0.0', '::', '10.0.0.1', '192.0.2.2', '::ffff:10.0.0.1', 'fe80::1', '128.0.0.1'])
      expect(isLoopback(a), a).toBe(false);
  });

  it('takes IP addresses (IPv6 with or without brackets) and host names, and refuses the rest', () => {
    expect(parseListenHost(' 0.0.0.0 ')).toBe('0.0.0.0');
    expect(parseListenHost('[::1]')).toBe('::1');
    expect(parseListenHost('::')).toBe('::');
    expect(parseListenHost('proxy-1.internal')).toBe('proxy-1.internal');
    for (const bad of [
      '1.2.3',
      '1.2.3.4.5',
      '-a.example',
      'a_b.example',
      'host/path',
      '[::1]:8080',
      '::1::2',
    ])
      expect(() => parseListenHost(bad), bad).toThrow(expect.objectContaining({ name: 'UsageError' }));
    expect(() => parseListenHost('[::1]:8080')).toThrow(
      expect.objectContaining({ hint: 'Use --host ::1 --port 8080.' }),
    );
  });

  it('warns beyond loopback only, and the warning names what guards the proxy', async () => {
    expect(await checkListenHost('127.0.0.1', false)).toBeUndefined();
    expect(await checkListenHost('localhost', false)).toBeUndefined();
    const open = await checkListenHost('::', false);
    expect(open).toMatch(/every network interface[\s\S]*no --verify is set[\s\S]*--verify NAME=SECRET/);
    expect(await checkListenHost('192.0.2.10', true)).toMatch(
      /listening on 192\.0\.2\.10[\s\S]*--verify senders/,
    );
  });
});
