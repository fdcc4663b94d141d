// A counting HTTP proxy on 127.0.0.1 between the CLI and moto: it forwards every AWS API request
// unchanged (moto does not check SigV4 signatures, and keeping the Host header keeps the URLs moto
// returns pointing at the proxy), and records service, operation, start and end of each.
// `delayMs` holds every request before forwarding, like a real region's round trip: calls that are
// issued together then overlap, and calls that wait for each other add up, which makes the number
// of sequential rounds visible whatever the emulator's speed.
import { createServer, request } from 'node:http';
import { sleep } from './lib.mjs';

/** Resource words of the Lambda and API Gateway v2 REST paths (everything else is a name or an id). */
const REST_WORDS = new Set(
  'functions configuration code policy concurrency event-source-mappings tags versions aliases url apis integrations routes stages deployments domainnames apimappings'.split(
    ' ',
  ),
);

function serviceOf(headers) {
  const m = /Credential=[^/]+\/\d+\/[^/]+\/([^/]+)\//.exec(String(headers.authorization ?? ''));
  return m ? m[1] : 'unknown';
}

/** The operation: JSON protocols name it in X-Amz-Target, query protocols in Action=, CBOR in the path. */
function operationOf(method, url, headers, body) {
  const target = headers['x-amz-target'];
  if (target) return String(target).split('.').pop();
  const cbor = /\/operation\/([A-Za-z]+)/.exec(url);
  if (cbor) return cbor[1];
  const action = /(?:^|&)Action=([A-Za-z]+)/.exec(body.toString('utf8', 0, 2000));
  if (action) return action[1];
  const query = /[?&]Action=([A-Za-z]+)/.exec(url);
  if (query) return query[1];
  // REST protocols (Lambda, API Gateway v2): method and path, names, ids and versions replaced by {}.
  const path = url
    .split('?')[0]
    .split('/')
    .map((seg) => (seg === '' || REST_WORDS.has(seg) ? seg : '{}'))
    .join('/');
  return `${method} ${path}`;
}

export async function startCountingProxy(target) {
  const upstream = new URL(target);
  const calls = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let delayMs = 0;
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    const call = {
      service: serviceOf(req.headers),
      operation: operationOf(req.method, req.url, req.headers, body),
      start: performance.now(),
      end: NaN,
      /** Wall-clock time, to match the windows another process reports. */
      at: Date.now(),
      status: 0,
    };
    calls.push(call);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    if (delayMs) await sleep(delayMs);
    const fwd = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (up) => {
        call.status = up.statusCode;
        res.writeHead(up.statusCode, up.headers);
        up.pipe(res);
        up.on('end', () => {
          call.end = performance.now();
          inFlight--;
        });
      },
    );
    fwd.on('error', (err) => {
      call.end = performance.now();
      inFlight--;
      res.writeHead(502).end(String(err));
    });
    fwd.end(body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    /** Start counting afresh, with every request held `delay` ms before it is forwarded. */
    reset(delay = 0) {
      calls.length = 0;
      maxInFlight = 0;
      delayMs = delay;
    },
    snapshot() {
      const rounds = roundsOf(calls);
      return { calls: [...calls], maxInFlight, rounds: rounds.length, roundOps: rounds };
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/**
 * Sequential rounds: a call opens a new round when it starts after some call of the current round
 * has already come back (it may have waited for it). Calls issued together count as one round.
 * Returns the operations of each round.
 */
export function roundsOf(calls) {
  const s = [...calls].sort((a, b) => a.start - b.start);
  const out = [];
  let earliestEnd = -Infinity;
  for (const c of s) {
    if (!out.length || c.start >= earliestEnd) {
      out.push([]);
      earliestEnd = c.end;
    } else earliestEnd = Math.min(earliestEnd, c.end);
    out[out.length - 1].push(`${c.service} ${c.operation}`);
  }
  return out;
}

/** { "sqs GetQueueAttributes": 2, … } */
export function breakdown(calls) {
  const out = {};
  for (const c of calls) {
    const key = `${c.service} ${c.operation}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}
