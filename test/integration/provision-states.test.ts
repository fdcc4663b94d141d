/**
 * What `create` waits for, and refuses, before it changes a thing (issue 12 item 9):
 * - a function still `Pending` takes no update (AWS: "any invocations or other API actions that
 *   operate on the function will fail", https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html):
 *   the update is sent only once the function was seen `Active`; a `Failed` one stops create with
 *   what to do;
 * - an ACM certificate that is not ISSUED stops create (exit 1, its status and what to do) before
 *   anything is created;
 * - a new ordered proxy's ingress is held under its FIFO queue's ~300 sends per second (250/s, burst
 *   50) unless the user sets a rate.
 *
 * moto differences: moto's functions are Active the moment they exist, so the Pending and Failed
 * states are shown to the CLI by a middleware on its own Lambda client (GetFunction's answer changed,
 * everything else reaches moto). moto keeps a requested certificate PENDING_VALIDATION for 60 s, as AWS
 * keeps one until its DNS validation resolves, so that state is moto's own.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { handlerZip } from '../../src/proxy/provision/bundle.js';
import { ORDERED_INGRESS } from '../../src/proxy/provision/settings.js';
import { pendingCertificate } from '../helpers/certificates.js';
import { uniqueName, useMoto } from '../helpers/moto.js';
import { anythingNamed, cliAws, describeProxy, undoAll, type Restore } from '../helpers/provision.js';
import { runCli } from '../helpers/proxy-fixture.js';

useMoto();
const UPSTREAM = 'https://app.example.com/hooks';

const restore: Restore = [];
afterEach(() => undoAll(restore));

beforeAll(() => {
  handlerZip('ingest');
  handlerZip('deliver');
});

interface Shown {
  /** Each update sent to the function, with the State the CLI had last been shown for it. */
  updates: { command: string; lastState: string | undefined }[];
  /** How many GetFunction answers were changed. */
  changed: number;
}

/**
 * GetFunction of `fn` answers `state` (with `reason`) for its next `times` calls (Infinity: always);
 * the updates the CLI sends to `fn` are recorded with the last State it was shown.
 */
async function showState(fn: string, state: 'Pending' | 'Failed', times: number, reason?: string) {
  const lambda = await cliAws().lambda();
  const shown: Shown = { updates: [], changed: 0 };
  let last: string | undefined;
  lambda.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { FunctionName?: string };
      const command = String(context.commandName);
      if (input.FunctionName === fn && /^Update(FunctionCode|FunctionConfiguration)Command$/.test(command)) {
        shown.updates.push({ command, lastState: last });
      }
      const result = await next(args);
      if (command === 'GetFunctionCommand' && input.FunctionName === fn) {
        const config = (result.output as { Configuration?: { State?: string; StateReason?: string } })
          .Configuration!;
        if (shown.changed < times) {
          shown.changed++;
          config.State = state;
          if (reason) config.StateReason = reason;
        }
        last = config.State;
      }
      return result;
    },
    { step: 'initialize', name: 'testFunctionState' },
  );
  restore.push(() => lambda.middlewareStack.remove('testFunctionState'));
  return shown;
}

describe('function states', () => {
  it('a Pending function is updated only once it is Active', async () => {
    const name = uniqueName('pend');
    expect((await runCli('create', name, '--upstream', UPSTREAM)).code).toBe(0);
    const { names } = await describeProxy(name);
    // Three Pending answers: create's read of the proxy, the function step's own read, and one poll.
    const shown = await showState(names.deliverFunction, 'Pending', 3);
    const res = await runCli('create', name, '--memory', '512', '--json');
    expect(res.code, res.stderr).toBe(0);
    expect(shown.changed).toBe(3);
    expect(shown.updates.length).toBeGreaterThan(0);
    for (const u of shown.updates) expect(u, u.command).toEqual({ command: u.command, lastState: 'Active' });
    undoAll(restore);
    expect((await describeProxy(name)).functions.deliver.config.MemorySize).toBe(512);
    expect((await runCli('destroy', name, '--yes')).code).toBe(0);
  });

  it('a Failed function stops create (exit 1) with its reason and what to do; it is not updated', async () => {
    const name = uniqueName('fail');
    expect((await runCli('create', name, '--upstream', UPSTREAM)).code).toBe(0);
    const { names } = await describeProxy(name);
    const shown = await showState(names.deliverFunction, 'Failed', Infinity, 'Subnet out of addresses');
    const res = await runCli('create', name, '--memory', '512');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/state Failed \(Subnet out of addresses\)/);
    expect(res.stderr).toContain(`aws lambda delete-function --function-name ${names.deliverFunction}`);
    expect(shown.updates).toEqual([]);
    undoAll(restore);
    expect((await describeProxy(name)).functions.deliver.config.MemorySize).toBe(256);
    expect((await runCli('destroy', name, '--yes')).code).toBe(0);
  });
});

describe('the certificate must be ISSUED', () => {
  it('a certificate pending validation stops create with exit 1, its status and the fix; nothing is created', async () => {
    const name = uniqueName('certp');
    const domain = `hooks.${name}.example`;
    const cert = await pendingCertificate(domain);
    const res = await runCli(
      'create',
      name,
      '--upstream',
      UPSTREAM,
      '--domain',
      domain,
      '--certificate-arn',
      cert,
    );
    expect(res.code, res.stderr).toBe(1);
    expect(res.stderr).toContain(`${cert} is PENDING_VALIDATION, not ISSUED`);
    expect(res.stderr).toMatch(/CNAME record.*describe-certificate/s);
    expect(res.stderr).toContain('Nothing was created');
    expect(await anythingNamed(name)).toEqual([]);
  });
});

describe('an ordered proxy and its FIFO group limit', () => {
  it('a new ordered proxy gets 250/s, burst 50 at the door; a re-run keeps it; a rate the user gives wins', async () => {
    expect(ORDERED_INGRESS.rate + ORDERED_INGRESS.burst).toBeLessThanOrEqual(300);
    const name = uniqueName('ordin');
    const res = await runCli('create', name, '--upstream', UPSTREAM, '--ordered', '--json');
    expect(res.code, res.stderr).toBe(0);
    const d = await describeProxy(name, { ordered: true });
    expect(d.stage?.DefaultRouteSettings).toMatchObject({
      ThrottlingRateLimit: 250,
      ThrottlingBurstLimit: 50,
    });
    // A re-run without ingress flags changes nothing.
    const again = await runCli('create', name, '--json');
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).settings).toEqual([]);
    expect((await runCli('destroy', name, '--yes')).code).toBe(0);

    const own = uniqueName('ordown');
    const given = await runCli(
      'create',
      own,
      '--upstream',
      UPSTREAM,
      '--ordered',
      '--ingress-rate',
      '100',
      '--ingress-burst',
      '20',
    );
    expect(given.code, given.stderr).toBe(0);
    expect((await describeProxy(own, { ordered: true })).stage?.DefaultRouteSettings).toMatchObject({
      ThrottlingRateLimit: 100,
      ThrottlingBurstLimit: 20,
    });
    expect((await runCli('destroy', own, '--yes')).code).toBe(0);

    // An unordered proxy has no limit unless asked.
    const plain = uniqueName('plain');
    expect((await runCli('create', plain, '--upstream', UPSTREAM)).code).toBe(0);
    expect((await describeProxy(plain)).stage?.DefaultRouteSettings?.ThrottlingRateLimit).toBeUndefined();
    expect((await runCli('destroy', plain, '--yes')).code).toBe(0);
  });
});
