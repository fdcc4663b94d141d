import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeEnvelope, envelopeBody, SQS_MAX_MESSAGE_BYTES } from '../../src/envelope.js';
import { createIngestHandler, FIFO_GROUP_ID, ingestConfigFromEnv } from '../../src/handlers/ingest.js';
import { httpApiEvent } from '../helpers/events.js';
import { recordingPort } from '../helpers/memory-port.js';

function setup(config = { responseStatus: 200, fifo: false }, failSend?: Error) {
  const rec = recordingPort({ failSend });
  const logs: Record<string, unknown>[] = [];
  const handler = createIngestHandler({ queue: rec.port, config, log: (l) => logs.push(l) });
  return { ...rec, logs, handler };
}

describe('ingest handler', () => {
  it('stores the exact request and answers with its id', async () => {
    const { handler, sent, logs } = setup();
    const body = '{"type":"delivered", "n": 12345678901234567890}\n';
    const res = await handler(
      httpApiEvent({
        rawPath: '/sendgrid/events',
        rawQueryString: 'x=1&y=%2F',
        headers: { 'content-type': 'application/json', 'x-custom': 'a,b', 'user-agent': 'SendGrid' },
        cookies: ['a=1', 'b=2'],
        body,
      }),
    );
    expect(res.statusCode).toBe(200);
    const id = JSON.parse(res.body!).id;
    expect(sent).toHaveLength(1);
    const env = decodeEnvelope(sent[0]!.body);
    expect(env.id).toBe(id);
    expect(env).toMatchObject({
      method: 'POST',
      rawPath: '/sendgrid/events',
      rawQueryString: 'x=1&y=%2F',
      cookies: ['a=1', 'b=2'],
      sourceIp: '203.0.113.7',
      host: 'abc123.execute-api.us-east-1.amazonaws.com',
      protocol: 'https',
    });
    expect(env.headers['x-custom']).toBe('a,b');
    expect(envelopeBody(env).toString('utf8')).toBe(body);
    // One log line, without the body.
    expect(logs).toHaveLength(1);
    expect(JSON.stringify(logs[0])).not.toContain('delivered');
    expect(logs[0]).toMatchObject({ id, status: 200, method: 'POST', path: '/sendgrid/events' });
  });

  it('stores the path API Gateway decoded, re-encoded so deliver can send it', async () => {
    const { handler, sent, logs } = setup();
    // What an HTTP API hands over for /hooks/a%20b/%CE%BB/literal%253Fv (decoded; %253F twice).
    const res = await handler(httpApiEvent({ rawPath: '/hooks/a b/λ/literal?v', rawQueryString: 'x=%20' }));
    expect(res.statusCode).toBe(200);
    const env = decodeEnvelope(sent[0]!.body);
    expect(env.rawPath).toBe('/hooks/a%20b/%CE%BB/literal%3Fv');
    expect(env.rawQueryString).toBe('x=%20');
    expect(logs[0]).toMatchObject({ path: '/hooks/a%20b/%CE%BB/literal%3Fv' });
  });

  it.each([
    ['/hooks/../../admin', 'dot segment'],
    ['/hooks/%2e%2e/admin', 'dot segment'],
    ['/hooks/a%2Fb', 'encoded slash'],
    ['/hooks/a\\b', 'backslash'],
    ['/hooks/a\u0000b', 'NUL'],
  ])('refuses %s with 400 and stores nothing', async (rawPath, reason) => {
    const { handler, sent, logs } = setup();
    const res = await handler(
      httpApiEvent({ rawPath, body: '{}', headers: { 'content-type': 'application/json' } }),
    );
    expect(res.statusCode).toBe(400);
    expect(res.headers?.['content-type']).toBe('application/json');
    const err = JSON.parse(res.body!);
    expect(err.error).toBe('unsafe_path');
    expect(err.message).toContain(reason);
    expect(err.message).toContain('It was not stored');
    expect(sent).toHaveLength(0);
    expect(logs).toEqual([expect.objectContaining({ status: 400, level: 'warn' })]);
    expect(String(logs[0]!.error)).toContain(reason);
  });

  it('decodes base64 bodies back to the original bytes (binary, form-encoded)', async () => {
    const { handler, sent } = setup();
    const bin = randomBytes(2048);
    await handler(httpApiEvent({ headers: { 'content-type': 'application/octet-stream' }, body: bin }));
    await handler(
      httpApiEvent({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1&b=2' }),
    );
    expect(Buffer.compare(envelopeBody(decodeEnvelope(sent[0]!.body)), bin)).toBe(0);
    expect(envelopeBody(decodeEnvelope(sent[1]!.body)).toString()).toBe('a=1&b=2');
  });

  it('handles a GET with no body', async () => {
    const { handler, sent } = setup();
    const res = await handler(httpApiEvent({ method: 'GET', rawQueryString: 'ping=1' }));
    expect(res.statusCode).toBe(200);
    expect(envelopeBody(decodeEnvelope(sent[0]!.body)).length).toBe(0);
  });

  it('answers 413 with the limit, and stores nothing, when the webhook is too large for SQS', async () => {
    const { handler, sent, logs } = setup();
    const res = await handler(
      httpApiEvent({
        headers: { 'content-type': 'application/json' },
        body: 'x'.repeat(SQS_MAX_MESSAGE_BYTES),
      }),
    );
    expect(res.statusCode).toBe(413);
    const err = JSON.parse(res.body!);
    expect(err.limit).toBe(SQS_MAX_MESSAGE_BYTES);
    expect(err.message).toMatch(/1 MiB/);
    expect(sent).toHaveLength(0);
    expect(logs[0]).toMatchObject({ status: 413 });
  });

  it('refuses a body already over the limit before building its envelope (binary, 3 MB)', async () => {
    const { handler, sent, logs } = setup();
    const big = Buffer.alloc(3_000_000, 0xff);
    const res = await handler(
      httpApiEvent({
        headers: { 'content-type': 'application/octet-stream' },
        body: big, // the helper base64-encodes a binary body, as API Gateway does
      }),
    );
    expect(res.statusCode).toBe(413);
    const err = JSON.parse(res.body!);
    expect(err).toMatchObject({ error: 'payload_too_large', limit: 1_048_576 });
    expect(err.message).toContain('The webhook is 3000000 bytes');
    expect(sent).toHaveLength(0);
    expect(logs).toEqual([expect.objectContaining({ status: 413, bytes: 3_000_000, level: 'warn' })]);
    expect(logs[0]).not.toHaveProperty('id'); // no envelope was made
  });

  it('accepts a body just under the limit', async () => {
    const { handler, sent } = setup();
    const res = await handler(
      httpApiEvent({
        headers: { 'content-type': 'text/plain' },
        body: 'x'.repeat(SQS_MAX_MESSAGE_BYTES - 2000),
      }),
    );
    expect(res.statusCode).toBe(200);
    expect(sent).toHaveLength(1);
  });

  it('answers 503 (never 2xx) when the queue does not store the webhook', async () => {
    const { handler, logs } = setup(
      undefined,
      Object.assign(new Error('Throttled'), { name: 'ThrottlingException' }),
    );
    const res = await handler(httpApiEvent({ body: '{}', headers: { 'content-type': 'application/json' } }));
    expect(res.statusCode).toBe(503);
    expect(res.headers?.['retry-after']).toBe('5');
    expect(logs[0]).toMatchObject({ status: 503, level: 'error' });
    expect(String(logs[0]!.error)).toContain('ThrottlingException');
  });

  it('answers the configured status; 204 without a body', async () => {
    const a = setup({ responseStatus: 202, fifo: false });
    expect((await a.handler(httpApiEvent({ body: 'x' }))).statusCode).toBe(202);
    const b = setup({ responseStatus: 204, fifo: false });
    const res = await b.handler(httpApiEvent({ body: 'x' }));
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
  });

  it('gives FIFO messages one group and the webhook id as deduplication id', async () => {
    const { handler, sent } = setup({ responseStatus: 200, fifo: true });
    const res = await handler(httpApiEvent({ body: 'x' }));
    const id = JSON.parse(res.body!).id;
    expect(sent[0]!.options).toEqual({ groupId: FIFO_GROUP_ID, deduplicationId: id });
  });

  it('reads its configuration from the environment', () => {
    expect(ingestConfigFromEnv({ WP_RESPONSE_STATUS: '202', WP_FIFO: '1' })).toEqual({
      responseStatus: 202,
      fifo: true,
    });
    expect(ingestConfigFromEnv({})).toEqual({ responseStatus: 200, fifo: false });
  });
});
