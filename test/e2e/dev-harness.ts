/**
 * Runs the built `webhook-proxy dev --json` (or `serve`) as a user would (a child process), reads its NDJSON
 * events, and sends webhooks at it from many concurrent HTTP senders.
 * `npm test` builds first; run alone, these tests build once if dist/ is older than src/.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { withDataDir } from '../helpers/data-dir.js';

export type DevEvent = Record<string, unknown> & { event: string; id?: string };

const ROOT = process.cwd();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Build unless dist/cli is newer than every source file; one builder at a time across test files. */
export async function ensureBuilt(): Promise<void> {
  const cli = join(ROOT, 'dist/cli/cli.js');
  const fresh = () => existsSync(cli) && statSync(cli).mtimeMs >= newestMtime(join(ROOT, 'src'));
  if (fresh()) return;
  const lock = join(ROOT, 'dist/.dev-e2e-build.lock');
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Another test file is building (or a crashed run left the lock: give up on it after 2 minutes).
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > 120_000) rmdirSync(lock);
      await sleep(200);
      if (fresh()) return;
    }
  }
  try {
    if (fresh()) return;
    const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`npm run build failed:\n${r.stdout}\n${r.stderr}`);
  } finally {
    rmdirSync(lock);
  }
}

export interface DevProcess {
  url: string;
  child: ChildProcess;
  events: DevEvent[];
  stderr(): string;
  /** Resolves once `count` events match (checked every 20 ms), or rejects after `timeoutMs`. */
  waitFor(match: (e: DevEvent) => boolean, count?: number, timeoutMs?: number): Promise<DevEvent[]>;
  /** Send a signal and resolve with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startDev(args: string[], env: Record<string, string> = {}): Promise<DevProcess> {
  return startLocal(['dev', '--json'], args, env);
}

/** `serve` logs JSON lines without --json. */
export function startServe(args: string[], env: Record<string, string> = {}): Promise<DevProcess> {
  return startLocal(['serve'], args, env);
}

/** `dev --json` of an installed package (its bin, run in its folder): pack.test.ts. */
export function startInstalledDev(
  installed: { bin: string; cwd: string },
  args: string[],
  env: Record<string, string> = {},
): Promise<DevProcess> {
  return startLocal(['dev', '--json'], args, env, installed);
}

async function startLocal(
  command: string[],
  args: string[],
  env: Record<string, string>,
  installed?: { bin: string; cwd: string },
): Promise<DevProcess> {
  await ensureBuilt();
  const [file, launcher] = installed ? [installed.bin, []] : [process.execPath, ['bin/webhook-proxy.js']];
  const child = spawn(file, [...launcher, ...command, '--port', '0', ...args], {
    cwd: installed?.cwd ?? ROOT,
    // Its own data directory unless the test names one (env or --data-dir): see helpers/data-dir.ts.
    env: { ...process.env, CI: '1', ...withDataDir(env) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const events: DevEvent[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    // Every stdout line must be an event: a stray line would break anyone piping --json.
    events.push(JSON.parse(line) as DevEvent);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const waitFor: DevProcess['waitFor'] = async (match, count = 1, timeoutMs = 60_000) => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const found = events.filter(match);
      if (found.length >= count) return found;
      if (child.exitCode !== null)
        throw new Error(`${command[0]} exited (${child.exitCode}) early:\n${stderr}`);
      if (Date.now() > end) {
        throw new Error(`timed out waiting for ${count} events (got ${found.length}); stderr:\n${stderr}`);
      }
      await sleep(20);
    }
  };

  const [listening] = await waitFor((e) => e.event === 'listening', 1, 20_000);
  return {
    url: String(listening!.url),
    child,
    events,
    stderr: () => stderr,
    waitFor,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

export interface Sent {
  status: number;
  headers: IncomingHttpHeaders;
  id?: string;
  body: string;
}

/** POST one webhook; resolves with the proxy's answer. */
export function post(
  url: string,
  body: Buffer | string,
  headers: Record<string, string> = {},
  agent?: Agent,
): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let id: string | undefined;
        try {
          id = (JSON.parse(text) as { id?: string }).id;
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, ...(id ? { id } : {}), body: text });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Send every webhook from `senders` concurrent connections; answers come back in input order. */
export async function blast<
  T extends { body: Buffer | string; headers?: Record<string, string>; path?: string },
>(base: string, webhooks: T[], senders: number): Promise<Sent[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: senders });
  const results: Sent[] = new Array(webhooks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: senders }, async () => {
      while (next < webhooks.length) {
        const i = next++;
        const w = webhooks[i]!;
        results[i] = await post(base + (w.path ?? '/'), w.body, w.headers ?? {}, agent);
      }
    }),
  );
  agent.destroy();
  return results;
}
