import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  createEncodedEnvelope,
  createEnvelope,
  decodeEnvelope,
  encodeEnvelope,
  encodedSize,
  envelopeBody,
  EnvelopeError,
  xmlSafeJson,
} from '../../src/envelope.js';

const base = {
  method: 'POST',
  rawPath: '/hooks',
  rawQueryString: 'a=1&b=%20x',
  headers: { 'content-type': 'application/json' },
  cookies: ['session=abc'],
  sourceIp: '203.0.113.7',
  host: 'hooks.example.com',
  protocol: 'https' as const,
};

// SQS accepts only these characters (XML 1.0): #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF
// eslint-disable-next-line no-control-regex -- the control characters are the point of this check
const XML_UNSAFE = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

function roundTrip(body: Buffer) {
  const encoded = encodeEnvelope(createEnvelope({ ...base, body }));
  expect(encoded).not.toMatch(XML_UNSAFE);
  const decoded = decodeEnvelope(encoded);
  expect(Buffer.compare(envelopeBody(decoded), body)).toBe(0);
  return { encoded, decoded };
}

describe('envelope', () => {
  it.each([
    [
      'JSON with odd whitespace, unicode and big integers',
      '{ "n" :12345678901234567890123,\n\t"s":"日本語 ✓ \u{1F600}" }  ',
      'utf8',
    ],
    ['form-encoded', 'a=1&b=%E2%9C%93&c=hello+world', 'utf8'],
    ['empty', '', 'utf8'],
    ['a byte-order mark', '\uFEFF{"bom":true}', 'utf8'],
    // Escaped as \u00XX these would cost 6 bytes each: base64 is smaller, and both are exact.
    ['control characters', 'a\u0000b\u0001c\u001fd', 'base64'],
    ['the XML-unsafe noncharacters U+FFFE and U+FFFF', 'x\uFFFEy\uFFFFz', 'base64'],
    ['mostly text with one U+FFFF', `${'t'.repeat(200)}\uFFFF`, 'utf8'],
  ])('keeps %s byte for byte', (_label, text, encoding) => {
    const { decoded } = roundTrip(Buffer.from(text, 'utf8'));
    expect(decoded.bodyEncoding).toBe(encoding);
  });

  it('keeps binary and gzip bodies byte for byte, as base64', () => {
    for (const body of [randomBytes(4096), gzipSync(Buffer.from('{"hello":"world"}'))]) {
      expect(roundTrip(body).decoded.bodyEncoding).toBe('base64');
    }
  });

  it('keeps invalid UTF-8 exactly (a lone continuation byte, an overlong encoding)', () => {
    roundTrip(Buffer.from([0x7b, 0x80, 0x7d]));
    roundTrip(Buffer.from([0xc0, 0xaf]));
  });

  it('chooses base64 when escaping would make a text body larger', () => {
    // Each NUL becomes \u0000 (6 bytes) in JSON; base64 costs 4/3.
    const nuls = Buffer.alloc(3000, 0);
    const { decoded, encoded } = roundTrip(nuls);
    expect(decoded.bodyEncoding).toBe('base64');
    expect(encodedSize(encoded)).toBeLessThan(3000 * 1.34 + 1000);
    // Plain ASCII stays text, costing only its own bytes.
    const ascii = Buffer.from('x'.repeat(3000));
    const text = roundTrip(ascii);
    expect(text.decoded.bodyEncoding).toBe('utf8');
    expect(encodedSize(text.encoded)).toBeLessThan(3000 + 1000);
  });

  it('carries every field and a stable, unique id', () => {
    const a = createEnvelope({ ...base, body: Buffer.from('x') });
    const b = createEnvelope({ ...base, body: Buffer.from('x') });
    expect(a.id).toMatch(/^wh_[0-9a-f]{32}$/);
    expect(a.id).not.toBe(b.id);
    const decoded = decodeEnvelope(encodeEnvelope(a));
    expect(decoded).toEqual(a);
    expect(decoded).toMatchObject({ ...base, v: 1 });
    expect(Date.parse(decoded.receivedAt)).not.toBeNaN();
  });

  it('counts the encoded size in UTF-8 bytes, as SQS does', () => {
    // 1 + 2 + 3 + 4 bytes: "a", "é", "€" and an emoji (a surrogate pair: 2 UTF-16 units, 4 bytes).
    expect(encodedSize('aé€😀')).toBe(10);
    expect('aé€😀'.length).toBe(5);
    const encoded = encodeEnvelope(createEnvelope({ ...base, body: Buffer.from('é'.repeat(100)) }));
    expect(encodedSize(encoded) - encoded.length).toBe(100); // each é: 1 UTF-16 unit, 2 bytes
  });

  it('escapes the XML-unsafe characters JSON leaves alone, and stays valid JSON', () => {
    const s = xmlSafeJson({ k: '\uFFFE\uFFFF' });
    expect(s).toBe('{"k":"\\ufffe\\uffff"}');
    expect(JSON.parse(s)).toEqual({ k: '\uFFFE\uFFFF' });
  });

  it.each([
    ['not JSON', 'hello'],
    ['another version', JSON.stringify({ v: 2 })],
    [
      'a missing body',
      JSON.stringify({ ...createEnvelope({ ...base, body: Buffer.from('') }), body: undefined }),
    ],
    [
      'a bad encoding',
      JSON.stringify({ ...createEnvelope({ ...base, body: Buffer.from('') }), bodyEncoding: 'hex' }),
    ],
  ])('refuses %s with an EnvelopeError', (_label, body) => {
    expect(() => decodeEnvelope(body)).toThrow(EnvelopeError);
  });
});

describe('createEncodedEnvelope (one stringify)', () => {
  const bodies: [string, Buffer][] = [
    ['ASCII JSON', Buffer.from('{"a":1,"b":"x\\"y","c":[true,null]}')],
    ['empty', Buffer.alloc(0)],
    ['quote-heavy text (base64 wins)', Buffer.from('"'.repeat(300))],
    ['control characters', Buffer.from('a\u0000b\u001fc\td\n')],
    ['non-ASCII UTF-8 with emoji', Buffer.from('{"name":"Zoë ✓ 😀"}')],
    ['U+FFFE and U+FFFF (escaped for XML)', Buffer.from('x\uFFFEy\uFFFFz')],
    ['UTF-8 BOM', Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d])],
    ['bytes that are not UTF-8', Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x41])],
    ['random bytes', randomBytes(999)],
  ];
  it.each(bodies)('%s: the same message body and size as encodeEnvelope(createEnvelope(…))', (_n, body) => {
    const fixed = { ...base, id: 'wh_fixed', receivedAt: '2026-12-04T00:00:00.000Z', attempts: 2 };
    const expected = encodeEnvelope(createEnvelope({ ...fixed, body }));
    const got = createEncodedEnvelope({ ...fixed, body });
    expect(got.messageBody).toBe(expected);
    expect(got.size).toBe(encodedSize(expected));
    expect(decodeEnvelope(got.messageBody)).toEqual(got.envelope);
    expect(Buffer.compare(envelopeBody(decodeEnvelope(got.messageBody)), body)).toBe(0);
    // The caller's text (what API Gateway hands over) changes nothing when it is the bytes decoded.
    const text = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }).decode(body);
    if (Buffer.from(text).equals(body)) {
      expect(createEncodedEnvelope({ ...fixed, body, text }).messageBody).toBe(expected);
    }
  });

  it('a header with U+FFFF is escaped in the rest of the envelope too', () => {
    const got = createEncodedEnvelope({ ...base, headers: { 'x-odd': 'a\uFFFFb' }, body: Buffer.from('{}') });
    expect(got.messageBody).not.toMatch(XML_UNSAFE);
    expect(got.messageBody).toContain('a\\uffffb');
    expect(decodeEnvelope(got.messageBody).headers['x-odd']).toBe('a\uFFFFb');
  });
});
