/**
 * The new senders through the built `webhook-proxy dev`, with every secret given as env: or file:.
 * For each scheme: a genuine webhook is accepted, delivered byte for byte and still verifies at the
 * upstream with the provider's own library; a forged body, a wrong secret, a stale timestamp (where the
 * scheme has one) and a missing header are each refused 401, and none of them ever reaches the upstream.
 */
import { LinearWebhookClient } from '@linear/sdk/webhooks';
import { EventWebhook } from '@sendgrid/eventwebhook';
import { verifyKey } from 'discord-interactions';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  discordKeys,
  gitlabHeaders,
  intercomHeaders,
  linearHeaders,
  paddleHeaders,
  sendgridKeys,
  shopifyHeaders,
  squareHeaders,
  standardWebhooksHeaders,
  twilioHeaders,
} from '../helpers/senders.js';
import { sha256, startUpstream, type Received } from '../helpers/upstream.js';
import { post, startDev, type DevEvent, type DevProcess } from './dev-harness.js';

const hex = (n: number) => randomBytes(n).toString('hex');
const sendgrid = sendgridKeys();
const discord = discordKeys();
const SECRETS = {
  standardWebhooks: `whsec_${randomBytes(24).toString('base64')}`,
  shopify: `shpss_${hex(16)}`,
  linear: `lin_wh_${hex(16)}`,
  paddle: `pdl_ntfset_01h_${hex(12)}`,
  intercom: `ic_${hex(16)}`,
  gitlab: `glwht_${hex(12)}`,
  twilio: hex(16),
  square: `sq_${hex(11)}`,
};

let dir: string;
let upstream: Awaited<ReturnType<typeof startUpstream>>;
let dev: DevProcess;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wp-senders-'));
  const file = (name: string, value: string) => {
    const path = join(dir, name);
    writeFileSync(path, `${value}\n`, { mode: 0o600 }); // as `echo "$SECRET" > file` writes it
    return path;
  };
  upstream = await startUpstream((_r, res) => res.end('ok'));
  dev = await startDev(
    [
      '--upstream',
      upstream.url,
      '--preserve-path',
      '--verify',
      'sendgrid=env:SENDGRID_KEY',
      '--verify',
      `standard-webhooks=file:${file('sw', SECRETS.standardWebhooks)}`,
      '--verify',
      'shopify=env:SHOPIFY_SECRET',
      '--verify',
      `linear=file:${file('linear', SECRETS.linear)}`,
      '--verify',
      'paddle=env:PADDLE_SECRET',
      '--verify',
      `intercom=file:${file('intercom', SECRETS.intercom)}`,
      '--verify',
      'gitlab=env:GITLAB_TOKEN',
      '--verify',
      `discord=file:${file('discord', discord.publicKeyHex)}`,
      '--handshake',
      'discord=env:DISCORD_KEY',
      '--verify',
      'twilio=env:TWILIO_AUTH_TOKEN',
      '--verify',
      `square=file:${file('square', SECRETS.square)}`,
    ],
    {
      SENDGRID_KEY: sendgrid.publicKey,
      SHOPIFY_SECRET: SECRETS.shopify,
      PADDLE_SECRET: SECRETS.paddle,
      GITLAB_TOKEN: SECRETS.gitlab,
      DISCORD_KEY: discord.publicKeyHex,
      TWILIO_AUTH_TOKEN: SECRETS.twilio,
    },
  );
});

afterAll(async () => {
  await dev?.stop();
  await upstream?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Case {
  name: string;
  path: string;
  body: string;
  contentType: string;
  /** Genuine headers, signed now. */
  genuine: () => Record<string, string>;
  /** Signed with another secret or key. */
  wrongSecret: () => Record<string, string>;
  /** Genuine but with a timestamp outside the scheme's window. */
  stale?: () => Record<string, string>;
  /** The application's own check of what it received, with the provider's library. */
  upstreamVerifies?: (r: Received) => Promise<boolean> | boolean;
}

const nowS = () => Math.floor(Date.now() / 1000);
const publicUrl = (path: string) => `${dev.url}${path}`;
const twilioParams = { AccountSid: 'AC1', From: '+15005550006', Body: 'Hi & bye ✓ 100%' };

const cases: Case[] = [
  {
    name: 'sendgrid',
    path: '/sendgrid/events',
    body: '[{"email":"a@example.com","event":"delivered","sg_event_id":"e1","timestamp":1764061200}]\r\n',
    contentType: 'application/json',
    genuine: () => sendgrid.headers(nowS(), cases[0]!.body),
    wrongSecret: () => sendgridKeys().headers(nowS(), cases[0]!.body),
    stale: () => sendgrid.headers(nowS() - 600, cases[0]!.body),
    upstreamVerifies: (r) => {
      const ew = new EventWebhook();
      const h = r.headers as Record<string, string>;
      return ew.verifySignature(
        ew.convertPublicKeyToECDSA(sendgrid.publicKey),
        r.body,
        h['x-twilio-email-event-webhook-signature']!,
        h['x-twilio-email-event-webhook-timestamp']!,
      );
    },
  },
  {
    name: 'standard-webhooks',
    path: '/clerk',
    body: '{"type":"user.created","data":{"id":"user_1","name":"Zoë"}}',
    contentType: 'application/json',
    genuine: () =>
      standardWebhooksHeaders(SECRETS.standardWebhooks, {
        id: 'msg_1',
        timestamp: nowS(),
        body: cases[1]!.body,
      }),
    wrongSecret: () =>
      standardWebhooksHeaders(`whsec_${randomBytes(24).toString('base64')}`, {
        id: 'msg_1',
        timestamp: nowS(),
        body: cases[1]!.body,
      }),
    stale: () =>
      standardWebhooksHeaders(SECRETS.standardWebhooks, {
        id: 'msg_1',
        timestamp: nowS() - 600,
        body: cases[1]!.body,
      }),
    upstreamVerifies: (r) => {
      try {
        new Webhook(SECRETS.standardWebhooks).verify(
          r.body.toString('utf8'),
          r.headers as Record<string, string>,
        );
        return true;
      } catch {
        return false;
      }
    },
  },
  {
    name: 'shopify',
    path: '/shopify/orders',
    body: '{"id":820982911946154508,"note":"ünïcode ✓"}',
    contentType: 'application/json',
    genuine: () => shopifyHeaders(SECRETS.shopify, cases[2]!.body),
    wrongSecret: () => shopifyHeaders('shpss_guess', cases[2]!.body),
  },
  {
    name: 'linear',
    path: '/linear',
    body: JSON.stringify({ action: 'create', type: 'Issue', webhookTimestamp: Date.now() }),
    contentType: 'application/json',
    genuine: () => linearHeaders(SECRETS.linear, cases[3]!.body),
    wrongSecret: () => linearHeaders('guess', cases[3]!.body),
    upstreamVerifies: (r) =>
      new LinearWebhookClient(SECRETS.linear).verify(r.body, String(r.headers['linear-signature'])),
  },
  {
    name: 'paddle',
    path: '/paddle',
    body: '{"event_id":"evt_1","event_type":"transaction.completed"}',
    contentType: 'application/json',
    genuine: () => paddleHeaders(SECRETS.paddle, nowS(), cases[4]!.body),
    wrongSecret: () => paddleHeaders('pdl_guess', nowS(), cases[4]!.body),
    stale: () => paddleHeaders(SECRETS.paddle, nowS() - 60, cases[4]!.body),
  },
  {
    name: 'intercom',
    path: '/intercom',
    body: '{"type":"notification_event","topic":"ping"}',
    contentType: 'application/json',
    genuine: () => intercomHeaders(SECRETS.intercom, cases[5]!.body),
    wrongSecret: () => intercomHeaders('guess', cases[5]!.body),
  },
  {
    name: 'gitlab',
    path: '/gitlab',
    body: '{"object_kind":"push","ref":"refs/heads/main"}',
    contentType: 'application/json',
    genuine: () => gitlabHeaders(SECRETS.gitlab),
    wrongSecret: () => gitlabHeaders('glwht_guess'),
  },
  {
    name: 'discord',
    path: '/discord/events',
    body: '{"version":1,"application_id":"1","type":1,"event":{"type":"APPLICATION_AUTHORIZED","data":{}}}',
    contentType: 'application/json',
    genuine: () => discord.headers(nowS(), cases[7]!.body),
    wrongSecret: () => discordKeys().headers(nowS(), cases[7]!.body),
    stale: () => discord.headers(nowS() - 600, cases[7]!.body),
    upstreamVerifies: (r) =>
      verifyKey(
        r.body,
        String(r.headers['x-signature-ed25519']),
        String(r.headers['x-signature-timestamp']),
        discord.publicKeyHex,
      ),
  },
  {
    name: 'twilio',
    path: '/twilio/sms?source=dev',
    body: new URLSearchParams(twilioParams).toString(),
    contentType: 'application/x-www-form-urlencoded',
    genuine: () => twilioHeaders(SECRETS.twilio, publicUrl('/twilio/sms?source=dev'), twilioParams),
    wrongSecret: () => twilioHeaders(hex(16), publicUrl('/twilio/sms?source=dev'), twilioParams),
    // The application rebuilds the public URL from x-forwarded-proto/-host and the preserved path.
    upstreamVerifies: (r) =>
      twilio.validateRequest(
        SECRETS.twilio,
        String(r.headers['x-twilio-signature']),
        `${r.headers['x-forwarded-proto']}://${r.headers['x-forwarded-host']}${r.url}`,
        Object.fromEntries(new URLSearchParams(r.body.toString('utf8'))),
      ),
  },
  {
    name: 'square',
    path: '/square',
    body: '{"merchant_id":"M1","type":"payment.updated","event_id":"e-1"}',
    contentType: 'application/json',
    genuine: () => squareHeaders(SECRETS.square, publicUrl('/square'), cases[9]!.body),
    wrongSecret: () => squareHeaders('sq_guess', publicUrl('/square'), cases[9]!.body),
  },
];

const send = (c: Case, headers: Record<string, string>, body = c.body) =>
  post(publicUrl(c.path), body, { 'content-type': c.contentType, ...headers });

describe('webhook-proxy dev --verify for the new senders (secrets from env: and file:)', () => {
  it('refuses every forgery, wrong secret, stale timestamp and missing header with 401', async () => {
    for (const c of cases) {
      const attempts: [string, Record<string, string>, string?][] = [
        ['wrong secret', c.wrongSecret()],
        ['missing header', {}],
      ];
      // GitLab's token signs nothing: a changed body with the right token is GitLab's own weakness.
      if (c.name !== 'gitlab')
        attempts.push(['forged body', c.genuine(), `${c.body.slice(0, -2)}!${c.body.slice(-1)}`]);
      if (c.stale) attempts.push(['stale timestamp', c.stale()]);
      for (const [what, headers, body] of attempts) {
        const res = await send(c, headers, body);
        expect(res.status, `${c.name}: ${what}`).toBe(401);
        expect(res.body).toMatch(/"error":"unauthorized"/);
      }
    }
    // Each refusal's line (stdout) and its 401 (the socket) travel apart: the last line may come
    // after the last answer, so wait for the lines, then check there is no extra one.
    const refused = (e: DevEvent) => e.event === 'rejected' && e.status === 401;
    await dev.waitFor(refused, 33, 10_000);
    expect(dev.events.filter(refused).length).toBe(33);
  });

  it('accepts each genuine webhook and delivers it byte for byte, still verifiable at the upstream', async () => {
    const answers = [];
    for (const c of cases) answers.push(await send(c, c.genuine()));
    expect(answers.map((a) => a.status)).toEqual(cases.map(() => 200));
    const ids = answers.map((a) => a.id!);
    await dev.waitFor((e) => e.event === 'delivered' && ids.includes(e.id!), ids.length, 30_000);

    // Only the genuine ones ever reached the upstream: none of the 33 refusals was queued.
    expect(upstream.received.map((r) => r.sha256).sort()).toEqual(cases.map((c) => sha256(c.body)).sort());
    for (const c of cases) {
      const r = upstream.received.find((x) => x.sha256 === sha256(c.body))!;
      expect(Buffer.compare(r.body, Buffer.from(c.body)), c.name).toBe(0);
      if (c.upstreamVerifies) expect(await c.upstreamVerifies(r), `${c.name} at the upstream`).toBe(true);
    }
  });

  it("answers Discord's Webhook Events PING itself: 204 when signed, 401 when not, never delivered", async () => {
    const ping = '{"version":1,"application_id":"1","type":0}';
    const signed = await send({ ...cases[7]!, body: ping }, discord.headers(nowS(), ping), ping);
    expect(signed.status).toBe(204);
    expect(signed.body).toBe('');
    const unsigned = await send({ ...cases[7]!, body: ping }, {}, ping);
    expect(unsigned.status).toBe(401);
    expect(upstream.received.some((r) => r.body.toString() === ping)).toBe(false);
  });
});

describe('requests that are not webhooks', () => {
  it('a GET, HEAD or OPTIONS is answered 405 with Allow and never delivered', async () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS']) {
      const res = await fetch(`${dev.url}/wp-admin/?probe=${method}`, { method });
      expect(res.status, method).toBe(405);
      expect(res.headers.get('allow')).toBe('DELETE, PATCH, POST, PUT');
    }
    expect(upstream.received.some((r) => r.url.includes('probe='))).toBe(false);
  });

  it(`GET ${'/__webhook-proxy/health'} answers 200 JSON and is never queued, whatever the method`, async () => {
    const res = await fetch(`${dev.url}/__webhook-proxy/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ ok: true, queue: 'sqlite' });
    expect((await fetch(`${dev.url}/__webhook-proxy/health`, { method: 'HEAD' })).status).toBe(200);
    const posted = await post(`${dev.url}/__webhook-proxy/health`, '{}', {
      'content-type': 'application/json',
    });
    expect(posted.status).toBe(405);
    expect(upstream.received.some((r) => r.url.startsWith('/__webhook-proxy'))).toBe(false);
  });
});
