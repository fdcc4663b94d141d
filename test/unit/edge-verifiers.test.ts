import { sign as githubSign, verify as githubVerify } from '@octokit/webhooks-methods';
import { createHmac, randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { createEdge, type EdgeOutcome } from '../../src/handlers/edge/index.js';
import type { VerifySpec } from '../../src/handlers/edge/types.js';
import { edgeRequest, slackSignature, zoomSignature } from '../helpers/edge.js';

const stripe = new Stripe('sk_test_not_used_offline');
const NOW = 1_780_000_000_000; // a fixed "now" in ms: tolerances are tested against this clock

function edgeWith(verify: VerifySpec[], now = NOW) {
  return createEdge({ verify }, () => now)!;
}

function refusedReasons(o: EdgeOutcome): string[] {
  if (o.kind !== 'refused') throw new Error(`expected refused, got ${o.kind}`);
  expect(o.response.statusCode).toBe(401);
  return o.failures.map((f) => `${f.verifier}: ${f.reason}`);
}

describe('github (x-hub-signature-256), signed by @octokit/webhooks-methods', () => {
  const secret = "It's a Secret to Everybody";
  const edge = edgeWith([{ name: 'github', secret }]);
  const body = '{"action":"opened","number":1,"zen":"Keep it logically awesome. ✓"}';

  it('accepts the genuine signature', async () => {
    const sig = await githubSign(secret, body);
    expect(edge(edgeRequest({ headers: { 'x-hub-signature-256': sig }, body }))).toEqual({
      kind: 'pass',
      verifiedBy: 'github',
    });
  });

  it('refuses a wrong secret, a changed body, a truncated or absent signature', async () => {
    const other = await githubSign('another secret', body);
    const sig = await githubSign(secret, body);
    expect(await githubVerify(secret, body, other)).toBe(false); // the library agrees it is forged
    expect(refusedReasons(edge(edgeRequest({ headers: { 'x-hub-signature-256': other }, body })))).toEqual([
      'github: signature mismatch',
    ]);
    expect(edge(edgeRequest({ headers: { 'x-hub-signature-256': sig }, body: body + ' ' })).kind).toBe(
      'refused',
    );
    expect(edge(edgeRequest({ headers: { 'x-hub-signature-256': sig.slice(0, -2) }, body })).kind).toBe(
      'refused',
    );
    expect(refusedReasons(edge(edgeRequest({ body })))[0]).toMatch(
      /no signature header.*x-hub-signature-256/,
    );
  });
});

describe('stripe (stripe-signature), signed by stripe.webhooks.generateTestHeaderString', () => {
  const secret = 'whsec_test_' + randomBytes(16).toString('hex');
  const body = JSON.stringify({
    id: 'evt_1',
    object: 'event',
    type: 'charge.succeeded',
    data: { object: {} },
  });
  const header = (timestamp: number, opts: { secret?: string; payload?: string } = {}) =>
    stripe.webhooks.generateTestHeaderString({
      payload: opts.payload ?? body,
      secret: opts.secret ?? secret,
      timestamp,
    });
  const nowS = NOW / 1000;
  /** What Stripe's own library decides for the same request, at the same clock. */
  const stripeSays = (h: string, payload = body) => {
    try {
      return stripe.webhooks.signature!.verifyHeader(payload, h, secret, 300, undefined, NOW);
    } catch {
      return false;
    }
  };

  const cases: [string, string, string, boolean][] = [
    ['genuine, just sent', header(nowS), body, true],
    ['genuine, 299 s old', header(nowS - 299), body, true],
    ['genuine, 300 s old (the edge of the tolerance)', header(nowS - 300), body, true],
    ['replayed, 301 s old', header(nowS - 301), body, false],
    ['replayed, one day old', header(nowS - 86_400), body, false],
    ['timestamp in the future (Stripe allows clock skew that way)', header(nowS + 600), body, true],
    ['signed with another secret', header(nowS, { secret: 'whsec_other' }), body, false],
    ['body changed after signing', header(nowS), body.replace('succeeded', 'refunded'), false],
    ['timestamp changed after signing', header(nowS - 1000).replace(/t=\d+/, `t=${nowS}`), body, false],
    ['several v1 while a secret rolls, one genuine', `${header(nowS)},v1=${'0'.repeat(64)}`, body, true],
    [
      'v0 only',
      `t=${nowS},v0=${createHmac('sha256', secret).update(`${nowS}.${body}`).digest('hex')}`,
      body,
      false,
    ],
    ['no timestamp', header(nowS).replace(/t=\d+,/, ''), body, false],
  ];

  it.each(cases)('%s', (_name, h, payload, expected) => {
    const edge = edgeWith([{ name: 'stripe', secret }]);
    const outcome = edge(edgeRequest({ headers: { 'stripe-signature': h }, body: payload }));
    expect(outcome.kind).toBe(expected ? 'pass' : 'refused');
    expect(stripeSays(h, payload)).toBe(expected); // the same verdict as Stripe's library
  });

  it('says which check failed', () => {
    const edge = edgeWith([{ name: 'stripe', secret }]);
    const old = edge(edgeRequest({ headers: { 'stripe-signature': header(nowS - 301) }, body }));
    expect(refusedReasons(old)).toEqual(['stripe: timestamp older than 300 s']);
  });
});

describe('slack (x-slack-signature, x-slack-request-timestamp), signed by the documented algorithm', () => {
  const secret = '8f742231b10e8888abcd99yyyzzz85a5';
  const edge = edgeWith([{ name: 'slack', secret }]);
  const body = 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&command=%2Fweather&text=94070';
  const nowS = NOW / 1000;

  it('accepts a genuine request within five minutes either way', () => {
    for (const ts of [nowS, nowS - 300, nowS + 300]) {
      expect(edge(edgeRequest({ headers: slackSignature(secret, ts, body), body })).kind).toBe('pass');
    }
  });

  it('refuses a timestamp over five minutes away, a forged signature, a missing timestamp', () => {
    expect(
      refusedReasons(edge(edgeRequest({ headers: slackSignature(secret, nowS - 301, body), body }))),
    ).toEqual(['slack: timestamp more than 300 s from now']);
    expect(edge(edgeRequest({ headers: slackSignature(secret, nowS + 301, body), body })).kind).toBe(
      'refused',
    );
    expect(edge(edgeRequest({ headers: slackSignature('wrong', nowS, body), body })).kind).toBe('refused');
    const { 'x-slack-signature': sig } = slackSignature(secret, nowS, body);
    expect(refusedReasons(edge(edgeRequest({ headers: { 'x-slack-signature': sig! }, body })))).toEqual([
      'slack: no x-slack-request-timestamp',
    ]);
  });

  it('a timestamp moved forward invalidates the signature', () => {
    const headers = slackSignature(secret, nowS - 1000, body);
    headers['x-slack-request-timestamp'] = String(nowS);
    expect(refusedReasons(edge(edgeRequest({ headers, body })))).toEqual(['slack: signature mismatch']);
  });
});

describe('zoom (x-zm-signature, x-zm-request-timestamp), signed as Zoom documents it', () => {
  const secret = 'zoom-secret-token-0a1b';
  const edge = edgeWith([{ name: 'zoom', secret }]);
  const body =
    '{"event":"meeting.started","payload":{"account_id":"AAA","object":{"id":"85012345678"}},"event_ts":1764000000000}';
  const nowS = NOW / 1000;

  it('accepts a genuine event within five minutes either way', () => {
    for (const ts of [nowS, nowS - 300, nowS + 300]) {
      expect(edge(edgeRequest({ headers: zoomSignature(secret, ts, body), body }))).toMatchObject({
        kind: 'pass',
        verifiedBy: 'zoom',
      });
    }
  });

  it('refuses an old timestamp, a forged signature, a Slack-named header, a missing timestamp', () => {
    expect(
      refusedReasons(edge(edgeRequest({ headers: zoomSignature(secret, nowS - 301, body), body }))),
    ).toEqual(['zoom: timestamp more than 300 s from now']);
    expect(refusedReasons(edge(edgeRequest({ headers: zoomSignature('wrong', nowS, body), body })))).toEqual([
      'zoom: signature mismatch',
    ]);
    // The same bytes under Slack's header names are not a Zoom signature.
    expect(edge(edgeRequest({ headers: slackSignature(secret, nowS, body), body })).kind).toBe('refused');
    const { 'x-zm-signature': sig } = zoomSignature(secret, nowS, body);
    expect(refusedReasons(edge(edgeRequest({ headers: { 'x-zm-signature': sig! }, body })))).toEqual([
      'zoom: no x-zm-request-timestamp',
    ]);
  });
});

describe('hmac-sha256=SECRET:HEADER', () => {
  const secret = 'app:secret:with:colons';
  const body = randomBytes(300); // not text: the raw bytes are what is signed
  const mac = createHmac('sha256', secret).update(body).digest();
  const edge = edgeWith([{ name: 'hmac-sha256', secret, header: 'x-dropbox-signature' }]);
  const send = (value: string) => edge(edgeRequest({ headers: { 'x-dropbox-signature': value }, body }));

  it('accepts hex, sha256=hex, base64 and base64url encodings of the digest', () => {
    for (const v of [
      mac.toString('hex'),
      mac.toString('hex').toUpperCase(),
      `sha256=${mac.toString('hex')}`,
      mac.toString('base64'),
      `sha256=${mac.toString('base64')}`,
      mac.toString('base64url'),
    ]) {
      expect(send(v)).toEqual({ kind: 'pass', verifiedBy: 'hmac-sha256:x-dropbox-signature' });
    }
  });

  it('refuses other digests and values that are not digests', () => {
    const other = createHmac('sha256', 'other').update(body).digest();
    expect(refusedReasons(send(other.toString('hex')))).toEqual([
      'hmac-sha256:x-dropbox-signature: signature mismatch',
    ]);
    expect(refusedReasons(send('abc'))).toEqual([
      'hmac-sha256:x-dropbox-signature: not a hex or base64 SHA-256 digest',
    ]);
    expect(edge(edgeRequest({ headers: { 'x-other': mac.toString('hex') }, body })).kind).toBe('refused');
  });
});

describe('several verifiers', () => {
  const nowS = NOW / 1000;
  const edge = edgeWith([
    { name: 'github', secret: 'gh-secret' },
    // Meta signs like GitHub, in the same header, with the app secret: both configured on one proxy.
    { name: 'hmac-sha256', secret: 'meta-app-secret', header: 'x-hub-signature-256' },
    { name: 'slack', secret: 'slack-secret' },
  ]);

  it('passes when the verifier whose header is present accepts it', async () => {
    const body = '{"object":"page","entry":[]}';
    const gh = await githubSign('gh-secret', body);
    const meta = await githubSign('meta-app-secret', body);
    expect(edge(edgeRequest({ headers: { 'x-hub-signature-256': gh }, body }))).toMatchObject({
      verifiedBy: 'github',
    });
    expect(edge(edgeRequest({ headers: { 'x-hub-signature-256': meta }, body }))).toMatchObject({
      verifiedBy: 'hmac-sha256:x-hub-signature-256',
    });
    expect(edge(edgeRequest({ headers: slackSignature('slack-secret', nowS, body), body }))).toMatchObject({
      verifiedBy: 'slack',
    });
  });

  it('refuses when every present signature fails, listing each, and when none is present', async () => {
    const body = '{}';
    const forged = await githubSign('guess', body);
    expect(refusedReasons(edge(edgeRequest({ headers: { 'x-hub-signature-256': forged }, body })))).toEqual([
      'github: signature mismatch',
      'hmac-sha256:x-hub-signature-256: signature mismatch',
    ]);
    expect(refusedReasons(edge(edgeRequest({ body })))).toEqual([
      'none: no signature header (expected one of: x-hub-signature-256, x-slack-signature)',
    ]);
  });

  it('two secrets of one provider (rotation): either passes', async () => {
    const rotating = edgeWith([
      { name: 'github', secret: 'old' },
      { name: 'github', secret: 'new' },
    ]);
    for (const s of ['old', 'new']) {
      const sig = await githubSign(s, 'x');
      expect(rotating(edgeRequest({ headers: { 'x-hub-signature-256': sig }, body: 'x' })).kind).toBe('pass');
    }
  });

  it('handshakes are answered before any verification', () => {
    const both = createEdge({
      handshakes: [{ name: 'dropbox' }],
      verify: [{ name: 'github', secret: 's' }],
    })!;
    expect(both(edgeRequest({ method: 'GET', query: 'challenge=abc' })).kind).toBe('handshake');
    expect(both(edgeRequest({ method: 'GET', query: 'other=abc' })).kind).toBe('method');
    expect(both(edgeRequest({ method: 'POST', query: 'other=abc' })).kind).toBe('refused');
  });

  it('the 401 body names neither the verifiers nor any secret', () => {
    const o = edge(edgeRequest({ body: '{}' }));
    expect(o.kind === 'refused' && o.response.body).toBe(
      JSON.stringify({
        error: 'unauthorized',
        message: "The webhook's signature is missing or invalid. It was not stored.",
      }),
    );
  });
});
