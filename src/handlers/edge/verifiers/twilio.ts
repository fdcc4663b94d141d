/**
 * Twilio: `X-Twilio-Signature: <base64 HMAC-SHA1>`, keyed with the account's Auth Token, over the
 * full URL Twilio requested followed by the POST parameters sorted by name, each name then value (a
 * repeated name: its distinct values, sorted). A request that is not form-encoded (a JSON body) is
 * signed over the URL alone, which then carries `bodySHA256=<hex SHA-256 of the body>`: the body must
 * hash to it (Twilio docs, "Webhooks security"; the `twilio` library's getExpectedTwilioSignature and
 * validateRequestWithBody, which the tests use as the oracle).
 *
 * The URL is the proxy's public one (public-url.ts: the custom domain when the sender calls that).
 * As Twilio's library does, the URL is also tried with the default port added and removed, since
 * Twilio may sign either form.
 */
import { createHash } from 'node:crypto';
import type { EdgeRequest, Verifier } from '../types.js';
import { anyEqual, decodeBase64, hmac, safeEqual } from '../util.js';

export const TWILIO_HEADER = 'x-twilio-signature';

/** `https://h/p` and `https://h:443/p`: the forms of one URL with and without its default port. */
export function portVariants(url: string): string[] {
  const m = /^(https?):\/\/([^/?#]*)(.*)$/i.exec(url);
  if (!m) return [url];
  const [, scheme, authority, rest] = m as unknown as [string, string, string, string];
  const portAt = authority.lastIndexOf(':');
  const hasPort = portAt > authority.lastIndexOf(']');
  const host = hasPort ? authority.slice(0, portAt) : authority;
  const defaultPort = scheme.toLowerCase() === 'https' ? '443' : '80';
  if (hasPort && authority.slice(portAt + 1) !== defaultPort) return [url];
  return [`${scheme}://${host}${rest}`, `${scheme}://${host}:${defaultPort}${rest}`];
}

function isForm(req: EdgeRequest): boolean {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/x-www-form-urlencoded';
}

/** The POST parameters as Twilio appends them: names sorted, each followed by its sorted values. */
function signedParameters(body: Buffer): string {
  const params = new Map<string, Set<string>>();
  for (const [name, value] of new URLSearchParams(body.toString('utf8'))) {
    if (!params.has(name)) params.set(name, new Set());
    params.get(name)!.add(value);
  }
  return [...params.keys()]
    .sort()
    .map((name) =>
      [...params.get(name)!]
        .sort()
        .map((v) => name + v)
        .join(''),
    )
    .join('');
}

export const twilio: Verifier = (req, spec) => {
  const given = req.headers[TWILIO_HEADER];
  if (!given) return { present: false };
  if (!req.publicUrl) return { present: true, ok: false, reason: 'no public URL to check against' };
  const signature = decodeBase64(given.trim());
  if (!signature) return { present: true, ok: false, reason: 'signature is not base64' };
  const query = req.publicUrl.includes('?') ? req.publicUrl.slice(req.publicUrl.indexOf('?') + 1) : '';
  const bodyHash = new URLSearchParams(query).get('bodySHA256');
  const params = bodyHash === null && isForm(req) ? signedParameters(req.body) : '';
  const expected = portVariants(req.publicUrl).map((url) => hmac('sha1', spec.secret, url, params));
  if (!anyEqual(expected, signature)) return { present: true, ok: false, reason: 'signature mismatch' };
  if (bodyHash !== null) {
    const actual = createHash('sha256').update(req.body).digest('hex');
    if (!safeEqual(bodyHash.toLowerCase(), actual)) {
      return { present: true, ok: false, reason: 'body does not match bodySHA256' };
    }
  }
  return { present: true, ok: true };
};
