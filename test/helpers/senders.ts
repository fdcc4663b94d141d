/**
 * Webhooks signed the way each sender signs them, for the unit and e2e tests. Where the provider
 * publishes a library that signs (Standard Webhooks, Twilio) it signs; elsewhere the provider's
 * documented algorithm does, and the tests check the result with the provider's own verifier
 * (@sendgrid/eventwebhook, discord-interactions, @paddle/paddle-node-sdk, @linear/sdk) or against its
 * published test vector (Square, SendGrid).
 */
import { createHash, createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import twilio from 'twilio';

type Headers = Record<string, string>;
const hmac = (alg: string, key: string | Buffer, data: string | Buffer) => createHmac(alg, key).update(data);

/** Standard Webhooks, signed by its reference library; `prefix: 'svix'` for Svix's header names. */
export function standardWebhooksHeaders(
  secret: string,
  opts: { id: string; timestamp: number; body: string; prefix?: 'webhook' | 'svix'; extra?: string[] },
): Headers {
  const signature = new Webhook(secret).sign(opts.id, new Date(opts.timestamp * 1000), opts.body);
  const p = opts.prefix ?? 'webhook';
  return {
    [`${p}-id`]: opts.id,
    [`${p}-timestamp`]: String(opts.timestamp),
    [`${p}-signature`]: [...(opts.extra ?? []), signature].join(' '),
  };
}

/** Shopify docs, "Verify webhooks": base64 HMAC-SHA256 of the raw body with the client secret. */
export function shopifyHeaders(secret: string, body: string | Buffer): Headers {
  return { 'x-shopify-hmac-sha256': hmac('sha256', secret, body).digest('base64') };
}

/** Linear: hex HMAC-SHA256 of the raw body (the body carries webhookTimestamp). */
export function linearHeaders(secret: string, body: string | Buffer): Headers {
  return { 'linear-signature': hmac('sha256', secret, body).digest('hex') };
}

/** Paddle docs, "Verify webhook signatures": `ts=T;h1=hex HMAC-SHA256("T:" + body)`. */
export function paddleHeaders(secret: string, ts: number, body: string | Buffer): Headers {
  const h1 = hmac('sha256', secret, Buffer.concat([Buffer.from(`${ts}:`), Buffer.from(body)])).digest('hex');
  return { 'paddle-signature': `ts=${ts};h1=${h1}` };
}

/** Intercom: `sha1=` + hex HMAC-SHA1 of the raw body with the app's client secret. */
export function intercomHeaders(secret: string, body: string | Buffer): Headers {
  return { 'x-hub-signature': `sha1=${hmac('sha1', secret, body).digest('hex')}` };
}

export function gitlabHeaders(token: string): Headers {
  return { 'x-gitlab-token': token };
}

/** A SendGrid-style key pair: the public key as SendGrid shows it (base64 DER), and its signer. */
export function sendgridKeys() {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    headers(timestamp: number, body: string | Buffer): Headers {
      const data = Buffer.concat([Buffer.from(String(timestamp)), Buffer.from(body)]);
      return {
        'x-twilio-email-event-webhook-signature': sign('sha256', data, privateKey).toString('base64'),
        'x-twilio-email-event-webhook-timestamp': String(timestamp),
      };
    },
  };
}

/** A Discord application's key pair: the public key as hex, and Discord's Ed25519 signer. */
export function discordKeys() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' });
  return {
    publicKeyHex: Buffer.from(jwk.x!, 'base64url').toString('hex'),
    headers(timestamp: number, body: string | Buffer): Headers {
      const data = Buffer.concat([Buffer.from(String(timestamp)), Buffer.from(body)]);
      return {
        'x-signature-ed25519': sign(null, data, privateKey).toString('hex'),
        'x-signature-timestamp': String(timestamp),
      };
    },
  };
}

/** Twilio, signed by its own library over the URL (and the form parameters, when given). */
export function twilioHeaders(token: string, url: string, params: Record<string, string> = {}): Headers {
  return { 'x-twilio-signature': twilio.getExpectedTwilioSignature(token, url, params) };
}

/** Twilio's JSON variant: the URL carries bodySHA256, and the signature covers the URL alone. */
export function twilioJsonUrl(url: string, body: string): string {
  const hash = createHash('sha256').update(body).digest('hex');
  return `${url}${url.includes('?') ? '&' : '?'}bodySHA256=${hash}`;
}

/** Square docs, "Verify and Validate an Event Notification": base64 HMAC-SHA256(URL + body). */
export function squareHeaders(key: string, url: string, body: string | Buffer): Headers {
  return {
    'x-square-hmacsha256-signature': hmac(
      'sha256',
      key,
      Buffer.concat([Buffer.from(url), Buffer.from(body)]),
    ).digest('base64'),
  };
}

/** Square's published test vector (square/square-python-sdk tests/integration/test_webhooks_helper.py). */
export const SQUARE_VECTOR = {
  body: '{"merchant_id":"MLEFBHHSJGVHD","type":"webhooks.test_notification","event_id":"ac3ac95b-f97d-458c-a6e6-18981597e05f","created_at":"2022-07-13T20:30:59.037339943Z","data":{"type":"webhooks","id":"bc368e64-01aa-407e-b46e-3231809b1129"}}',
  signature: 'GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4=',
  key: 'Ibxx_5AKakO-3qeNVR61Dw',
  url: 'https://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b9',
};

/**
 * SendGrid's published test vector (sendgrid/sendgrid-nodejs, packages/eventwebhook
 * src/eventwebhook.spec.js, shipped in @sendgrid/eventwebhook).
 */
export const SENDGRID_VECTOR = {
  publicKey:
    'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g==',
  signature:
    'MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM=',
  timestamp: '1600112502',
  body:
    JSON.stringify([
      {
        email: 'hello@world.com',
        event: 'dropped',
        reason: 'Bounced Address',
        sg_event_id: 'ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA',
        sg_message_id: 'LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0',
        'smtp-id': '<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>',
        timestamp: 1600112492,
      },
    ]) + '\r\n',
};
