// Start the built `webhook-proxy dev --json --port 0` as a user would, follow its NDJSON events,
// and give back its URL; plus a loopback upstream that records ids, arrival times and requests in flight.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CLI, ROOT, sleep } from './lib.mjs';

export async function startDevProcess(args, { startTimeoutMs = 20_000 } = {}) {
  // dev keeps its queue on disk (issue 13): each run a fresh store of its own, removed after, never
  // the user's ~/.local/share nor a previous run's leftovers.
  const dataRoot = mkdtempSync(join(tmpdir(), 'wp-bench-'));
  const child = spawn(process.execPath, [CLI, 'dev', '--json', '--port', '0', ...args], {
    cwd: ROOT,
    env: { ...process.env, CI: '1', WEBHOOK_PROXY_DATA_DIR: dataRoot },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const counts = {};
  let url;
  createInterface({ input: child.stdout }).on('line', (line) => {
    let e;
    try {
      e = JSON.parse(line);
    } catch {
      counts['not-json'] = (counts['not-json'] ?? 0) + 1;
      return;
    }
    counts[e.event] = (counts[e.event] ?? 0) + 1;
    if (e.event === 'listening') url = e.url;
  });
  const exited = new Promise((r) =>
    child.once('exit', (code) => {
      rmSync(dataRoot, { recursive: true, force: true });
      r(code);
    }),
  );
  const end = Date.now() + startTimeoutMs;
  while (!url) {
    if (child.exitCode !== null)
      throw new Error(`dev exited (${child.exitCode}) before listening:\n${stderr}`);
    if (Date.now() > end) {
      child.kill('SIGKILL');
      throw new Error(`dev did not print a listening event within ${startTimeoutMs} ms:\n${stderr}`);
    }
    await sleep(20);
  }
  return {
    url: url.replace(/\/$/, ''),
    pid: child.pid,
    dataRoot,
    counts,
    stderr: () => stderr,
    /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
    async stop(graceMs = 15_000) {
      if (child.exitCode === null) child.kill('SIGTERM');
      const code = await Promise.race([exited, sleep(graceMs).then(() => 'timeout')]);
      if (code === 'timeout') {
        child.kill('SIGKILL');
        return 'killed';
      }
      return code;
    },
  };
}

/**
 * An upstream that answers 200 after `delayMs` (so deliveries overlap and a concurrency cap is
 * exercised), recording every x-webhook-proxy-id with its arrival time and the peak in flight.
 */
export async function startRecordingUpstream({ delayMs = 2 } = {}) {
  const arrivals = new Map(); // id → [times (ms, performance.now())]
  let inFlight = 0;
  let maxInFlight = 0;
  let requests = 0;
  const server = createServer((req, res) => {
    inFlight++;
    requests++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let closed = false;
    const done = () => {
      if (!closed) inFlight--;
      closed = true;
    };
    res.on('close', done);
    const id = String(req.headers['x-webhook-proxy-id'] ?? '');
    const list = arrivals.get(id) ?? [];
    list.push(performance.now());
    arrivals.set(id, list);
    req.resume();
    req.on('end', () =>
      setTimeout(() => {
        res.writeHead(200, { 'content-length': '2' });
        res.end('ok');
      }, delayMs),
    );
  });
  server.keepAliveTimeout = 30_000;
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    arrivals,
    get requests() {
      return requests;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
