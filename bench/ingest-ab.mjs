// Two (or more) builds of `dev` against the same autocannon load, interleaved round by round, so the
// machine's load (other work on a shared VM moves absolute figures by 2×) hits each build alike. For
// judging one change: `node bench/ingest-ab.mjs stalled|delivering ROUNDS SECONDS DIR_A DIR_B…`, each
// DIR a copy of the package with bin/ and a built dist/ (e.g. `git worktree add` + `npm run build`).
// Prints per build the req/s of every round, the median, and the median CPU µs per request.
// Not part of `npm run bench`.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { procUsage, SAMPLE_WEBHOOK_BODY } from './lib.mjs';

const [mode = 'stalled', rounds = '4', seconds = '3', ...dirs] = process.argv.slice(2);
if (!['stalled', 'delivering'].includes(mode) || dirs.length < 2) {
  process.stderr.write('usage: node bench/ingest-ab.mjs stalled|delivering ROUNDS SECONDS DIR_A DIR_B…\n');
  process.exit(2);
}
// Stalled: an upstream that never answers holds every slot, so ingest runs alone.
const upstream = createServer((req, res) => {
  if (mode === 'stalled') return;
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-length': '2' }).end('ok'));
});
await new Promise((r) => upstream.listen(0, '127.0.0.1', r));

const cannon = (url, duration) =>
  new Promise((resolve, reject) =>
    autocannon(
      {
        url: `${url}/hooks`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: SAMPLE_WEBHOOK_BODY,
        connections: 50,
        duration,
      },
      (err, r) => (err ? reject(err) : resolve(r)),
    ),
  );

async function round(dir) {
  const dataRoot = mkdtempSync(join(tmpdir(), 'wp-ab-'));
  const stall = mode === 'stalled' ? ['--timeout', '890', '--batch-size', '1'] : [];
  const child = spawn(
    process.execPath,
    [join(dir, 'bin/webhook-proxy.js'), 'dev', '--json', '--port', '0', '--concurrency', '8', ...stall,
      '--upstream', `http://127.0.0.1:${upstream.address().port}/hooks`],
    { env: { ...process.env, CI: '1', WEBHOOK_PROXY_DATA_DIR: dataRoot }, stdio: ['ignore', 'pipe', 'ignore'] },
  ); // prettier-ignore
  let url;
  let delivered = 0;
  createInterface({ input: child.stdout }).on('line', (line) => {
    const e = JSON.parse(line);
    if (e.event === 'listening') url = e.url.replace(/\/$/, '');
    if (e.event === 'delivered') delivered++;
  });
  for (const end = Date.now() + 20_000; !url; await new Promise((r) => setTimeout(r, 20)))
    if (Date.now() > end || child.exitCode !== null) throw new Error(`${dir}: dev did not start`);
  await cannon(url, 1);
  const before = procUsage(child.pid);
  const r = await cannon(url, Number(seconds));
  const after = procUsage(child.pid);
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  rmSync(dataRoot, { recursive: true, force: true });
  upstream.closeAllConnections();
  return { rps: r.requests.average, cpu: (after.cpuUs - before.cpuUs) / r.requests.total, delivered };
}

const results = new Map(dirs.map((d) => [d, []]));
for (let i = 0; i < Number(rounds); i++) {
  // Alternate the order: the first of a round is not always the one that meets a quieter machine.
  for (const d of i % 2 ? [...dirs].reverse() : dirs) results.get(d).push(await round(d));
}
upstream.close();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
process.stdout.write(`${mode}, load average ${loadavg()[0].toFixed(1)} at the end\n`);
for (const [d, rs] of results) {
  const rps = rs.map((x) => Math.round(x.rps));
  process.stdout.write(
    `${d}: req/s ${rps.join(' ')} (median ${median(rps)}), CPU ${median(rs.map((x) => x.cpu)).toFixed(1)} µs ` +
      `per request, delivered meanwhile ${rs.map((x) => x.delivered).join(' ')}\n`,
  );
}
