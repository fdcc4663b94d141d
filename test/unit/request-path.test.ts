import { describe, expect, it } from 'vitest';
import { encodeDecodedPath, sendablePath, unsafePathReason } from '../../src/handlers/request-path.js';

/**
 * What a live HTTP API handed the function as `rawPath` for each path sent (hotsock/voker,
 * vokerhttp/testdata/ingress-paths.json, captured from real API Gateway; `percent%25done` was refused
 * by AWS itself with a 400 and is left out). Encoding the capture gives a sendable path that decodes
 * back to exactly what AWS handed over; where AWS decoded twice or cut the path, the sender's original
 * cannot come back, which the README says.
 */
const CAPTURES: { sent: string; httpApi: string; encoded: string }[] = [
  { sent: '/capture/plain', httpApi: '/capture/plain', encoded: '/capture/plain' },
  { sent: '/capture/space%20value', httpApi: '/capture/space value', encoded: '/capture/space%20value' },
  { sent: '/capture/question%3Fvalue', httpApi: '/capture/question', encoded: '/capture/question' },
  { sent: '/capture/hash%23value', httpApi: '/capture/hash#value', encoded: '/capture/hash%23value' },
  { sent: '/capture/slash%2Fvalue', httpApi: '/capture/slash/value', encoded: '/capture/slash/value' },
  {
    sent: '/capture/unicode-%CE%BB-%E4%B8%96%E7%95%8C',
    httpApi: '/capture/unicode-λ-世界',
    encoded: '/capture/unicode-%CE%BB-%E4%B8%96%E7%95%8C',
  },
  {
    sent: '/capture/literal%253Fvalue',
    httpApi: '/capture/literal?value',
    encoded: '/capture/literal%3Fvalue',
  },
  {
    sent: '/capture/literal%2525value',
    httpApi: '/capture/literal%value',
    encoded: '/capture/literal%25value',
  },
];

describe('encodeDecodedPath (ingest)', () => {
  it.each(CAPTURES)('$sent, handed over as $httpApi, is stored as $encoded', ({ httpApi, encoded }) => {
    expect(encodeDecodedPath(httpApi)).toBe(encoded);
    expect(decodeURIComponent(encoded)).toBe(httpApi);
  });

  it('keeps every character RFC 3986 allows in a path, and returns the same string when nothing changes', () => {
    const literal = "/AZaz09-._~!$&'()*+,;=:@/x";
    expect(encodeDecodedPath(literal)).toBe(literal);
  });

  it('encodes what node:http refuses or would read as syntax: controls, space, #, ?, %, quotes, brackets', () => {
    expect(encodeDecodedPath('/a b\t\n"<>?#%[]^`{|}\u007f')).toBe(
      '/a%20b%09%0A%22%3C%3E%3F%23%25%5B%5D%5E%60%7B%7C%7D%7F',
    );
    // Characters outside the BMP as one UTF-8 sequence; a lone surrogate as U+FFFD.
    expect(encodeDecodedPath('/🎉/\ud800')).toBe('/%F0%9F%8E%89/%EF%BF%BD');
  });
});

describe('sendablePath (deliver)', () => {
  it('leaves a path ingest encoded unchanged', () => {
    for (const { encoded } of CAPTURES) expect(sendablePath(encoded)).toBe(encoded);
    expect(sendablePath(encodeDecodedPath('/a %zz ü?'))).toBe('/a%20%25zz%20%C3%BC%3F');
  });

  it('makes a decoded path queued by an older ingest sendable, keeping escapes it cannot tell apart', () => {
    expect(sendablePath('/hooks/a b?c#d')).toBe('/hooks/a%20b%3Fc%23d');
    expect(sendablePath('/λ/100%/%41')).toBe('/%CE%BB/100%25/%41');
  });
});

describe('unsafePathReason', () => {
  it.each([
    ['/a/../../etc/passwd', /dot segment/],
    ['/a/..', /dot segment/],
    ['/./a', /dot segment/],
    ['/a/%2e%2E/b', /dot segment/],
    ['/a/.%2e', /dot segment/],
    ['/a%2fb', /encoded slash/],
    ['/a%2Fb', /encoded slash/],
    ['/a%5cb', /backslash/],
    ['/a\\..\\b', /backslash/],
    ['/a%00b', /NUL/],
    ['/a\u0000b', /NUL/],
  ])('refuses %s', (path, reason) => {
    expect(unsafePathReason(path)).toMatch(reason);
  });

  it.each(['/', '/hooks/stripe', '/a/.../b', '/a/..b/c.', '/.well-known/x', '//double', '/a%20b', '/a%2'])(
    'accepts %s',
    (path) => {
      expect(unsafePathReason(path)).toBeUndefined();
    },
  );

  it('accepts what ingest stored from a path it accepted (deliver sees no new hazard)', () => {
    for (const decoded of ['/a b', '/%value', '/q?x', '/λ', '/a%zz', '/...', '/a\u0001']) {
      expect(unsafePathReason(decoded)).toBeUndefined();
      expect(unsafePathReason(encodeDecodedPath(decoded))).toBeUndefined();
    }
  });
});
