/**
 * Paths through the built `webhook-proxy dev --preserve-path`, sent on the wire exactly as written
 * (node:http with a raw `path`, which it does not normalise). dev's front end decodes the path as an
 * HTTP API does, so this rehearses AWS: the upstream gets a sendable, encoded path, and a path that
 * could reach elsewhere on its host is refused 400 at ingest, with nothing queued.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstream } from '../helpers/upstream.js';
import { startDev, type DevProcess } from './dev-harness.js';

let upstream: Awaited<ReturnType<typeof startUpstream>>;
let dev: DevProcess;

beforeAll(async () => {
  upstream = await startUpstream();
  dev = await startDev(['--upstream', `${upstream.url}/base`, '--preserve-path', '--max-attempts', '1']);
});

afterAll(async () => {
  await dev?.stop();
  await upstream?.close();
});

/** POST to `path` as written, byte for byte in the request line. */
function postRaw(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const { hostname, port } = new URL(dev.url);
  return new Promise((resolve, reject) => {
    const req = request(
      { hostname, port, path, method: 'POST', headers: { 'content-type': 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }),
        );
      },
    );
    req.on('error', reject);
    req.end('{"ok":true}');
  });
}

describe('paths through dev --preserve-path', () => {
  it('delivers encoded paths the upstream can read, never splitting one into a query', async () => {
    const sent = [
      ['/hooks/a%20b?x=1', '/base/hooks/a%20b?x=1'],
      ['/hooks/%CE%BB', '/base/hooks/%CE%BB'],
      ['/hooks/q%3Fv?x=2', '/base/hooks/q%3Fv?x=2'],
      ['/hooks/h%23v', '/base/hooks/h%23v'],
      // An encoded slash cannot be told from a slash once decoded: it arrives as one (as on AWS).
      ['/hooks/s%2Fv', '/base/hooks/s/v'],
    ] as const;
    const ids: string[] = [];
    for (const [path] of sent) {
      const res = await postRaw(path);
      expect(res.status, path).toBe(200);
      ids.push(String(res.body.id));
    }
    await dev.waitFor((e) => e.event === 'delivered' && ids.includes(String(e.id)), ids.length);
    const byId = new Map(upstream.received.map((r) => [String(r.headers['x-webhook-proxy-id']), r.url]));
    expect(ids.map((id) => byId.get(id))).toEqual(sent.map(([, expected]) => expected));
  });

  it('refuses dot segments, double-encoded separators and NUL with 400; nothing is queued', async () => {
    const before = upstream.received.length;
    for (const path of ['/a/../../etc/passwd', '/a/%2e%2e/%2E%2E/admin', '/a%252Fb', '/a%255Cb', '/a%00b']) {
      const res = await postRaw(path);
      expect(res.status, path).toBe(400);
      expect(res.body.error).toBe('unsafe_path');
      expect(String(res.body.message)).toContain('It was not stored');
    }
    await dev.waitFor((e) => e.event === 'rejected' && e.status === 400, 5);
    // A good webhook after them is delivered, and is the only thing the upstream sees.
    const ok = await postRaw('/after');
    await dev.waitFor((e) => e.event === 'delivered' && e.id === ok.body.id);
    expect(upstream.received.slice(before).map((r) => r.url)).toEqual(['/base/after']);
    expect(dev.events.filter((e) => e.event === 'retry' || e.event === 'dead-lettered')).toEqual([]);
  });
});
