/**
 * The shared-secret verifiers: Standard Webhooks (and Svix), Shopify, Linear, Paddle, Intercom and
 * GitLab. For each: a genuine webhook passes (and the provider's own library agrees it is genuine, where
 * there is one), and a forged body, a wrong secret, a stale timestamp (where the scheme has one) and a
 * missing header are refused 401.
 */
import { LinearWebhookClient } from '@linear/sdk/webhooks';
import { Paddle } from '@paddle/paddle-node-sdk';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { createEdge, type EdgeOutcome } from '../../src/handlers/edge/index.js';
import type { VerifySpec } from '../../src/handlers/edge/types.js';
import { edgeRequest } from '../helpers/edge.js';
import {
  gitlabHeaders,
  intercomHeaders,
  linearHeaders,
  paddleHeaders,
  shopifyHeaders,
  standardWebhooksHeaders,
} from '../helpers/senders.js';

// Real time: the Paddle and Linear SDKs check against Date.now(), and so do these edges.
const nowMs = Date.now();
const nowS = Math.floor(nowMs / 1000);

function edgeWith(spec: VerifySpec) {
  return createEdge({ verify: [spec] }, () => nowMs);
}

function reasons(o: EdgeOutcome): string[] {
  if (o.kind !== 'refused') throw new Error(`expected refused, got ${o.kind}`);
  expect(o.response.statusCode).toBe(401);
  return o.failures.map((f) => f.reason);
}

describe('standard-webhooks (webhook-* and svix-* headers), signed by the standardwebhooks library', () => {
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const edge = edgeWith({ name: 'standard-webhooks', secret });
  const body = '{"type":"user.created","data":{"id":"user_29w83sxmDNGwOuEthce5gg56FcC"}}';
  const id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
  const signed = (over: Partial<Parameters<typeof standardWebhooksHeaders>[1]> = {}, s = secret) =>
    standardWebhooksHeaders(s, { id, timestamp: nowS, body, ...over });

  it('accepts a genuine webhook, under either prefix, with several signatures in the header', () => {
    const headers = signed();
    expect(new Webhook(secret).verify(body, headers)).toBeTruthy(); // the reference library agrees
    expect(edge(edgeRequest({ headers, body }))).toEqual({ kind: 'pass', verifiedBy: 'standard-webhooks' });
    expect(edge(edgeRequest({ headers: signed({ prefix: 'svix' }), body })).kind).toBe('pass');
    const rotating = signed({ extra: ['v1,bm90IHRoZSBzaWduYXR1cmUgYXQgYWxsIGluZGVlZA==', 'v1a,ed25519sig'] });
    expect(edge(edgeRequest({ headers: rotating, body })).kind).toBe('pass');
  });

  it('refuses a forged body, a wrong secret, a stale or future timestamp and missing headers', () => {
    expect(reasons(edge(edgeRequest({ headers: signed(), body: body.replace('user_', 'admin_') })))).toEqual([
      'signature mismatch',
    ]);
    expect(
      reasons(
        edge(edgeRequest({ headers: signed({}, `whsec_${randomBytes(24).toString('base64')}`), body })),
      ),
    ).toEqual(['signature mismatch']);
    const stale = signed({ timestamp: nowS - 301 });
    expect(() => new Webhook(secret).verify(body, stale)).toThrow(/too old/); // so does the library
    expect(reasons(edge(edgeRequest({ headers: stale, body })))).toEqual([
      'timestamp more than 300 s from now',
    ]);
    expect(reasons(edge(edgeRequest({ headers: signed({ timestamp: nowS + 301 }), body })))).toEqual([
      'timestamp more than 300 s from now',
    ]);
    const { 'webhook-id': _id, ...noId } = signed();
    expect(reasons(edge(edgeRequest({ headers: noId, body })))).toEqual(['no webhook-id']);
    expect(reasons(edge(edgeRequest({ body }))).join()).toMatch(
      /no signature header.*webhook-signature or svix-signature/,
    );
  });
});

describe('shopify (X-Shopify-Hmac-Sha256), as Shopify documents it', () => {
  const secret = 'shpss_' + randomBytes(16).toString('hex');
  const edge = edgeWith({ name: 'shopify', secret });
  const body = '{"id":820982911946154508,"email":"jon@example.com","note":"ünïcode ✓"}';

  it('accepts a genuine webhook and refuses a forged body, a wrong secret and a missing header', () => {
    expect(edge(edgeRequest({ headers: shopifyHeaders(secret, body), body })).kind).toBe('pass');
    expect(reasons(edge(edgeRequest({ headers: shopifyHeaders(secret, body), body: `${body} ` })))).toEqual([
      'signature mismatch',
    ]);
    expect(reasons(edge(edgeRequest({ headers: shopifyHeaders('shpss_guess', body), body })))).toEqual([
      'signature mismatch',
    ]);
    expect(reasons(edge(edgeRequest({ headers: { 'x-shopify-hmac-sha256': 'not base64!' }, body })))).toEqual(
      ['signature is not base64'],
    );
    expect(edge(edgeRequest({ body })).kind).toBe('refused');
  });
});

describe('linear (Linear-Signature, webhookTimestamp in the body), checked by @linear/sdk', () => {
  const secret = 'lin_wh_' + randomBytes(16).toString('hex');
  const edge = edgeWith({ name: 'linear', secret });
  const linear = new LinearWebhookClient(secret);
  const bodyAt = (ms: number) =>
    JSON.stringify({ action: 'create', type: 'Issue', data: { id: 'i1' }, webhookTimestamp: ms });

  it('accepts a genuine webhook, as the SDK does', () => {
    const body = bodyAt(nowMs - 1000);
    const headers = linearHeaders(secret, body);
    expect(linear.verify(Buffer.from(body), headers['linear-signature']!)).toBe(true);
    expect(edge(edgeRequest({ headers, body }))).toEqual({ kind: 'pass', verifiedBy: 'linear' });
  });

  it('refuses a forged body, a wrong secret, a stale body timestamp and a missing header', () => {
    const body = bodyAt(nowMs);
    expect(
      reasons(edge(edgeRequest({ headers: linearHeaders(secret, body), body: bodyAt(nowMs + 1) }))),
    ).toEqual(['signature mismatch']);
    expect(reasons(edge(edgeRequest({ headers: linearHeaders('guess', body), body })))).toEqual([
      'signature mismatch',
    ]);
    const stale = bodyAt(nowMs - 61_000);
    expect(() =>
      linear.verify(Buffer.from(stale), linearHeaders(secret, stale)['linear-signature']!),
    ).toThrow(/timestamp/);
    expect(reasons(edge(edgeRequest({ headers: linearHeaders(secret, stale), body: stale })))).toEqual([
      'webhookTimestamp more than 60 s from now',
    ]);
    const untimed = '{"action":"create"}';
    expect(reasons(edge(edgeRequest({ headers: linearHeaders(secret, untimed), body: untimed })))).toEqual([
      'no webhookTimestamp in the body',
    ]);
    expect(edge(edgeRequest({ body })).kind).toBe('refused');
  });
});

describe('paddle (Paddle-Signature ts=…;h1=…), checked by @paddle/paddle-node-sdk', () => {
  const secret = 'pdl_ntfset_01gkpjp8bkm3tm53kdgkx6sms7_' + randomBytes(12).toString('hex');
  const edge = edgeWith({ name: 'paddle', secret });
  const paddle = new Paddle('pdl_sdbx_apikey_not_used_offline');
  const body = '{"event_id":"evt_01h8","event_type":"transaction.completed","data":{"id":"txn_1"}}';

  it('accepts a genuine webhook (also with a second h1 while the key rotates), as the SDK does', async () => {
    const headers = paddleHeaders(secret, nowS, body);
    expect(await paddle.webhooks.isSignatureValid(body, secret, headers['paddle-signature']!)).toBe(true);
    expect(edge(edgeRequest({ headers, body })).kind).toBe('pass');
    const rotating = { 'paddle-signature': `${headers['paddle-signature']};h1=${'0'.repeat(64)}` };
    expect(edge(edgeRequest({ headers: rotating, body })).kind).toBe('pass');
  });

  it('refuses a forged body, a wrong secret, a ts older than 5 s and a missing header', async () => {
    expect(
      reasons(edge(edgeRequest({ headers: paddleHeaders(secret, nowS, body), body: `${body}\n` }))),
    ).toEqual(['signature mismatch']);
    expect(reasons(edge(edgeRequest({ headers: paddleHeaders('pdl_guess', nowS, body), body })))).toEqual([
      'signature mismatch',
    ]);
    const stale = paddleHeaders(secret, nowS - 6, body);
    expect(await paddle.webhooks.isSignatureValid(body, secret, stale['paddle-signature']!)).toBe(false);
    expect(reasons(edge(edgeRequest({ headers: stale, body })))).toEqual(['ts older than 5 s']);
    expect(reasons(edge(edgeRequest({ headers: { 'paddle-signature': 'h1=abc' }, body })))).toEqual([
      'no ts',
    ]);
    expect(edge(edgeRequest({ body })).kind).toBe('refused');
  });
});

describe('intercom (X-Hub-Signature sha1=…), as Intercom documents it', () => {
  const secret = 'intercom-client-secret-' + randomBytes(8).toString('hex');
  const edge = edgeWith({ name: 'intercom', secret });
  const body = '{"type":"notification_event","topic":"conversation.user.created","data":{}}';

  it('accepts a genuine webhook and refuses a forged body, a wrong secret and a missing header', () => {
    expect(edge(edgeRequest({ headers: intercomHeaders(secret, body), body })).kind).toBe('pass');
    expect(edge(edgeRequest({ headers: intercomHeaders(secret, body), body: body.toUpperCase() })).kind).toBe(
      'refused',
    );
    expect(reasons(edge(edgeRequest({ headers: intercomHeaders('guess', body), body })))).toEqual([
      'signature mismatch',
    ]);
    expect(edge(edgeRequest({ body })).kind).toBe('refused');
  });
});

describe('gitlab (X-Gitlab-Token)', () => {
  const token = 'glwht-' + randomBytes(12).toString('hex');
  const edge = edgeWith({ name: 'gitlab', secret: token });

  it('accepts the configured token and refuses another, an empty one and none', () => {
    const body = '{"object_kind":"push"}';
    expect(edge(edgeRequest({ headers: gitlabHeaders(token), body })).kind).toBe('pass');
    expect(reasons(edge(edgeRequest({ headers: gitlabHeaders(`${token}x`), body })))).toEqual([
      'token mismatch',
    ]);
    expect(reasons(edge(edgeRequest({ headers: gitlabHeaders(''), body })))).toEqual(['token mismatch']);
    expect(edge(edgeRequest({ body })).kind).toBe('refused');
  });
});
