/**
 * The URL a sender called, rebuilt from what the ingest handler is given, for the schemes that sign
 * it (Twilio, Square): `PROTOCOL://HOST PATH [? QUERY]`.
 *
 * - HOST: the `Host` header the sender sent: the API's own `{api-id}.execute-api.{region}.amazonaws.com`,
 *   or the custom domain when the sender called that. AWS: "create a DNS record to point the custom
 *   domain name to the Regional domain. This enables the traffic that is bound to the custom domain name
 *   to be routed to the API's Regional hostname" ("Set up a Regional custom domain name in API
 *   Gateway"): only DNS is aliased, so the request keeps the Host the sender used, and API Gateway
 *   picks the API by it. AWS does not document the Host header of the Lambda event for a custom domain;
 *   community reports say it is the custom domain (Droplr/serverless-api-cloudfront issue 37;
 *   awslabs/aws-lambda-go-api-proxy issue 31: requests with another Host are rejected before Lambda).
 *   moto runs no Lambda, so nothing here is checked against it. `requestContext.domainName` is the
 *   fallback. `x-forwarded-host` is never used: the sender chooses it, and a request signed for
 *   another URL of the same account must not verify here.
 * - PATH: AWS: "Format 2.0 has rawPath. If you use an API mapping to connect your stage to a custom
 *   domain name, rawPath won't provide the API mapping value" (API Gateway developer guide, "Create
 *   AWS Lambda proxy integrations for HTTP APIs"); the proxy's mapping key is empty, so rawPath is the
 *   whole path. HTTP APIs hand it percent-decoded; `ingest` re-encodes it (request-path.ts,
 *   encodeDecodedPath) and passes that here, the same path it stores. That restores every URL whose
 *   only escapes are for characters that cannot appear literally (spaces, non-ASCII, `?`, `#`, `%`);
 *   an escape of a character that may appear literally (`%41` for `A`) cannot be recovered, so such a
 *   URL's signatures fail behind an HTTP API.
 * - QUERY: rawQueryString keeps the sender's encoding.
 */

export function publicUrl(parts: {
  protocol: 'http' | 'https';
  host: string;
  /** The path, percent-encoded (ingest's encodeDecodedPath of what API Gateway handed over). */
  path: string;
  rawQueryString: string;
}): string {
  const query = parts.rawQueryString ? `?${parts.rawQueryString}` : '';
  return `${parts.protocol}://${parts.host}${parts.path || '/'}${query}`;
}
