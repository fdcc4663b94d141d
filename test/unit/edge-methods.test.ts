/**
 * Requests that are not webhooks: GET, HEAD, OPTIONS, TRACE… are answered 405 with `Allow` and never
 * stored (before this, every method was queued and forwarded); `--methods` changes the set, on `dev`
 * and in the ingest function's environment (`WP_METHODS`); a configured handshake still answers its GET.
 */
import { describe, expect, it } from 'vitest';
import { edgeEnv, edgeSettingsFromOptions } from '../../src/handlers/edge/flags.js';
import { DEFAULT_METHODS, parseMethods } from '../../src/handlers/edge/methods.js';
import { createIngestHandler, ingestConfigFromEnv } from '../../src/handlers/ingest.js';
import {
  mergeSettings,
  NEW_PROXY,
  settingChanges,
  type CurrentProxy,
} from '../../src/proxy/provision/settings.js';
import { quietIo } from '../helpers/edge.js';
import { httpApiEvent } from '../helpers/events.js';
import { recordingPort } from '../helpers/memory-port.js';

function setup(flags: { handshake?: string[]; verify?: string[]; methods?: string } = {}) {
  const rec = recordingPort();
  const logs: Record<string, unknown>[] = [];
  const config = ingestConfigFromEnv(edgeEnv(flags, quietIo().io)); // as a deployed function reads it
  const handler = createIngestHandler({ queue: rec.port, config, log: (l) => logs.push(l) });
  return { ...rec, logs, handler };
}

describe('the methods webhooks use', () => {
  it('by default POST, PUT, PATCH and DELETE are stored; every other method gets 405 and nothing is stored', async () => {
    const { handler, sent, logs } = setup();
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      expect((await handler(httpApiEvent({ method, body: '{}' }))).statusCode, method).toBe(200);
    }
    expect(sent).toHaveLength(4);
    for (const method of ['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND']) {
      const res = await handler(httpApiEvent({ method, rawPath: '/wp-login.php' }));
      expect(res.statusCode, method).toBe(405);
      expect(res.headers).toMatchObject({ allow: 'DELETE, PATCH, POST, PUT' });
    }
    expect(sent).toHaveLength(4);
    const refused = logs.filter((l) => l.status === 405);
    expect(refused).toHaveLength(5);
    expect(refused[0]).toMatchObject({ msg: 'ingest', level: 'info', method: 'GET', path: '/wp-login.php' });
  });

  it('--methods changes the set, and * accepts every method as before', async () => {
    const some = setup({ methods: 'post, get' });
    expect((await some.handler(httpApiEvent({ method: 'GET' }))).statusCode).toBe(200);
    const put = await some.handler(httpApiEvent({ method: 'PUT', body: 'x' }));
    expect(put.statusCode).toBe(405);
    expect(put.headers).toMatchObject({ allow: 'GET, POST' });
    expect(some.sent).toHaveLength(1);

    const all = setup({ methods: '*' });
    for (const method of ['GET', 'HEAD', 'OPTIONS']) {
      expect((await all.handler(httpApiEvent({ method }))).statusCode, method).toBe(200);
    }
    expect(all.sent).toHaveLength(3);
  });

  it('a configured handshake still answers its GET first; other GETs are refused', async () => {
    const { handler, sent } = setup({ handshake: ['dropbox'] });
    const challenge = await handler(httpApiEvent({ method: 'GET', rawQueryString: 'challenge=dbx-1' }));
    expect(challenge.statusCode).toBe(200);
    expect(challenge.body).toBe('dbx-1');
    expect((await handler(httpApiEvent({ method: 'GET', rawQueryString: 'x=1' }))).statusCode).toBe(405);
    expect(sent).toHaveLength(0);
  });

  it('is checked before signatures: a GET is 405 even with --verify', async () => {
    const { handler, sent } = setup({ verify: ['github=literal:s3cret'] });
    expect((await handler(httpApiEvent({ method: 'GET' }))).statusCode).toBe(405);
    expect((await handler(httpApiEvent({ method: 'POST', body: '{}' }))).statusCode).toBe(401);
    expect(sent).toHaveLength(0);
  });
});

describe('--methods and WP_METHODS', () => {
  it('parses a comma-separated list into a canonical form, or *', () => {
    expect(parseMethods('post,PUT, post')).toEqual(['POST', 'PUT']);
    expect(parseMethods(' * ')).toBe('*');
    expect(parseMethods('POST GET')).toBeUndefined();
    expect(parseMethods('')).toBeUndefined();
    expect(DEFAULT_METHODS).toEqual(['DELETE', 'PATCH', 'POST', 'PUT']);
  });

  it('becomes WP_METHODS only when given, so every other set of flags makes the same variables as before', () => {
    const { io } = quietIo();
    expect(edgeEnv({}, io)).toEqual({});
    expect(edgeEnv({ handshake: ['graph'] }, io)).toEqual({ WP_HANDSHAKES: '[{"name":"graph"}]' });
    expect(edgeEnv({ methods: 'put,post' }, io)).toEqual({ WP_METHODS: 'POST,PUT' });
    // Given even as the default, so a re-run of create can set a proxy back to it.
    expect(edgeEnv({ methods: 'POST,PUT,PATCH,DELETE' }, io)).toEqual({
      WP_METHODS: 'DELETE,PATCH,POST,PUT',
    });
    expect(edgeEnv({ methods: '*' }, io)).toEqual({ WP_METHODS: '*' });
    expect(edgeSettingsFromOptions({ methods: 'GET' }, io).methods).toEqual(['GET']);
  });

  it('round-trips through the ingest configuration', () => {
    expect(ingestConfigFromEnv({ WP_METHODS: 'POST,GET' }).methods).toEqual(['GET', 'POST']);
    expect(ingestConfigFromEnv({ WP_METHODS: '*' }).methods).toBe('*');
    expect(ingestConfigFromEnv({}).methods).toBeUndefined();
  });
});

describe('--methods on a re-run of create', () => {
  const proxy = (edgeEnv: Record<string, string>): CurrentProxy => ({
    name: 'shop',
    exists: true,
    ordered: false,
    settings: { ...NEW_PROXY, upstream: 'https://app.example.com/hooks', edgeEnv },
    queue: { retentionSeconds: 14 * 86_400, held: 0 },
    dlqHeld: 0,
    stageThrottled: false,
    foreign: [],
  });
  const { io } = quietIo();

  it('left out, keeps what the proxy has; given, replaces it, shown before → after', () => {
    const current = proxy({ ...edgeEnv({ verify: ['github=literal:s'] }, io), WP_METHODS: 'GET,POST' });
    const kept = mergeSettings(current, { tags: {} }).settings;
    expect(kept.edgeEnv.WP_METHODS).toBe('GET,POST');
    expect(settingChanges(current, kept)).toEqual([]);

    const back = mergeSettings(current, {
      methods: edgeEnv({ methods: 'POST,PUT,PATCH,DELETE' }, io),
      tags: {},
    });
    expect(back.settings.edgeEnv.WP_METHODS).toBe('DELETE,PATCH,POST,PUT');
    expect(back.settings.edgeEnv.WP_VERIFY).toBe(current.settings.edgeEnv!.WP_VERIFY); // the other parts stay
    expect(settingChanges(current, back.settings)).toEqual([
      { setting: 'methods', before: 'GET,POST', after: 'DELETE,PATCH,POST,PUT' },
    ]);

    const fresh = proxy({});
    const all = mergeSettings(fresh, { methods: edgeEnv({ methods: '*' }, io), tags: {} }).settings;
    expect(settingChanges(fresh, all)).toEqual([
      { setting: 'methods', before: 'DELETE,PATCH,POST,PUT (default)', after: '*' },
    ]);
  });
});
