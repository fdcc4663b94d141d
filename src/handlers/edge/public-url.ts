/**
 * The URL a sender called, rebuilt from what the ingest handler is given, for the schemes that sign
 * it (Twilio, Square): `PROTOCOL://HOST PATH [? QUERY]`.
 *
 * - HOST: the `Host` header the sender sent. On AWS that is the API's own
 *   `{api-id}.execute-api.{region}.amazonaws.com`, or the custom domain when the sender called that:
 *   API Gateway routes a request to the API by it (a custom domain's API mapping matches its Host), so
 *   it is the name the sender used. `requestContext.domainName` is the fallback. A forwarded
 *   `x-forwarded-host` is never used: the sender chooses it, and a request signed for another URL of
 *   the same account must not verify here.
 * - PATH: AWS: "Format 2.0 has rawPath. If you use an API mapping to connect your stage to a custom
 *   domain name, rawPath won't provide the API mapping value" (API Gateway developer guide, "Create
 *   AWS Lambda proxy integrations for HTTP APIs"); the proxy's mapping key is empty, so rawPath is the
 *   whole path. HTTP APIs hand rawPath percent-decoded (DESIGN.md), so what cannot appear literally in
 *   a path is percent-encoded again; an encoding the sender used for a character that may appear
 *   literally (`%41` for `A`, `%2F`) cannot be recovered, so such URLs cannot be verified behind an
 *   HTTP API. `dev` hands the raw path, which this leaves as it is.
 * - QUERY: rawQueryString keeps the sender's encoding.
 */

/** RFC 3986 `pchar`, `/` and `%` (kept as is: an already-encoded path is not encoded twice). */
const PATH_SAFE = /[A-Za-z0-9\-._~!$&'()*+,;=:@/%]/;

/** Percent-encode (UTF-8) every character that cannot appear literally in a URL path. */
export function encodePath(path: string): string {
  let out = '';
  for (const ch of path) {
    if (PATH_SAFE.test(ch)) out += ch;
    else {
      try {
        out += encodeURIComponent(ch);
      } catch {
        out += ch; // a lone surrogate: cannot be UTF-8, leave it (the signature then simply fails)
      }
    }
  }
  return out;
}

export function publicUrl(parts: {
  protocol: 'http' | 'https';
  host: string;
  rawPath: string;
  rawQueryString: string;
}): string {
  const path = encodePath(parts.rawPath || '/');
  return `${parts.protocol}://${parts.host}${path}${parts.rawQueryString ? `?${parts.rawQueryString}` : ''}`;
}
