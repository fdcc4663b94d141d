/**
 * Provider signatures survive the proxy: the upstream behind the built `webhook-proxy dev` verifies
 * each webhook with the provider's own library, exactly as an application would.
 * - Stripe: stripe.webhooks.constructEvent over the raw body (signed by generateTestHeaderString);
 * - GitHub: @octokit/webhooks-methods verify over the raw body;
 * - Twilio: twilio.validateRequest over the public URL (rebuilt from x-forwarded-proto, x-forwarded-host
 *   and the path the proxy preserved) and the form-encoded parameters.
 */
import { sign as githubSign, verify as githubVerify } from '@octokit/webhooks-methods';
import type { IncomingMessage } from 'node:http';
import Stripe from 'stripe';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstream, type Received } from '../helpers/upstream.js';
import { post, startDev, type DevProcess } from './dev-harness.js';

const STRIPE_SECRET = 'whsec_dev_e2e_0123456789abcdef';
const GITHUB_SECRET = 'github-dev-e2e-secret';
const TWILIO_TOKEN = '12345678901234567890123456789012';
const stripe = new Stripe('sk_test_not_used_offline');

interface Verdict {
  provider: string;
  ok: boolean;
  detail?: string;
}

/** What the application would do: verify with the provider's library, from what it received. */
async function verifyAtUpstream(r: Received): Promise<Verdict> {
  const h = r.headers as IncomingMessage['headers'];
  if (h['stripe-signature']) {
    try {
      const event = stripe.webhooks.constructEvent(r.body, String(h['stripe-signature']), STRIPE_SECRET);
      return { provider: 'stripe', ok: true, detail: event.id };
    } catch (err) {
      return { provider: 'stripe', ok: false, detail: String(err) };
    }
  }
  if (h['x-hub-signature-256']) {
    const ok = await githubVerify(GITHUB_SECRET, r.body.toString('utf8'), String(h['x-hub-signature-256']));
    return { provider: 'github', ok };
  }
  if (h['x-twilio-signature']) {
    const publicUrl = `${h['x-forwarded-proto']}://${h['x-forwarded-host']}${r.url}`;
    const params = Object.fromEntries(new URLSearchParams(r.body.toString('utf8')));
    const ok = twilio.validateRequest(TWILIO_TOKEN, String(h['x-twilio-signature']), publicUrl, params);
    return { provider: 'twilio', ok, detail: publicUrl };
  }
  return { provider: 'none', ok: false };
}

let upstream: Awaited<ReturnType<typeof startUpstream>>;
let dev: DevProcess;
const verdicts: Verdict[] = [];

beforeAll(async () => {
  upstream = await startUpstream(async (r, res) => {
    const v = await verifyAtUpstream(r);
    verdicts.push(v);
    res.statusCode = v.ok ? 200 : 400;
    res.end();
  });
  // The upstream at its root, so with --preserve-path it sees exactly the path the sender used.
  dev = await startDev(['--upstream', upstream.url, '--preserve-path', '--max-attempts', '1']);
});

afterAll(async () => {
  await dev?.stop();
  await upstream?.close();
});

describe('provider signatures through dev', () => {
  it('Stripe, GitHub and Twilio signatures verify at the upstream with their own libraries', async () => {
    const stripePayload = JSON.stringify(
      {
        id: 'evt_dev_1',
        object: 'event',
        type: 'charge.succeeded',
        data: { object: { amount: 1999, note: 'café ✓' } },
      },
      null,
      2, // pretty-printed on purpose: re-serialising would change the bytes and break the signature
    );
    const stripeHeader = stripe.webhooks.generateTestHeaderString({
      payload: stripePayload,
      secret: STRIPE_SECRET,
    });

    const githubPayload = '{"action":"opened","number":7,  "title":"Ünïcode & spaces kept"}';
    const githubHeader = await githubSign(GITHUB_SECRET, githubPayload);

    // Twilio signs the full public URL plus the sorted POST parameters.
    const twilioParams = {
      AccountSid: 'AC123',
      From: '+15005550006',
      To: '+15005550001',
      Body: 'Hi & bye: ✓ 100%',
    };
    const twilioUrl = `${dev.url}/twilio/sms?source=dev&x=1`;
    const twilioHeader = twilio.getExpectedTwilioSignature(TWILIO_TOKEN, twilioUrl, twilioParams);

    const answers = await Promise.all([
      post(`${dev.url}/stripe/webhook`, stripePayload, {
        'content-type': 'application/json; charset=utf-8',
        'stripe-signature': stripeHeader,
      }),
      post(`${dev.url}/github`, githubPayload, {
        'content-type': 'application/json',
        'x-github-event': 'pull_request',
        'x-hub-signature-256': githubHeader,
      }),
      post(twilioUrl, new URLSearchParams(twilioParams).toString(), {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilioHeader,
      }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);

    await dev.waitFor((e) => e.event === 'delivered' || e.event === 'dead-lettered', 3, 20_000);
    expect(verdicts.sort((a, b) => a.provider.localeCompare(b.provider))).toEqual([
      { provider: 'github', ok: true },
      { provider: 'stripe', ok: true, detail: 'evt_dev_1' },
      { provider: 'twilio', ok: true, detail: twilioUrl },
    ]);
    expect(dev.events.filter((e) => e.event === 'delivered')).toHaveLength(3);
  });

  it('the same checks fail on a tampered body, so a pass above means something', async () => {
    const tampered = (over: Partial<Received>): Received => ({
      method: 'POST',
      url: '/x',
      headers: {},
      rawHeaders: [],
      body: Buffer.alloc(0),
      sha256: '',
      ...over,
    });
    const payload = '{"id":"evt_1","object":"event"}';
    const stripeHeader = stripe.webhooks.generateTestHeaderString({ payload, secret: STRIPE_SECRET });
    const reserialised = JSON.stringify(JSON.parse(payload), null, 1);
    expect(
      (
        await verifyAtUpstream(
          tampered({ headers: { 'stripe-signature': stripeHeader }, body: Buffer.from(reserialised) }),
        )
      ).ok,
    ).toBe(false);
    const sig = await githubSign(GITHUB_SECRET, payload);
    expect(
      (
        await verifyAtUpstream(
          tampered({ headers: { 'x-hub-signature-256': sig }, body: Buffer.from(`${payload} `) }),
        )
      ).ok,
    ).toBe(false);
    const params = { Body: 'hello' };
    const url = 'http://127.0.0.1:1/twilio';
    const header = twilio.getExpectedTwilioSignature(TWILIO_TOKEN, url, params);
    const wrongHost = tampered({
      url: '/twilio',
      headers: {
        'x-twilio-signature': header,
        'x-forwarded-proto': 'http',
        'x-forwarded-host': '127.0.0.1:2',
      },
      body: Buffer.from('Body=hello'),
    });
    expect((await verifyAtUpstream(wrongHost)).ok).toBe(false);
  });
});
