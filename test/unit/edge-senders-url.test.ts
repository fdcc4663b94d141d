/**
 * The schemes that sign the URL the sender called: Twilio (its own library signs and validates) and
 * Square (its SDK's published test vector). Through the ingest handler, with events shaped as API
 * Gateway hands them: the Host header (the custom domain when the sender used it), rawPath decoded by
 * the HTTP API, rawQueryString as sent.
 */
import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import { decodeEnvelope, envelopeBody } from '../../src/envelope.js';
import { edgeEnv } from '../../src/handlers/edge/flags.js';
import { publicUrl } from '../../src/handlers/edge/public-url.js';
import { createIngestHandler, ingestConfigFromEnv } from '../../src/handlers/ingest.js';
import { quietIo } from '../helpers/edge.js';
import { httpApiEvent } from '../helpers/events.js';
import { recordingPort } from '../helpers/memory-port.js';
import { SQUARE_VECTOR, squareHeaders, twilioHeaders, twilioJsonUrl } from '../helpers/senders.js';

const TWILIO_TOKEN = '12345678901234567890123456789012';
const DOMAIN = 'hooks.example.com';

function setup(verify: string[]) {
  const rec = recordingPort();
  const logs: Record<string, unknown>[] = [];
  const config = ingestConfigFromEnv(edgeEnv({ verify }, quietIo().io));
  return {
    ...rec,
    logs,
    handler: createIngestHandler({ queue: rec.port, config, log: (l) => logs.push(l) }),
  };
}

const form = { 'content-type': 'application/x-www-form-urlencoded' };

describe('the public URL ingest checks against', () => {
  it('is https, the Host, the path as ingest re-encodes it, and the query as sent', async () => {
    expect(publicUrl({ protocol: 'https', host: DOMAIN, path: '/sms', rawQueryString: 'q=%20' })).toBe(
      'https://hooks.example.com/sms?q=%20',
    );
    // The sender signed /sms/a%20b/%C3%A9%3Fx%25; API Gateway decoded it to "/sms/a b/é?x%".
    const signedUrl = `https://${DOMAIN}/sms/a%20b/%C3%A9%3Fx%25`;
    const { handler, sent } = setup([`square=${SQUARE_VECTOR.key}`]);
    const res = await handler(
      httpApiEvent({
        domainName: DOMAIN,
        rawPath: '/sms/a b/é?x%',
        headers: { 'content-type': 'application/json', ...squareHeaders(SQUARE_VECTOR.key, signedUrl, '{}') },
        body: '{}',
      }),
    );
    expect(res.statusCode).toBe(200);
    expect(decodeEnvelope(sent[0]!.body).rawPath).toBe('/sms/a%20b/%C3%A9%3Fx%25'); // what is checked is what is stored
  });
});

describe('twilio (X-Twilio-Signature), signed by the twilio library', () => {
  const params = {
    AccountSid: 'AC123',
    From: '+15005550006',
    Body: 'Hi & bye: ✓ 100%',
    MediaUrl0: 'https://x/y',
  };
  const body = new URLSearchParams(params).toString();
  const url = `https://${DOMAIN}/twilio/sms?source=prod&x=1`;

  it('accepts a form webhook signed for the custom domain, stored byte for byte', async () => {
    const headers = twilioHeaders(TWILIO_TOKEN, url, params);
    expect(twilio.validateRequest(TWILIO_TOKEN, headers['x-twilio-signature']!, url, params)).toBe(true);
    const { handler, sent, logs } = setup([`twilio=${TWILIO_TOKEN}`]);
    const res = await handler(
      httpApiEvent({
        domainName: DOMAIN,
        rawPath: '/twilio/sms',
        rawQueryString: 'source=prod&x=1',
        headers: { ...form, ...headers },
        body,
      }),
    );
    expect(res.statusCode).toBe(200);
    expect(sent).toHaveLength(1);
    expect(envelopeBody(decodeEnvelope(sent[0]!.body)).toString()).toBe(body);
    expect(logs.at(-1)).toMatchObject({ verifiedBy: 'twilio' });
  });

  it('accepts a path API Gateway decoded (a%20b → "a b"), a URL signed with :443, and the JSON bodySHA256 variant', async () => {
    const { handler, sent } = setup([`twilio=${TWILIO_TOKEN}`]);
    const encoded = `https://${DOMAIN}/twilio/a%20b`;
    const decodedPath = await handler(
      httpApiEvent({
        domainName: DOMAIN,
        rawPath: '/twilio/a b',
        headers: { ...form, ...twilioHeaders(TWILIO_TOKEN, encoded, params) },
        body,
      }),
    );
    expect(decodedPath.statusCode).toBe(200);
    const withPort = await handler(
      httpApiEvent({
        domainName: DOMAIN,
        rawPath: '/t',
        headers: { ...form, ...twilioHeaders(TWILIO_TOKEN, `https://${DOMAIN}:443/t`, params) },
        body,
      }),
    );
    expect(withPort.statusCode).toBe(200);
    const json = '{"EventType":"com.twilio.voice.status","CallSid":"CA1"}';
    const jsonUrl = twilioJsonUrl(`https://${DOMAIN}/twilio/events`, json);
    const jsonHeaders = twilioHeaders(TWILIO_TOKEN, jsonUrl, {});
    expect(
      twilio.validateRequestWithBody(TWILIO_TOKEN, jsonHeaders['x-twilio-signature']!, jsonUrl, json),
    ).toBe(true);
    const query = jsonUrl.slice(jsonUrl.indexOf('?') + 1);
    const jsonRes = await handler(
      httpApiEvent({
        domainName: DOMAIN,
        rawPath: '/twilio/events',
        rawQueryString: query,
        headers: { 'content-type': 'application/json', ...jsonHeaders },
        body: json,
      }),
    );
    expect(jsonRes.statusCode).toBe(200);
    expect(sent).toHaveLength(3);
  });

  it('refuses a forged parameter, a wrong token, another host, a body that does not match bodySHA256, and no header', async () => {
    const { handler, sent, logs } = setup([`twilio=${TWILIO_TOKEN}`]);
    const headers = twilioHeaders(TWILIO_TOKEN, url, params);
    const event = (over: Parameters<typeof httpApiEvent>[0]) =>
      httpApiEvent({
        domainName: DOMAIN,
        rawPath: '/twilio/sms',
        rawQueryString: 'source=prod&x=1',
        headers: { ...form, ...headers },
        body,
        ...over,
      });
    const json = '{"CallSid":"CA1"}';
    const jsonUrl = twilioJsonUrl(`https://${DOMAIN}/j`, json);
    const attempts = [
      event({ body: body.replace('Hi', 'Ha') }),
      event({ headers: { ...form, ...twilioHeaders('0'.repeat(32), url, params) } }),
      // Signed for the execute-api host while the sender called the custom domain: another URL.
      event({ domainName: 'abc123.execute-api.eu-west-1.amazonaws.com' }),
      httpApiEvent({
        domainName: DOMAIN,
        rawPath: '/j',
        rawQueryString: jsonUrl.slice(jsonUrl.indexOf('?') + 1),
        headers: { 'content-type': 'application/json', ...twilioHeaders(TWILIO_TOKEN, jsonUrl, {}) },
        body: '{"CallSid":"CA2"}',
      }),
      event({ headers: form }),
    ];
    for (const e of attempts) expect((await handler(e)).statusCode).toBe(401);
    expect(sent).toHaveLength(0);
    expect(logs.map((l) => String(l.error))).toEqual([
      'signature verification failed: twilio (signature mismatch)',
      'signature verification failed: twilio (signature mismatch)',
      'signature verification failed: twilio (signature mismatch)',
      'signature verification failed: twilio (body does not match bodySHA256)',
      'signature verification failed: none (no signature header (expected one of: x-twilio-signature))',
    ]);
  });
});

describe('square (x-square-hmacsha256-signature)', () => {
  const v = SQUARE_VECTOR;
  const host = new URL(v.url).host;
  const path = new URL(v.url).pathname;
  const json = { 'content-type': 'application/json' };

  it("accepts Square's published test vector, received at its notification URL", async () => {
    const { handler, sent } = setup([`square=${v.key}`]);
    expect(squareHeaders(v.key, v.url, v.body)).toEqual({ 'x-square-hmacsha256-signature': v.signature });
    const res = await handler(
      httpApiEvent({
        domainName: host,
        rawPath: path,
        headers: { ...json, 'x-square-hmacsha256-signature': v.signature },
        body: v.body,
      }),
    );
    expect(res.statusCode).toBe(200);
    expect(envelopeBody(decodeEnvelope(sent[0]!.body)).toString()).toBe(v.body);
  });

  it('refuses the vector at another URL (as the SDK test does), with a wrong key, a changed body, and no header', async () => {
    const { handler, sent } = setup([`square=${v.key}`]);
    const event = (over: Parameters<typeof httpApiEvent>[0]) =>
      httpApiEvent({
        domainName: host,
        rawPath: path,
        headers: { ...json, 'x-square-hmacsha256-signature': v.signature },
        body: v.body,
        ...over,
      });
    const attempts = [
      event({ rawPath: '/79a4f3a-dcfa-49ee-bac5-9d0edad886b9' }),
      event({ headers: { ...json, ...squareHeaders('MCmhFRxGX82xMwg5FsaoQA', v.url, v.body) } }),
      event({ body: v.body.replace('2022-07-13', '2022-06-13') }),
      event({ headers: json }),
    ];
    for (const e of attempts) expect((await handler(e)).statusCode).toBe(401);
    expect(sent).toHaveLength(0);
  });
});
