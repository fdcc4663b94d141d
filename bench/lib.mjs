// Shared helpers for the benchmark: timing child processes, statistics, loopback servers, the CLI.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CLI = join(ROOT, 'bin/webhook-proxy.js');
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function median(xs) {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function percentile(xs, p) {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

export const round = (x, digits = 2) => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);
export const ratio = (value, baseline) =>
  Number.isFinite(value) && Number.isFinite(baseline) && baseline !== 0 ? round(value / baseline, 2) : null;

/** Wall time of one child process from spawn to exit, in milliseconds; throws on a non-zero exit. */
export function timeProcess(args, env = {}) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (code === 0) resolve(ms);
      else reject(new Error(`node ${args.join(' ')} exited ${code}: ${stderr.slice(-500)}`));
    });
  });
}

/**
 * Median wall time of each command over `runs` rounds, interleaved (A B C A B C …) so a slow moment
 * of the machine hits every command alike. One warm-up round first fills the OS file cache.
 */
export async function timeInterleaved(commands, runs) {
  for (const c of commands) await timeProcess(c.args, c.env);
  const times = commands.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (const [j, c] of commands.entries()) times[j].push(await timeProcess(c.args, c.env));
  }
  return times.map((t) => ({ median: median(t), min: Math.min(...t), runs: t.length }));
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Whether the built CLI has this command (helpers add commands while the benchmark grows). */
export function hasCommand(name) {
  const r = spawnSync(process.execPath, [CLI, name, '--help'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 20_000,
  });
  // An unknown command followed by --help prints the program's help and exits 0: look at the usage line.
  return r.status === 0 && r.stdout.includes(`Usage: webhook-proxy ${name} `);
}

/** Run the built CLI once; resolves with exit code, stdout, stderr and wall time. Bounded by `timeoutMs`. */
export function runCli(args, { env = {}, timeoutMs = 120_000 } = {}) {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, CI: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      resolve({ code, signal, stdout, stderr, ms });
    });
  });
}

/**
 * Start a node script that prints one JSON line `{"port": N}` on stdout once it listens
 * (bench/http-200.mjs), and return its port and a stop function.
 */
export function startNodeServer(script, args = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, script), ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not start within 10 s`));
    }, 10_000);
    child.stdout.once('data', (d) => {
      clearTimeout(timer);
      const { port } = JSON.parse(String(d).split('\n')[0]);
      const exited = new Promise((r) => child.once('exit', r));
      resolve({
        port,
        pid: child.pid,
        url: `http://127.0.0.1:${port}`,
        stop: async () => {
          if (child.exitCode === null) child.kill('SIGTERM');
          await Promise.race([exited, sleep(3000)]);
        },
      });
    });
    child.once('error', reject);
  });
}

/** Environment that points the AWS SDK at an emulator with fake credentials, never at ~/.aws. */
export function fakeAwsEnv(endpoint) {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    // The SDK warns on Node 20 that 2027 releases will need Node 22: noise in a benchmark's output.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // The CLI's account cache (src/aws/account.ts) for this run only, not the user's.
    WEBHOOK_PROXY_CACHE_DIR: mkdtempSync(join(tmpdir(), 'webhook-proxy-bench-cache-')),
  };
}

/** A typical webhook body (a SendGrid-style event), the same for every figure that sends one. */
export const SAMPLE_WEBHOOK_BODY = JSON.stringify({
  event: 'delivered',
  email: 'user@example.com',
  timestamp: 1_700_000_000,
  sg_event_id: 'evt-bench-xxxxxxxxxxxxxxxxxxxxxxxx',
  sg_message_id: 'msg-bench.filter0001.example.com',
  category: ['newsletter', 'bench'],
  response: '250 OK',
});

/** A process's CPU time so far (user + system, µs) and resident memory (bytes), from /proc (Linux). */
export function procUsage(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are the 14th and 15th.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(f[11]) + Number(f[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
    return { cpuUs: (ticks * 1e6) / CLOCK_TICKS, rss: kb('VmRSS') * 1024, hwm: kb('VmHWM') * 1024 };
  } catch {
    return undefined;
  }
}
const CLOCK_TICKS = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  return Number(r.stdout?.trim()) || 100;
})();
