/**
 * The handler bundles under the Lambda runtime's module resolution. On Lambda, `index.mjs` sits alone
 * in /var/task and the only packages it can reach are the ones the nodejs runtime ships in
 * /var/runtime/node_modules: the AWS SDK for JavaScript v3 and what it depends on ("Runtime-included
 * SDK versions", https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html; a missing package is
 * `ERR_MODULE_NOT_FOUND` at the first import, https://repost.aws/knowledge-center/lambda-import-module-error-nodejs).
 * Every other test imports the handlers from src/ with this repository's node_modules in reach, so a
 * bundle that leaves a package external (or a build change that stops bundling one) would pass them
 * all and fail on every invocation in AWS.
 *
 * So: each built dist/handlers/<name>/index.mjs is copied into a temporary task directory next to a
 * node_modules that holds only the @aws-sdk/*, @smithy/* and @aws-crypto/* packages and their
 * dependency closure (copied, not linked: a symlink would resolve into the repository and reach all
 * of its packages), and run in a fresh `node` with an environment built from nothing (no NODE_OPTIONS,
 * no NODE_PATH, HOME in the temporary directory). The child first proves that it cannot import
 * `commander` (a package of the CLI, not of the runtime), then imports every package the bundle's
 * metafile lists as external (so a lazy import on a path this test does not take is caught as well),
 * then imports the bundle and invokes `handler` with an event shaped as AWS sends it: `ingest` stores
 * an API Gateway HTTP API payload-2.0 webhook in a moto SQS queue, `deliver` takes that message as an
 * SQS event and sends it to a real upstream on 127.0.0.1.
 *
 * The runtime's SDK is a different version from this repository's (AWS updates it with the runtime):
 * this proves what is reachable, not which SDK version the code needs. The child runs this machine's
 * Node, which may be older than the nodejs24.x runtime.
 */
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEnvelope, envelopeBody } from '../../src/envelope.js';
import { ENV } from '../../src/handlers/ports.js';
import { httpApiEvent, sqsEvent, sqsRecord } from '../helpers/events.js';
import { motoEnv, TEST_REGION, uniqueName, useMoto } from '../helpers/moto.js';
import { startUpstream } from '../helpers/upstream.js';
import { ensureBuilt } from './dev-harness.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The scopes the Lambda nodejs runtime's /var/runtime/node_modules holds, with their dependencies. */
const RUNTIME_SCOPES = ['@aws-sdk', '@smithy', '@aws-crypto'];

/** `dep` as Node would find it from the package in `pkgDir`: the nearest node_modules/dep upwards. */
function findPackage(dep: string, pkgDir: string): string | undefined {
  for (let dir = pkgDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', dep);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === ROOT || dir === dirname(dir)) return undefined;
  }
}

/** Every package directory of the runtime's scopes and their dependency closure, in this repository. */
function runtimePackages(): string[] {
  const queue: string[] = [];
  for (const scope of RUNTIME_SCOPES) {
    const dir = join(ROOT, 'node_modules', scope);
    if (existsSync(dir)) for (const name of readdirSync(dir)) queue.push(join(dir, name));
  }
  const seen = new Set<string>();
  while (queue.length) {
    const pkg = queue.pop()!;
    if (seen.has(pkg) || !existsSync(join(pkg, 'package.json'))) continue;
    seen.add(pkg);
    const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as Record<string, unknown>;
    const deps = { ...(manifest.optionalDependencies as object), ...(manifest.dependencies as object) };
    for (const dep of Object.keys(deps)) {
      const found = findPackage(dep, pkg);
      if (found) queue.push(found);
    }
  }
  return [...seen];
}

/** The repository's runtime packages, at the same relative places under `into` (nested ones too). */
function copyRuntimePackages(into: string): string[] {
  const packages = runtimePackages();
  for (const pkg of packages) {
    const nested = join(pkg, 'node_modules');
    cpSync(pkg, join(into, relative(ROOT, pkg)), {
      recursive: true,
      dereference: true,
      // A package's own node_modules is copied only as far as the closure reaches into it.
      filter: (src) => src !== nested && !src.startsWith(nested + sep),
    });
  }
  return packages.map((p) => relative(join(ROOT, 'node_modules'), p));
}

/**
 * Stands in for the runtime's bootstrap, and sits in the task directory so that every `import()` in
 * it resolves exactly as it would from the bundle. The plan says what to import and invoke.
 */
const RUNNER = `
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const plan = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const out = { missing: {}, loaded: [], commander: null };
try {
  await import('commander');
  out.commander = 'imported';
} catch (err) {
  out.commander = err.code ?? String(err);
}
for (const spec of plan.externals) {
  try {
    await import(spec);
    out.loaded.push(spec);
  } catch (err) {
    out.missing[spec] = (err.code ? err.code + ': ' : '') + err.message;
  }
}
const deadline = Date.now() + plan.timeoutMs;
const context = {
  functionName: plan.functionName,
  awsRequestId: '8f5e3d8e-0000-4000-8000-000000000000',
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
};
try {
  const mod = await import(pathToFileURL(plan.bundle).href);
  out.result = await mod.handler(plan.event, context);
} catch (err) {
  out.error = (err.code ? err.code + ': ' : '') + (err.stack ?? String(err));
}
writeFileSync(plan.out, JSON.stringify(out));
`;

interface RunOutcome {
  commander: string | null;
  loaded: string[];
  missing: Record<string, string>;
  result?: unknown;
  error?: string;
}

let root: string;
let copied: string[];

/** The packages `bundle` leaves to the runtime, from the metafile the build writes beside it. */
function externalPackages(handler: string): string[] {
  const meta = JSON.parse(readFileSync(join(ROOT, 'dist/handlers', handler, 'meta.json'), 'utf8')) as {
    outputs: Record<string, { imports: { path: string; external?: boolean }[] }>;
  };
  const specs = Object.values(meta.outputs).flatMap((o) =>
    o.imports.filter((i) => i.external).map((i) => i.path),
  );
  return [...new Set(specs.filter((s) => !s.startsWith('node:')))];
}

/** The Lambda environment of one function: nothing from this process but PATH. */
function lambdaEnv(taskDir: string, functionName: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: root,
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    LAMBDA_TASK_ROOT: taskDir,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
    AWS_DEFAULT_REGION: TEST_REGION,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...motoEnv(),
    ...extra,
  };
}

/** Copy `source` (a bundle, or a stand-in) into a fresh task directory and run the plan on it. */
async function runInRuntime(
  source: string,
  opts: { name: string; externals: string[]; event: unknown; env: Record<string, string> },
): Promise<RunOutcome & { stderr: string }> {
  const taskDir = mkdtempSync(join(root, `task-${opts.name}-`));
  const bundle = join(taskDir, 'index.mjs');
  cpSync(source, bundle);
  writeFileSync(join(taskDir, 'runner.mjs'), RUNNER);
  const out = join(taskDir, 'out.json');
  const planFile = join(taskDir, 'plan.json');
  const functionName = `webhook-proxy-bundle-${opts.name}`;
  writeFileSync(
    planFile,
    JSON.stringify({
      bundle,
      externals: opts.externals,
      event: opts.event,
      out,
      functionName,
      timeoutMs: 30_000,
    }),
  );
  const env = lambdaEnv(taskDir, functionName, opts.env);
  expect(env.NODE_OPTIONS).toBeUndefined();
  expect(env.NODE_PATH).toBeUndefined();
  const child = spawn(process.execPath, [join(taskDir, 'runner.mjs'), planFile], {
    cwd: taskDir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout.resume();
  const code = await new Promise<number | null>((r) => child.on('close', r));
  expect(code, stderr).toBe(0);
  return { ...(JSON.parse(readFileSync(out, 'utf8')) as RunOutcome), stderr };
}

let sqs: SQSClient;
let queueUrl: string;
let upstream: Awaited<ReturnType<typeof startUpstream>>;

beforeAll(async () => {
  await ensureBuilt();
  const endpoint = useMoto();
  root = mkdtempSync(join(tmpdir(), 'webhook-proxy-lambda-runtime-'));
  mkdirSync(join(root, 'node_modules'));
  copied = copyRuntimePackages(root);
  sqs = new SQSClient({ region: TEST_REGION, endpoint });
  const created = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('wp-bundle-runtime') }));
  queueUrl = created.QueueUrl!;
  upstream = await startUpstream((_r, res) => res.end('ok'));
});

afterAll(async () => {
  await upstream?.close();
  if (queueUrl) await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
  sqs?.destroy();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('the handler bundles under the Lambda runtime module resolution', () => {
  it('the stand-in runtime holds the SDK and nothing the CLI uses', () => {
    expect(copied).toContain('@aws-sdk/client-sqs');
    expect(copied.some((p) => p.startsWith('@smithy/'))).toBe(true);
    for (const p of ['commander', 'ink', 'react', 'esbuild', 'better-sqlite3', 'vitest']) {
      expect(copied).not.toContain(p);
    }
  });

  it('a bundle that imports a package the runtime lacks fails there (the check can fail)', async () => {
    const standIn = join(root, 'needs-commander.mjs');
    writeFileSync(
      standIn,
      "import { Command } from 'commander';\nexport const handler = async () => new Command().name();\n",
    );
    const run = await runInRuntime(standIn, {
      name: 'stand-in',
      externals: ['commander', '@aws-sdk/client-sqs'],
      event: {},
      env: {},
    });
    expect(run.commander).toBe('ERR_MODULE_NOT_FOUND');
    expect(Object.keys(run.missing)).toEqual(['commander']);
    expect(run.loaded).toEqual(['@aws-sdk/client-sqs']);
    expect(run.error).toMatch(/ERR_MODULE_NOT_FOUND[\s\S]*commander/);
  });

  let stored: { id: string; messageId: string; receiptHandle: string; body: string };
  // Not valid UTF-8 (so it travels base64), with a signature header the upstream must get unchanged.
  const payload = Buffer.concat([
    Buffer.from('{"event":"delivered","n":1}'),
    randomBytes(64),
    Buffer.from([0xff, 0]),
  ]);

  it('ingest stores an HTTP API webhook in SQS, its bytes exactly', async () => {
    const event = httpApiEvent({
      rawPath: '/hooks/mail',
      rawQueryString: 'source=esp&x=1',
      headers: { 'content-type': 'application/octet-stream', 'x-signature': 'sha256=abc123' },
      body: payload,
    });
    const externals = externalPackages('ingest');
    const run = await runInRuntime(join(ROOT, 'dist/handlers/ingest/index.mjs'), {
      name: 'ingest',
      externals,
      event,
      env: { [ENV.queueUrl]: queueUrl, [ENV.proxyName]: 'bundle-runtime' },
    });
    expect(run.commander).toBe('ERR_MODULE_NOT_FOUND');
    expect(run.missing).toEqual({});
    expect(run.loaded).toEqual(externals);
    expect(run.error, run.stderr).toBeUndefined();
    const result = run.result as { statusCode: number; body: string };
    expect(result.statusCode).toBe(200);
    const { id } = JSON.parse(result.body) as { id: string };

    const got = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    expect(got.Messages).toHaveLength(1);
    const message = got.Messages![0]!;
    const envelope = decodeEnvelope(message.Body!);
    expect(envelope.id).toBe(id);
    expect(envelopeBody(envelope).equals(payload)).toBe(true);
    expect(envelope).toMatchObject({
      method: 'POST',
      rawPath: '/hooks/mail',
      rawQueryString: 'source=esp&x=1',
      headers: { 'x-signature': 'sha256=abc123', 'content-type': 'application/octet-stream' },
    });
    stored = {
      id,
      messageId: message.MessageId!,
      receiptHandle: message.ReceiptHandle!,
      body: message.Body!,
    };
  });

  it('deliver sends that SQS message to a real upstream, byte for byte', async () => {
    expect(stored, 'the ingest test stores the message this one delivers').toBeDefined();
    const record = {
      ...sqsRecord(stored.body, { messageId: stored.messageId }),
      receiptHandle: stored.receiptHandle,
    };
    const externals = externalPackages('deliver');
    const run = await runInRuntime(join(ROOT, 'dist/handlers/deliver/index.mjs'), {
      name: 'deliver',
      externals,
      event: sqsEvent([record]),
      env: {
        [ENV.queueUrl]: queueUrl,
        [ENV.upstream]: `${upstream.url}/app/webhooks`,
        [ENV.preservePath]: '1',
        [ENV.timeout]: '10',
        [ENV.proxyName]: 'bundle-runtime',
      },
    });
    expect(run.commander).toBe('ERR_MODULE_NOT_FOUND');
    expect(run.missing).toEqual({});
    expect(run.loaded).toEqual(externals);
    expect(run.error, run.stderr).toBeUndefined();
    expect(run.result).toEqual({ batchItemFailures: [] });

    expect(upstream.received).toHaveLength(1);
    const got = upstream.received[0]!;
    expect(got.method).toBe('POST');
    expect(got.url).toBe('/app/webhooks/hooks/mail?source=esp&x=1');
    expect(got.body.equals(payload)).toBe(true);
    expect(got.headers['x-signature']).toBe('sha256=abc123');
    expect(got.headers['x-webhook-proxy-id']).toBe(stored.id);
    expect(got.headers['x-webhook-proxy-attempt']).toBe('1');
  });
});
