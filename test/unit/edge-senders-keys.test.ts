/**
 * The public-key verifiers: SendGrid (ECDSA P-256, checked against its published test vector and its
 * own @sendgrid/eventwebhook) and Discord (Ed25519, checked with discord-interactions' verifyKey), and
 * Discord's Webhook Events PING, answered 204 only when signed.
 */
import { EventWebhook } from '@sendgrid/eventwebhook';
import { verifyKey } from 'discord-interactions';
import { describe, expect, it } from 'vitest';
import { createEdge, edgeLogFields, type EdgeOutcome } from '../../src/handlers/edge/index.js';
import type { VerifySpec } from '../../src/handlers/edge/types.js';
import { edgeRequest } from '../helpers/edge.js';
import { discordKeys, SENDGRID_VECTOR, sendgridKeys } from '../helpers/senders.js';

const nowMs = Date.UTC(2026, 10, 25, 9, 0, 0);
const nowS = nowMs / 1000;

function reasons(o: EdgeOutcome): string[] {
  if (o.kind !== 'refused') throw new Error(`expected refused, got ${o.kind}`);
  expect(o.response.statusCode).toBe(401);
  return o.failures.map((f) => f.reason);
}

const sendgridSays = (publicKey: string, body: string, signature: string, timestamp: string) => {
  const ew = new EventWebhook();
  return ew.verifySignature(ew.convertPublicKeyToECDSA(publicKey), body, signature, timestamp);
};

describe('sendgrid (X-Twilio-Email-Event-Webhook-Signature)', () => {
  it("accepts SendGrid's own test vector at its time, and refuses it once it is stale", () => {
    const v = SENDGRID_VECTOR;
    const headers = {
      'x-twilio-email-event-webhook-signature': v.signature,
      'x-twilio-email-event-webhook-timestamp': v.timestamp,
    };
    const spec: VerifySpec = { name: 'sendgrid', secret: v.publicKey };
    const at = (ms: number) =>
      createEdge({ verify: [spec] }, () => ms)(edgeRequest({ headers, body: v.body }));
    expect(sendgridSays(v.publicKey, v.body, v.signature, v.timestamp)).toBe(true);
    expect(at(Number(v.timestamp) * 1000 + 10_000)).toEqual({ kind: 'pass', verifiedBy: 'sendgrid' });
    expect(reasons(at(Number(v.timestamp) * 1000 + 301_000))).toEqual(['timestamp more than 300 s from now']);
    // The vector's body without its trailing CRLF: SendGrid's library and the proxy both refuse it.
    expect(sendgridSays(v.publicKey, v.body.trimEnd(), v.signature, v.timestamp)).toBe(false);
    expect(
      reasons(
        createEdge(
          { verify: [spec] },
          () => Number(v.timestamp) * 1000,
        )(edgeRequest({ headers, body: v.body.trimEnd() })),
      ),
    ).toEqual(['signature mismatch']);
  });

  const keys = sendgridKeys();
  const edge = createEdge({ verify: [{ name: 'sendgrid', secret: keys.publicKey }] }, () => nowMs);
  const body =
    '[{"email":"a@example.com","event":"delivered","sg_event_id":"e1","timestamp":1764061200}]\r\n';

  it('accepts a webhook signed with the key pair, as @sendgrid/eventwebhook does', () => {
    const headers = keys.headers(nowS, body);
    expect(
      sendgridSays(keys.publicKey, body, headers['x-twilio-email-event-webhook-signature']!, String(nowS)),
    ).toBe(true);
    expect(edge(edgeRequest({ headers, body })).kind).toBe('pass');
  });

  it('refuses a forged body, another key, a stale timestamp, a missing timestamp and a missing signature', () => {
    const headers = keys.headers(nowS, body);
    expect(reasons(edge(edgeRequest({ headers, body: body.replace('delivered', 'open') })))).toEqual([
      'signature mismatch',
    ]);
    expect(reasons(edge(edgeRequest({ headers: sendgridKeys().headers(nowS, body), body })))).toEqual([
      'signature mismatch',
    ]);
    expect(reasons(edge(edgeRequest({ headers: keys.headers(nowS - 600, body), body })))).toEqual([
      'timestamp more than 300 s from now',
    ]);
    const { 'x-twilio-email-event-webhook-timestamp': _ts, ...noTimestamp } = headers;
    expect(reasons(edge(edgeRequest({ headers: noTimestamp, body })))).toEqual([
      'no x-twilio-email-event-webhook-timestamp',
    ]);
    expect(edge(edgeRequest({ body })).kind).toBe('refused');
  });
});

describe('discord (X-Signature-Ed25519), checked by discord-interactions', () => {
  const keys = discordKeys();
  const edge = createEdge({ verify: [{ name: 'discord', secret: keys.publicKeyHex }] }, () => nowMs);
  const body =
    '{"version":1,"application_id":"1234","type":1,"event":{"type":"APPLICATION_AUTHORIZED","data":{}}}';

  it('accepts a genuine event, as verifyKey does', async () => {
    const headers = keys.headers(nowS, body);
    expect(await verifyKey(body, headers['x-signature-ed25519']!, String(nowS), keys.publicKeyHex)).toBe(
      true,
    );
    expect(edge(edgeRequest({ headers, body }))).toEqual({ kind: 'pass', verifiedBy: 'discord' });
  });

  it('refuses a forged body, another key, a stale timestamp and a missing header', async () => {
    const headers = keys.headers(nowS, body);
    expect(
      await verifyKey(`${body} `, headers['x-signature-ed25519']!, String(nowS), keys.publicKeyHex),
    ).toBe(false);
    expect(reasons(edge(edgeRequest({ headers, body: `${body} ` })))).toEqual(['signature mismatch']);
    expect(reasons(edge(edgeRequest({ headers: discordKeys().headers(nowS, body), body })))).toEqual([
      'signature mismatch',
    ]);
    expect(reasons(edge(edgeRequest({ headers: keys.headers(nowS - 301, body), body })))).toEqual([
      'timestamp more than 300 s from now',
    ]);
    expect(edge(edgeRequest({ body })).kind).toBe('refused');
  });
});

describe('--handshake discord: the Webhook Events PING', () => {
  const keys = discordKeys();
  const edge = createEdge({ handshakes: [{ name: 'discord', secret: keys.publicKeyHex }] }, () => nowMs);
  const ping = '{"version":1,"application_id":"1234567890","type":0}';

  it('answers a signed PING 204 with no body, at once, and never queues it', () => {
    const o = edge(edgeRequest({ headers: keys.headers(nowS, ping), body: ping }));
    expect(o.kind).toBe('handshake');
    if (o.kind !== 'handshake') return;
    expect(o.response).toEqual({ statusCode: 204, headers: {}, body: '' });
    expect(edgeLogFields(o)).toMatchObject({ provider: 'discord', status: 204, level: 'info' });
  });

  it('refuses an unsigned or wrongly signed PING 401 (Discord checks this when the URL is saved)', () => {
    for (const headers of [{}, discordKeys().headers(nowS, ping), keys.headers(nowS - 3600, ping)]) {
      const o = edge(edgeRequest({ headers, body: ping }));
      expect(o.kind).toBe('handshake');
      if (o.kind === 'handshake') expect(o.response.statusCode).toBe(401);
    }
  });

  it('leaves events and the Interactions PING (type 1) to the rest of the edge', () => {
    const event = '{"version":1,"application_id":"1","type":1,"event":{"type":"ENTITLEMENT_CREATE"}}';
    expect(edge(edgeRequest({ headers: keys.headers(nowS, event), body: event })).kind).toBe('pass');
    const interaction = '{"type":1,"id":"1","token":"t","application_id":"1","version":1}';
    expect(edge(edgeRequest({ body: interaction })).kind).toBe('pass');
  });
});
