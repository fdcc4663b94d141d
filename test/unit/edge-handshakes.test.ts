import { describe, expect, it } from 'vitest';
import { createEdge, type EdgeOutcome } from '../../src/handlers/edge/index.js';
import type { HandshakeSpec } from '../../src/handlers/edge/types.js';
import { edgeRequest, xResponseToken, zoomEncryptedToken } from '../helpers/edge.js';

function edgeWith(...handshakes: HandshakeSpec[]) {
  return createEdge({ handshakes })!;
}

function handshake(outcome: EdgeOutcome) {
  if (outcome.kind !== 'handshake') throw new Error(`expected a handshake, got ${outcome.kind}`);
  return outcome.response;
}

describe('slack url_verification', () => {
  const edge = edgeWith({ name: 'slack' });
  const body = JSON.stringify({
    token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl',
    challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P',
    type: 'url_verification',
  });

  it('answers 200 with the challenge as plain text', () => {
    const res = handshake(edge(edgeRequest({ headers: { 'content-type': 'application/json' }, body })));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toBe('3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P');
  });

  it('leaves ordinary Slack events, other JSON and GETs alone', () => {
    const event = JSON.stringify({ type: 'event_callback', event: { type: 'message' }, challenge: 'x' });
    expect(edge(edgeRequest({ body: event })).kind).toBe('pass');
    expect(edge(edgeRequest({ body: '[1,2]' })).kind).toBe('pass');
    expect(edge(edgeRequest({ body: 'type=url_verification&challenge=x' })).kind).toBe('pass');
    // Not a handshake; and a GET is not a webhook either (methods.ts), so it is answered 405.
    expect(edge(edgeRequest({ method: 'GET', body })).kind).toBe('method');
    expect(edge(edgeRequest({ body: '{not json' })).kind).toBe('pass');
  });
});

describe('meta hub.challenge', () => {
  const edge = edgeWith({ name: 'meta', secret: 'my-verify-token' });
  const query = (token: string, mode = 'subscribe') =>
    `hub.mode=${mode}&hub.verify_token=${encodeURIComponent(token)}&hub.challenge=1158201444`;

  it('answers the challenge as plain text when the verify token matches', () => {
    const res = handshake(edge(edgeRequest({ method: 'GET', query: query('my-verify-token') })));
    expect(res).toMatchObject({ statusCode: 200, body: '1158201444' });
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
  });

  it('refuses 403 a wrong or missing token, or another mode, without echoing the challenge', () => {
    for (const q of [
      query('wrong-token'),
      query('my-verify-token-and-more'),
      query(''),
      'hub.mode=subscribe&hub.challenge=1158201444',
      query('my-verify-token', 'unsubscribe'),
    ]) {
      const res = handshake(edge(edgeRequest({ method: 'GET', query: q })));
      expect(res.statusCode).toBe(403);
      expect(res.body).not.toContain('1158201444');
      expect(res.body).not.toContain('my-verify-token');
    }
  });

  it('is only a GET with hub.* parameters', () => {
    expect(edge(edgeRequest({ method: 'GET', query: 'challenge=1' })).kind).toBe('method');
    expect(edge(edgeRequest({ method: 'POST', query: query('my-verify-token') })).kind).toBe('pass');
  });
});

describe('zoom endpoint.url_validation', () => {
  const secret = 'ZOOM_SECRET_TOKEN_abc123';
  const edge = edgeWith({ name: 'zoom', secret });

  it('answers plainToken and its hex HMAC-SHA256 with the secret token', () => {
    const body = JSON.stringify({
      payload: { plainToken: 'qgg8vlvZRS6UYooatFL8Aw' },
      event_ts: 1654503849680,
      event: 'endpoint.url_validation',
    });
    const res = handshake(edge(edgeRequest({ headers: { 'content-type': 'application/json' }, body })));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(JSON.parse(res.body)).toEqual({
      plainToken: 'qgg8vlvZRS6UYooatFL8Aw',
      encryptedToken: zoomEncryptedToken(secret, 'qgg8vlvZRS6UYooatFL8Aw'),
    });
  });

  it('refuses to sign a string that could be a Zoom webhook signature base (v0:TS:BODY)', () => {
    const plainToken = 'v0:1654503849:{"event":"meeting.started"}';
    const body = JSON.stringify({ event: 'endpoint.url_validation', payload: { plainToken } });
    const res = handshake(edge(edgeRequest({ body })));
    expect(res.statusCode).toBe(400);
    expect(res.body).not.toContain(zoomEncryptedToken(secret, plainToken));
  });

  it('leaves other Zoom events alone', () => {
    const body = JSON.stringify({ event: 'meeting.started', payload: { plainToken: 'x' } });
    expect(edge(edgeRequest({ body })).kind).toBe('pass');
  });
});

describe('graph validationToken', () => {
  const edge = edgeWith({ name: 'graph' });

  it('answers text/plain with the URL-decoded token, whatever the method', () => {
    const query =
      'validationToken=Validation%3a+Testing+client+application+reachability+for+subscription+Request-Id%3a+c69b04df-f3d3-411c-8ceb-7f1ad8b7a927';
    for (const method of ['POST', 'GET']) {
      const res = handshake(edge(edgeRequest({ method, query })));
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.body).toBe(
        'Validation: Testing client application reachability for subscription Request-Id: c69b04df-f3d3-411c-8ceb-7f1ad8b7a927',
      );
    }
  });

  it('leaves change notifications (no validationToken) alone', () => {
    expect(edge(edgeRequest({ body: '{"value":[]}' })).kind).toBe('pass');
  });
});

describe('dropbox challenge', () => {
  const edge = edgeWith({ name: 'dropbox' });

  it('echoes the challenge with text/plain and nosniff', () => {
    const res = handshake(edge(edgeRequest({ method: 'GET', query: 'challenge=d1e5c8a0-abc' })));
    expect(res).toMatchObject({ statusCode: 200, body: 'd1e5c8a0-abc' });
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('leaves notifications (POST) alone', () => {
    expect(edge(edgeRequest({ method: 'POST', query: 'challenge=x', body: '{}' })).kind).toBe('pass');
  });
});

describe('x crc_token', () => {
  const secret = 'z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu';
  const edge = edgeWith({ name: 'x', secret });

  it('answers JSON response_token = sha256= + base64 HMAC-SHA256(consumer secret, crc_token)', () => {
    const token = '9b4507b3-9040-4669-9ca3-6b94edb50553';
    const res = handshake(edge(edgeRequest({ method: 'GET', query: `crc_token=${token}` })));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(JSON.parse(res.body)).toEqual({ response_token: xResponseToken(secret, token) });
  });

  it('refuses to sign a JSON body (which would forge x-twitter-webhooks-signature)', () => {
    const body = '{"for_user_id":"1","tweet_create_events":[]}';
    const res = handshake(
      edge(edgeRequest({ method: 'GET', query: `crc_token=${encodeURIComponent(body)}` })),
    );
    expect(res.statusCode).toBe(400);
    expect(res.body).not.toContain(xResponseToken(secret, body).slice(7));
  });
});

describe('handshakes together', () => {
  it('only the configured ones are recognised', () => {
    const edge = edgeWith({ name: 'graph' });
    // Unconfigured handshakes are not recognised: these GETs are then just GETs (405, not stored).
    expect(edge(edgeRequest({ method: 'GET', query: 'challenge=abc' })).kind).toBe('method');
    expect(edge(edgeRequest({ method: 'GET', query: 'crc_token=abc' })).kind).toBe('method');
  });

  it('no settings: only the method check', () => {
    const edge = createEdge({});
    expect(edge(edgeRequest({ method: 'POST' }))).toEqual({ kind: 'pass' });
    expect(edge(edgeRequest({ method: 'GET' })).kind).toBe('method');
  });

  it('each is recognised when all are configured', () => {
    const edge = edgeWith(
      { name: 'slack' },
      { name: 'meta', secret: 'vt' },
      { name: 'zoom', secret: 'zs' },
      { name: 'graph' },
      { name: 'dropbox' },
      { name: 'x', secret: 'xs' },
    );
    const provider = (req: Parameters<typeof edge>[0]) => {
      const o = edge(req);
      return o.kind === 'handshake' ? o.provider : o.kind;
    };
    expect(provider(edgeRequest({ body: '{"type":"url_verification","challenge":"c"}' }))).toBe('slack');
    expect(
      provider(
        edgeRequest({ method: 'GET', query: 'hub.mode=subscribe&hub.verify_token=vt&hub.challenge=1' }),
      ),
    ).toBe('meta');
    expect(
      provider(edgeRequest({ body: '{"event":"endpoint.url_validation","payload":{"plainToken":"p"}}' })),
    ).toBe('zoom');
    expect(provider(edgeRequest({ query: 'validationToken=v' }))).toBe('graph');
    expect(provider(edgeRequest({ method: 'GET', query: 'challenge=c' }))).toBe('dropbox');
    expect(provider(edgeRequest({ method: 'GET', query: 'crc_token=t' }))).toBe('x');
    expect(provider(edgeRequest({ body: '{"type":"event_callback"}' }))).toBe('pass');
  });
});
