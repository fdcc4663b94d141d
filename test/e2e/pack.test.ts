/**
 * The package as users get it: `npm pack` → install the tarball into an empty folder → run the
 * installed `webhook-proxy` (--help, --version, `dev` end to end, `create --dry-run` against moto).
 * The installed copy resolves its dependencies from the temp folder's own node_modules, never from
 * this repository, so a file missing from "files" or a dependency in the wrong section shows up here.
 */
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { motoEnv } from '../helpers/moto.js';
import { tempDataDir, withDataDir } from '../helpers/data-dir.js';
import { closedPort } from '../helpers/net.js';
import { startUpstream, startUpstreamOn } from '../helpers/upstream.js';
import { ensureBuilt, post, startInstalledDev } from './dev-harness.js';

const ROOT = process.cwd();
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };

let dir: string;
let files: string[];
let bin: string;
let app: string;

/**
 * npm, asynchronously: installing the tarball builds better-sqlite3 from source where no prebuilt binary
 * downloads (minutes), and a spawnSync that long blocks the test worker until vitest's RPC times out.
 */
function npm(
  args: string[],
  cwd: string,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', args, { cwd, env: { ...process.env, CI: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 540_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

function installed(args: string[], env: Record<string, string> = {}) {
  return spawnSync(bin, args, {
    cwd: app,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, CI: '1', ...env },
  });
}

beforeAll(async () => {
  await ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'webhook-proxy-pack-'));
  const packed = await npm(['pack', '--json', '--pack-destination', dir], ROOT);
  expect(packed.status, packed.stderr).toBe(0);
  // npm may print lifecycle output before the JSON: the JSON is the last thing on stdout.
  const json = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('[')));
  files = json[0].files.map((f: { path: string }) => f.path);
  const tarball = join(dir, json[0].filename);

  app = join(dir, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
  const flags = ['install', '--no-audit', '--no-fund', '--no-package-lock'];
  // From the npm cache when it has everything (fast, no network); otherwise from the registry.
  let install = await npm([...flags, '--offline', tarball], app);
  if (install.status !== 0) install = await npm([...flags, tarball], app);
  expect(install.status, install.stderr).toBe(0);
  bin = join(app, 'node_modules/.bin/webhook-proxy');
}, 600_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('ships the launcher, the built CLI, the handler bundles, the templates and the README', () => {
    for (const f of [
      'package.json',
      'README.md',
      'bin/webhook-proxy.js',
      'dist/cli/cli.js',
      'dist/handlers/ingest/index.mjs',
      'dist/handlers/deliver/index.mjs',
    ]) {
      expect(files, f).toContain(f);
    }
    expect(files.some((f) => f.startsWith('templates/') && f.endsWith('.json'))).toBe(true);
  });

  it('ships nothing of the tests, the sources or the benchmark', () => {
    const leaked = files.filter(
      (f) =>
        /^(test|src|bench|scripts|seed|coverage|\.github)\//.test(f) ||
        /\.(ts|tsx|map)$/.test(f) ||
        f.endsWith('meta.json') ||
        /(^|\/)\.env/.test(f),
    );
    expect(leaked).toEqual([]);
  });
});

describe('the installed webhook-proxy', () => {
  it('prints its help and version', () => {
    const help = installed(['--help']);
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain('Usage: webhook-proxy');
    expect(help.stdout).toMatch(/^\s+dev\b/m);
    const version = installed(['--version']);
    expect(version.stdout.trim()).toBe(pkg.version);
  });

  it('runs dev on its disk store: listens, accepts a webhook, delivers it byte for byte, stops cleanly', async () => {
    const upstream = await startUpstream();
    const child = spawn(bin, ['dev', '--json', '--port', '0', '--upstream', `${upstream.url}/hooks`], {
      cwd: app,
      env: { ...process.env, CI: '1', ...withDataDir() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const events: Record<string, unknown>[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => events.push(JSON.parse(line)));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const waitFor = async (event: string) => {
      const end = Date.now() + 30_000;
      for (;;) {
        const found = events.find((e) => e.event === event);
        if (found) return found;
        if (child.exitCode !== null) throw new Error(`dev exited ${child.exitCode}:\n${stderr}`);
        if (Date.now() > end) throw new Error(`no "${event}" event within 30 s:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    try {
      const listening = await waitFor('listening');
      // Durably: the installed package loads its native SQLite module and keeps the queue on disk.
      expect(listening.queue, stderr).toBe('sqlite');
      const body = '{"type":"email.delivered","n":1}';
      const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request(
          `${String(listening.url).replace(/\/$/, '')}/hooks`,
          { method: 'POST', headers: { 'content-type': 'application/json' } },
          (res) => {
            let text = '';
            res.on('data', (c) => (text += c));
            res.on('end', () => resolve({ status: res.statusCode!, text }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
      expect(answer.status).toBe(200);
      const { id } = JSON.parse(answer.text) as { id: string };
      const delivered = await waitFor('delivered');
      expect(delivered.id).toBe(id);
      expect(upstream.received).toHaveLength(1);
      expect(upstream.received[0]!.body.toString()).toBe(body);
      expect(upstream.received[0]!.headers['x-webhook-proxy-id']).toBe(id);
    } finally {
      if (child.exitCode === null) child.kill('SIGTERM');
      const code = await exited;
      await upstream.close();
      expect(code, stderr).toBe(0);
    }
  });

  it('runs dev durably: the store file is on disk, and a webhook accepted while the upstream was down is delivered after a restart', async () => {
    // "Durably" is more than `queue: sqlite`: the installed package's native module must write the
    // file, and a second process must find the webhook in it.
    const port = await closedPort();
    const dataDir = join(tempDataDir(), 'proxy');
    const args = ['--upstream', `http://127.0.0.1:${port}/hooks`, '--data-dir', dataDir];
    const first = await startInstalledDev({ bin, cwd: app }, args);
    const body = '{"type":"email.bounced","n":2}';
    let sent;
    try {
      expect(first.events[0]).toMatchObject({ queue: 'sqlite', dataDir });
      sent = await post(`${first.url.replace(/\/$/, '')}/hooks`, body, {
        'content-type': 'application/json',
      });
      expect(sent.status).toBe(200);
    } finally {
      expect(await first.stop('SIGTERM'), first.stderr()).toBe(0);
    }
    expect(first.events.at(-1)).toMatchObject({ event: 'stopped', queued: 1, lost: false });
    expect(existsSync(join(dataDir, 'queue.db'))).toBe(true);

    const upstream = await startUpstreamOn(port);
    const second = await startInstalledDev({ bin, cwd: app }, args);
    try {
      expect(second.events[0]).toMatchObject({ queue: 'sqlite', resumed: { queued: 1 } });
      const [delivered] = await second.waitFor((e) => e.event === 'delivered', 1, 60_000);
      expect(delivered!.id).toBe(sent.id);
      expect(upstream.received.map((r) => r.body.toString())).toEqual([body]);
      expect(upstream.received[0]!.headers['x-webhook-proxy-id']).toBe(sent.id);
    } finally {
      expect(await second.stop('SIGTERM'), second.stderr()).toBe(0);
      await upstream.close();
    }
  }, 120_000);

  it('plans a proxy with create --dry-run against the AWS API (moto), and changes nothing', async () => {
    const env = motoEnv();
    const r = installed(
      [
        'create',
        'default',
        '--upstream',
        'https://app.example.com/hooks',
        '--dry-run',
        '--region',
        'us-east-1',
        '--json',
      ],
      env,
    );
    expect(r.status, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout) as { name: string; region: string; changes: { action: string }[] };
    expect(plan).toMatchObject({ name: 'default', region: 'us-east-1' });
    expect(plan.changes.length).toBeGreaterThan(0);
    // A dry run only reads: the queue it plans must still not exist.
    const sqs = new SQSClient({
      endpoint: env.AWS_ENDPOINT_URL,
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    const queues = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'webhook-proxy-default' }));
    sqs.destroy();
    expect(queues.QueueUrls ?? []).toEqual([]);
  });
});
