/**
 * The payload-2.0 event `dev` builds for `ingest`, from a synthetic request and through the real
 * HTTP front (raw sockets, so repeated headers and odd targets reach it exactly as written).
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  apiGatewayTime,
  buildHttpApiEvent,
  decodePath,
  isTextContentType,
  queryParameters,
} from '../../src/local/api-event.js';
import {
  API_GATEWAY_MAX_PAYLOAD,
  MAX_BODY_BYTES,
  startIngress,
  type Ingress,
} from '../../src/local/http-server.js';

const base = {
  method: 'POST',
  url: '/',
  httpVersion: '1.1',
  rawHeaders: [] as string[],
  body: Buffer.alloc(0),
  remoteAddress: '::ffff:127.0.0.1',
  localPort: 8080,
  protocol: 'http' as const,
};

describe('buildHttpApiEvent', () => {
  it('lower-cases header names, comma-joins repeats and takes cookies out', () => {
    const e = buildHttpApiEvent({
      ...base,
      url: '/stripe/events?a=1&b=x%20y&a=2&flag',
      rawHeaders: [
        'Host', 'localhost:8080',
        'X-Thing', 'one',
        'x-thing', 'two',
        'Cookie', 'a=1; b=2',
        'cookie', 'c=3',
        'User-Agent', 'Stripe/1.0',
        'Content-Type', 'application/json; charset=utf-8',
        'X-Forwarded-For', '198.51.100.9',
        'X-Forwarded-Proto', 'https',
      ], // prettier-ignore
      body: Buffer.from('{"ok":true}'),
      requestId: 'REQ',
      timeEpoch: Date.UTC(2026, 10, 25, 9, 0, 7),
    });
    expect(e.version).toBe('2.0');
    expect(e.routeKey).toBe('$default');
    expect(e.rawPath).toBe('/stripe/events');
    expect(e.rawQueryString).toBe('a=1&b=x%20y&a=2&flag');
    expect(e.queryStringParameters).toEqual({ a: '1,2', b: 'x y', flag: '' });
    expect(e.cookies).toEqual(['a=1', 'b=2', 'c=3']);
    expect(e.headers.cookie).toBeUndefined();
    expect(e.headers['x-thing']).toBe('one,two');
    expect(e.headers['x-forwarded-for']).toBe('198.51.100.9, 127.0.0.1');
    // dev is plain HTTP whatever the sender claims; ingest records the protocol from this header.
    expect(e.headers['x-forwarded-proto']).toBe('http');
    expect(e.headers['x-forwarded-port']).toBe('8080');
    expect(e.headers['x-amzn-trace-id']).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    expect(e.requestContext).toMatchObject({
      domainName: 'localhost:8080',
      domainPrefix: 'localhost:8080',
      requestId: 'REQ',
      routeKey: '$default',
      stage: '$default',
      time: '25/Nov/2026:09:00:07 +0000',
      timeEpoch: Date.UTC(2026, 10, 25, 9, 0, 7),
      http: {
        method: 'POST',
        path: '/stripe/events',
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'Stripe/1.0',
      },
    });
    expect(e.body).toBe('{"ok":true}');
    expect(e.isBase64Encoded).toBe(false);
  });

  it('decodes rawPath as an HTTP API does, and leaves the query string encoded', () => {
    // hotsock/voker's live captures: %20 → space, %2F → /, %23 → #, UTF-8 escapes → characters.
    const e = buildHttpApiEvent({ ...base, url: '/a%20b/c%2Fd%23e/%CE%BB?q=%20%2F' });
    expect(e.rawPath).toBe('/a b/c/d#e/λ');
    expect(e.requestContext.http.path).toBe('/a b/c/d#e/λ');
    expect(e.rawQueryString).toBe('q=%20%2F');
    // Decoded once (AWS decodes some escapes a second time; dev does not).
    expect(decodePath('/x%252F')).toBe('/x%2F');
    // A malformed escape or bytes that are not UTF-8 do not throw: the rest is still decoded.
    expect(decodePath('/100%/a%20b')).toBe('/100%/a b');
    expect(decodePath('/%FF%20')).toBe('/\uFFFD ');
    expect(decodePath('/plain')).toBe('/plain');
  });

  it('base64-encodes every body that is not text, JSON, XML or JavaScript', () => {
    const body = Buffer.from([0x61, 0x3d, 0x31, 0xff, 0x00]);
    const binary = (ct?: string) =>
      buildHttpApiEvent({ ...base, rawHeaders: ct ? ['Content-Type', ct] : [], body });
    for (const ct of [
      undefined,
      'application/x-www-form-urlencoded',
      'application/octet-stream',
      'multipart/form-data; boundary=x',
      'image/png',
    ]) {
      const e = binary(ct);
      expect(e.isBase64Encoded, ct).toBe(true);
      expect(Buffer.from(e.body!, 'base64').equals(body), ct).toBe(true);
    }
    const text = buildHttpApiEvent({
      ...base,
      rawHeaders: ['content-type', 'text/plain'],
      body: Buffer.from('héllo'),
    });
    expect(text).toMatchObject({ body: 'héllo', isBase64Encoded: false });
  });

  it('keeps a text body that is not valid UTF-8 byte for byte, as base64', () => {
    const latin1 = Buffer.from('name=Jos\xe9&city=M\xfcnchen', 'latin1'); // 0xe9, 0xfc: not UTF-8
    for (const ct of ['text/plain; charset=iso-8859-1', 'application/json']) {
      const e = buildHttpApiEvent({ ...base, rawHeaders: ['Content-Type', ct], body: latin1 });
      expect(e.isBase64Encoded, ct).toBe(true);
      expect(Buffer.from(e.body!, 'base64').equals(latin1), ct).toBe(true);
    }
  });

  it('leaves out body, cookies and query parameters when there are none', () => {
    const e = buildHttpApiEvent({ ...base, method: 'GET', url: '/health' });
    expect(e.body).toBeUndefined();
    expect(e.isBase64Encoded).toBe(false);
    expect(e.cookies).toBeUndefined();
    expect(e.queryStringParameters).toBeUndefined();
    expect(e.rawQueryString).toBe('');
    expect(e.headers['x-forwarded-for']).toBe('127.0.0.1');
  });

  it('knows the text media types', () => {
    const text = ['text/plain', 'text/html; charset=utf-8', 'application/json', 'APPLICATION/JSON', 'application/xml', 'application/javascript', 'application/vnd.api+json', 'application/cloudevents+json; charset=utf-8', 'application/atom+xml'];
    const binary = ['', 'application/x-www-form-urlencoded', 'application/octet-stream', 'multipart/form-data', 'application/jsonx', 'image/svg', 'json'];
    for (const t of text) expect(isTextContentType(t), t).toBe(true);
    for (const t of binary) expect(isTextContentType(t), t).toBe(false);
  }); // prettier-ignore

  it('formats times and decodes queries as API Gateway does', () => {
    expect(apiGatewayTime(Date.UTC(2026, 0, 5, 3, 4, 5))).toBe('05/Jan/2026:03:04:05 +0000');
    expect(queryParameters('')).toBeUndefined();
    expect(queryParameters('q=a+b&e=%E2%9C%93&bad=%zz')).toEqual({ q: 'a b', e: '✓', bad: '%zz' });
  });
});

describe('the HTTP front', () => {
  let ingress: Ingress | undefined;
  afterEach(async () => {
    await ingress?.close();
    ingress = undefined;
  });

  async function start(handler: (e: APIGatewayProxyEventV2) => Promise<unknown>) {
    ingress = await startIngress({ host: '127.0.0.1', port: 0, handler: handler as never });
    return ingress;
  }

  /** Send raw bytes and read the whole answer (the server closes or we stop after the response). */
  function raw(port: number, request: string | Buffer): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port });
      let out = '';
      socket.on('data', (c) => {
        out += c.toString('latin1');
        const end = out.indexOf('\r\n\r\n');
        const len = /content-length: (\d+)/i.exec(out)?.[1];
        if (end >= 0 && len !== undefined && out.length >= end + 4 + Number(len)) {
          socket.destroy();
          resolve(out);
        }
      });
      socket.on('error', reject);
      socket.on('close', () => resolve(out));
      socket.write(request);
    });
  }

  it('hands the event to the handler and its structured answer back to the sender', async () => {
    let seen: APIGatewayProxyEventV2 | undefined;
    const { port } = await start(async (e) => {
      seen = e;
      return { statusCode: 202, headers: { 'X-Id': 'wh_1' }, cookies: ['s=1; Path=/'], body: 'queued' };
    });
    const res = await raw(
      port,
      'POST /in%20box?x=1 HTTP/1.1\r\nHost: hooks.local\r\nX-Dup: a\r\nX-Dup: b\r\nCookie: k=v\r\n' +
        'Content-Type: application/octet-stream\r\nContent-Length: 3\r\nConnection: close\r\n\r\n\x00\x01\x02',
    );
    expect(res).toMatch(/^HTTP\/1\.1 202/);
    expect(res).toMatch(/x-id: wh_1/i);
    expect(res).toMatch(/set-cookie: s=1; Path=\//i);
    expect(res).toMatch(/apigw-requestid: \S+/i);
    expect(res.endsWith('queued')).toBe(true);
    // Decoded, as an HTTP API hands it over (the query string keeps its encoding).
    expect(seen!.rawPath).toBe('/in box');
    expect(seen!.requestContext.http.path).toBe('/in box');
    expect(seen!.rawQueryString).toBe('x=1');
    expect(seen!.headers['x-dup']).toBe('a,b');
    expect(seen!.cookies).toEqual(['k=v']);
    expect(seen!.isBase64Encoded).toBe(true);
    expect(seen!.body).toBe(Buffer.from([0, 1, 2]).toString('base64'));
    expect(seen!.requestContext.domainName).toBe('hooks.local');
    expect(seen!.headers['x-forwarded-port']).toBe(String(port));
  });

  it('answers 413 for a payload over 10 MB as API Gateway does, and over 1 MiB as ingest does', async () => {
    let calls = 0;
    const { port } = await start(async () => (calls++, { statusCode: 200, body: '' }));
    const declared = await raw(
      port,
      `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${API_GATEWAY_MAX_PAYLOAD + 1}\r\n\r\n`,
    );
    expect(declared).toMatch(/^HTTP\/1\.1 413/);
    expect(declared).toContain('{"message":"Request Entity Too Large"}');
    // Chunked, so the size is only known while reading.
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    const parts = [Buffer.from('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n')];
    for (let i = 0; i < 11; i++)
      parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'));
    parts.push(Buffer.from('0\r\n\r\n'));
    const chunked = await raw(port, Buffer.concat(parts)).catch((e) => String(e));
    expect(chunked).toMatch(/^HTTP\/1\.1 413/);
    expect(chunked).toContain('"error":"payload_too_large"');
    // Exactly at the queue's limit is still read and handed over.
    const ok = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      body: Buffer.alloc(MAX_BODY_BYTES),
    });
    expect(ok.status).toBe(200);
    expect(calls).toBe(1);
  });

  it('answers a text body as its UTF-8 bytes and a base64 one decoded, each with its byte length', async () => {
    const answers = [
      { statusCode: 200, body: '{"id":"wh_é✓"}' },
      { statusCode: 200, body: Buffer.from([0xff, 0, 0xfe]).toString('base64'), isBase64Encoded: true },
    ];
    let n = 0;
    const { port } = await start(async () => answers[n++]);
    const text = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: 'x' });
    expect(text.headers.get('content-length')).toBe(String(Buffer.byteLength('{"id":"wh_é✓"}')));
    expect(await text.text()).toBe('{"id":"wh_é✓"}');
    const binary = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: 'x' });
    expect(binary.headers.get('content-length')).toBe('3');
    expect(Buffer.from(await binary.arrayBuffer())).toEqual(Buffer.from([0xff, 0, 0xfe]));
  });

  it('answers 500 as API Gateway does when the handler throws, and JSON 200 for a plain object', async () => {
    let n = 0;
    const { port } = await start(async () => {
      if (n++ === 0) throw new Error('boom');
      return { hello: 'world' };
    });
    const a = await fetch(`http://127.0.0.1:${port}/`);
    expect(a.status).toBe(500);
    expect(await a.json()).toEqual({ message: 'Internal Server Error' });
    const b = await fetch(`http://127.0.0.1:${port}/`);
    expect(b.status).toBe(200);
    expect(b.headers.get('content-type')).toBe('application/json');
    expect(await b.json()).toEqual({ hello: 'world' });
  });
});
