// The ingest path's removed hot spots, each timed in one process against the form it replaced (kept
// inline below as the baseline), plus the whole in-process path (payload-2.0 event → ingest handler →
// memory queue) per webhook. `node bench/ingest-path.mjs` (builds src with esbuild into a temp dir).
// Not part of `npm run bench`'s table: the end-to-end figures are in bench/ingest.mjs.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { ROOT, round, SAMPLE_WEBHOOK_BODY } from './lib.mjs';

const dir = mkdtempSync(join(tmpdir(), 'wp-ingest-path-'));
const entry = join(dir, 'entry.mjs');
await build({
  stdin: {
    contents: `
      export * from ${JSON.stringify(join(ROOT, 'src/envelope.ts'))};
      export * from ${JSON.stringify(join(ROOT, 'src/random-pool.ts'))};
      export { buildHttpApiEvent } from ${JSON.stringify(join(ROOT, 'src/local/api-event.ts'))};
      export { createIngestHandler } from ${JSON.stringify(join(ROOT, 'src/handlers/ingest.ts'))};
      export { MemoryQueue } from ${JSON.stringify(join(ROOT, 'src/local/memory-queue.ts'))};`,
    resolveDir: ROOT,
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile: entry,
  logLevel: 'error',
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
});
const m = await import(pathToFileURL(entry).href);
rmSync(dir, { recursive: true, force: true });

/** CPU µs per call (user + system), best of 5 rounds of n calls after a warm-up. */
function time(fn, n = 20_000) {
  for (let i = 0; i < 2000; i++) fn(i);
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const t = process.cpuUsage();
    for (let i = 0; i < n; i++) fn(i);
    const u = process.cpuUsage(t);
    best = Math.min(best, (u.user + u.system) / n);
  }
  return best;
}

const BODY = Buffer.from(SAMPLE_WEBHOOK_BODY);
const req = {
  method: 'POST',
  url: '/hooks',
  httpVersion: '1.1',
  rawHeaders: [
    'Host',
    '127.0.0.1:8080',
    'Content-Type',
    'application/json',
    'Content-Length',
    String(BODY.length),
  ],
  body: BODY,
  remoteAddress: '127.0.0.1',
  localPort: 8080,
  protocol: 'http',
};
const event = m.buildHttpApiEvent(req);
const input = {
  method: 'POST',
  rawPath: '/hooks',
  rawQueryString: '',
  headers: event.headers,
  cookies: [],
  sourceIp: '127.0.0.1',
  host: '127.0.0.1:8080',
  protocol: 'http',
  receivedAt: new Date().toISOString(),
};

const rows = [];
const compare = (what, before, after, n) => {
  const b = time(before, n);
  const a = time(after, n);
  rows.push({ what, beforeUs: round(b, 2), afterUs: round(a, 2), ratio: round(a / b, 2) });
};

compare(
  'ids: request id + trace id + receipt handle',
  () => randomBytes(10).toString('base64') + randomBytes(12).toString('hex') + randomBytes(8).toString('hex'),
  () => m.randomBase64(10) + m.randomHex(12) + m.randomHex(8),
);
compare(
  'envelope: Buffer→string round trip, stringify to size, stringify again, regex on all',
  () => {
    const bytes = Buffer.from(event.body, 'utf8');
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    const textLength = Buffer.byteLength(m.xmlSafeJson(text)) - 2;
    const useText = textLength <= 4 * Math.ceil(bytes.length / 3);
    const env = { v: 1, id: m.newWebhookId(), ...input, bodyEncoding: 'utf8', body: useText ? text : '' };
    const s = m.xmlSafeJson(env);
    return Buffer.byteLength(s);
  },
  () => m.createEncodedEnvelope({ ...input, body: Buffer.from(event.body, 'utf8'), text: event.body }).size,
);
const mq = new m.MemoryQueue({ visibilityTimeout: 30 });
// The memory queue's per-message md5 at send (now made at the first receive, once).
compare(
  'memory queue: md5 of each body at send',
  () => createHash('md5').update(SAMPLE_WEBHOOK_BODY).digest('hex') + randomUUID(),
  () => randomUUID(),
);
// A receive with 10,000 delivered (deleted) messages before the first live one.
{
  const q = new m.MemoryQueue({ visibilityTimeout: 30 });
  for (let i = 0; i < 10_000; i++) q.sendNow('x');
  const got = await q.receive({ max: 10_000, waitSeconds: 0 });
  await q.deleteMany(got.map((g) => g.receiptHandle));
  const oldScan = new Map(); // the old scan: a Map walked from its start, every entry visited
  for (let i = 0; i < 10_000; i++) oldScan.set(String(i), { visibleAt: Infinity });
  compare(
    'memory queue: receive past 10,000 delivered messages (old: every in-flight one walked)',
    () => {
      for (const v of oldScan.values()) if (v.visibleAt <= 0) break;
    },
    () => q.receive({ max: 10, waitSeconds: 0 }),
    2000,
  );
}
// The whole in-process path per webhook: event → ingest handler → memory queue (no HTTP).
{
  const handler = m.createIngestHandler({
    queue: mq,
    config: { responseStatus: 200, fifo: false },
    log: () => {},
  });
  const n = 20_000;
  const t = process.cpuUsage();
  for (let i = 0; i < n; i++) await handler(m.buildHttpApiEvent(req));
  const u = process.cpuUsage(t);
  rows.push({
    what: 'whole path: buildHttpApiEvent + ingest handler + memory send',
    afterUs: round((u.user + u.system) / n, 2),
  });
}
console.table(rows);
