/**
 * `serve --host` (issue 13): what cannot be listened on is refused with exit 2 and what to type
 * instead, before anything starts; loopback (the default) says nothing; an address beyond loopback
 * says once on stderr that the proxy is reachable from the network and that the senders' signatures
 * (--verify) are its only guard, and the proxy does serve on it.
 */
import { networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import { runBinAsync } from '../helpers/bin.js';
import { post } from './dev-harness.js';
import { serveFixture } from './serve-fixture.js';

const f = serveFixture();
const WARNING = /reachable from the network/g;
const warnings = (stderr: string) => stderr.match(WARNING)?.length ?? 0;
const portOf = (url: string) => new URL(url).port;

/** An IPv4 address of this machine other than loopback (a LAN or container address), if it has one. */
const lan = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

describe('serve --host', () => {
  it('refuses what it cannot listen on with exit 2, saying what to type, before anything starts', async () => {
    const cases: [string, RegExp][] = [
      ['localhost:8080', /the port goes in --port[\s\S]*--host localhost --port 8080/],
      ['http://0.0.0.0:8080', /not a URL[\s\S]*--host 0\.0\.0\.0/],
      ['300.1.1.1', /not an IP address or a host name[\s\S]*--host 127\.0\.0\.1/],
      ['[1.2.3.4]', /brackets hold an IPv6 address only/],
      ['', /it is empty/],
      // A name nobody can resolve (.invalid is reserved for that, RFC 6761).
      ['no-such-host.invalid', /cannot resolve that name/],
      // TEST-NET-3 (RFC 5737): well formed, but no interface of this machine has it.
      ['203.0.113.7', /not an address of this machine[\s\S]*--host 0\.0\.0\.0/],
    ];
    const runs = await Promise.all(
      cases.map(([host]) =>
        runBinAsync(['serve', '--upstream', 'http://127.0.0.1:9', '--memory', '--port', '0', '--host', host]),
      ),
    );
    runs.forEach((r, i) => {
      const [host, message] = cases[i]!;
      expect({ host, code: r.code }).toEqual({ host, code: 2 });
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    });
  });

  it('says nothing about the network on loopback, the default or another 127.x address', async () => {
    const upstream = await f.startUpstream();
    for (const args of [[], ['--host', '127.0.0.2']]) {
      const serve = await f.startServe(['--upstream', upstream.url, '--memory', ...args]);
      expect(serve.url).toMatch(args.length ? /^http:\/\/127\.0\.0\.2:/ : /^http:\/\/127\.0\.0\.1:/);
      expect((await post(`${serve.url}/`, '{}')).status).toBe(200);
      expect(await serve.stop('SIGTERM')).toBe(0);
      expect(warnings(serve.stderr())).toBe(0);
    }
    await f.done();
  });

  it('on every interface (0.0.0.0): serves, and warns once that only signatures guard it, naming --verify', async () => {
    const upstream = await f.startUpstream();
    const serve = await f.startServe(['--upstream', upstream.url, '--memory', '--host', '0.0.0.0']);
    expect(serve.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
    const sent = await post(`http://127.0.0.1:${portOf(serve.url)}/`, '{"n":1}');
    expect(sent.status).toBe(200);
    await serve.waitFor((e) => e.event === 'delivered' && e.id === sent.id);
    expect(await serve.stop('SIGTERM')).toBe(0);
    expect(warnings(serve.stderr())).toBe(1);
    expect(serve.stderr()).toMatch(
      /signatures are its only guard: no --verify is set[^\n]*--verify NAME=SECRET \(github, stripe/,
    );
    // The warning is for the operator: stdout stays the JSON log (the harness parsed every line).
    expect(serve.events.at(-1)!.event).toBe('stopped');
    await f.done();
  });

  it('with --json the warning is a JSON line on stderr, like every other warning', async () => {
    const upstream = await f.startUpstream();
    const serve = await f.startServe(['--json', '--upstream', upstream.url, '--memory', '--host', '::']);
    expect(await serve.stop('SIGTERM')).toBe(0);
    const lines = serve
      .stderr()
      .split('\n')
      .filter((l) => l.includes('reachable from the network'));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      warning: {
        code: 'reachable_from_network',
        message: expect.stringMatching(/^listening on every network/),
      },
    });
    await f.done();
  });

  it.skipIf(!lan)(
    'on a LAN address with --verify: serves there, and the warning says what it checks',
    async () => {
      const upstream = await f.startUpstream();
      const serve = await f.startServe(
        ['--upstream', upstream.url, '--memory', '--host', lan!, '--verify', 'github=env:SERVE_HOST_SECRET'],
        { SERVE_HOST_SECRET: 'not-a-real-secret' },
      );
      expect(serve.url).toBe(`http://${lan}:${portOf(serve.url)}`);
      // Unsigned: refused by the one guard the warning names.
      expect((await post(`${serve.url}/`, '{"n":1}')).status).toBe(401);
      expect(await serve.stop('SIGTERM')).toBe(0);
      expect(warnings(serve.stderr())).toBe(1);
      expect(serve.stderr()).toMatch(
        /every request must carry a valid signature from one of the --verify senders/,
      );
      expect(upstream.received).toEqual([]);
      await f.done();
    },
  );
});
