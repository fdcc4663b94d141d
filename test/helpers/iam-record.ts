/**
 * The call recorder of the IAM simulation: a middleware (through the test seam src/aws/client-hooks.ts)
 * on every SDK client the package builds that, while a recording is on, notes each call's service,
 * operation, the names and ARNs in its input, and whose client made it (the CLI's or a handler's).
 * In-process a test turns it on with startRecording(); a child process records when
 * WEBHOOK_PROXY_TEST_IAM_LOG names a file (one JSON line per call). iam-policy.ts judges the calls.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import type { HookedClient, HookSettings } from '../../src/aws/client-hooks.js';
import { clientHooks } from '../../src/aws/client-hooks.js';

export interface RecordedAwsCall {
  /** The SDK client's name: SQSClient, LambdaClient, ... */
  client: string;
  /** The operation: CreateQueue, ... */
  operation: string;
  /** The request's input without bodies and code (names, URLs, ARNs, settings). */
  input: Record<string, unknown>;
  source: 'cli' | 'handler';
  region?: string;
  /** From the answer: the function an event source mapping belongs to (its IAM condition key). */
  functionArn?: string;
}

const SINK = Symbol.for('webhook-proxy.iamRecording');
type G = { [SINK]?: RecordedAwsCall[] };

/** Record every call from now on (in this process); the returned list fills as calls are made. */
export function startRecording(): RecordedAwsCall[] {
  return ((globalThis as G)[SINK] = []);
}
export function stopRecording(): void {
  delete (globalThis as G)[SINK];
}

/** Read what child processes recorded into `file`. */
export function readRecording(file: string): RecordedAwsCall[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as RecordedAwsCall);
}

/** Names, ARNs and settings are short strings; bodies, code and blobs are left out. */
function prune(value: unknown, depth = 0): unknown {
  if (value instanceof Uint8Array || depth > 5) return undefined;
  if (typeof value === 'string') return value.length > 2048 ? `<${value.length} chars>` : value;
  if (Array.isArray(value)) return value.map((x) => prune(x, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(value)) {
      if (k === 'MessageBody' || k === 'ZipFile') continue;
      out[k] = prune(x, depth + 1);
    }
    return out;
  }
  return value;
}

type Handler = (args: { input: Record<string, unknown> }) => Promise<unknown>;
type Stack = {
  add(
    mw: (next: Handler, context: { clientName?: string; commandName?: string }) => Handler,
    o: object,
  ): void;
};

function install(client: HookedClient, settings: HookSettings): void {
  (client.middlewareStack as Stack).add(
    (next, context) => async (args) => {
      const sink = (globalThis as G)[SINK];
      const file = process.env.WEBHOOK_PROXY_TEST_IAM_LOG;
      if (sink || file) {
        const call: RecordedAwsCall = {
          client: context.clientName ?? '?',
          operation: (context.commandName ?? '?').replace(/Command$/, ''),
          input: prune(args.input ?? {}) as Record<string, unknown>,
          source: settings.source ?? 'cli',
          region: settings.region,
        };
        const note = () => {
          sink?.push(call);
          if (file) appendFileSync(file, `${JSON.stringify(call)}\n`);
        };
        try {
          const result = (await next(args)) as { output?: { FunctionArn?: string } };
          call.functionArn = result.output?.FunctionArn;
          note();
          return result;
        } catch (err) {
          note();
          throw err;
        }
      }
      return next(args);
    },
    // After the AWS rules (a refused request never reaches AWS, so needs no permission).
    { step: 'initialize', name: 'testIamRecorder', priority: 'low' },
  );
}

const INSTALLED = Symbol.for('webhook-proxy.iamRecorderInstalled');
/** Once per process (the setup file and the preload both call it). */
export function installIamRecorder(): void {
  const g = globalThis as { [INSTALLED]?: boolean };
  if (g[INSTALLED]) return;
  g[INSTALLED] = true;
  clientHooks().push(install);
}
