/**
 * Every exit code the README's "Exit codes" list states, through the built binary as a user runs it
 * (against moto where a proxy is needed). The codes already covered elsewhere are named here so the
 * list stays whole: 1 for a proxy that is not there (ops-binary.test.ts), 3 for a drain that times out
 * (ops-queue.test.ts), 130/143 for Ctrl-C and SIGTERM during drain and status --watch
 * (interrupts.test.ts). This file: a bare `webhook-proxy`, `destroy` of a missing proxy, `destroy`
 * with no terminal and no --yes, declining the confirmation, Ctrl-C at the confirmation, SIGHUP.
 */
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { runBinAsync, spawnBin } from '../helpers/bin.js';
import { motoEnv, TEST_REGION, uniqueName, useMoto } from '../helpers/moto.js';
import { createProxyFixture, fillQueue } from '../helpers/proxy-fixture.js';
import { CTRL_C, plainText, runInPty } from '../helpers/pty.js';
import { ensureBuilt } from './dev-harness.js';

useMoto();
const env = motoEnv();
beforeAll(() => ensureBuilt());
const bin = (...args: string[]) => runBinAsync(args, env);

async function queueExists(queueName: string): Promise<boolean> {
  try {
    await new SQSClient({}).send(new GetQueueUrlCommand({ QueueName: queueName }));
    return true;
  } catch {
    return false;
  }
}

describe('exit codes', () => {
  it('2: a bare webhook-proxy (no command) shows the help on stderr', async () => {
    const r = await bin();
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Usage: webhook-proxy');
  });

  it('1 with --json: a proxy that is not there is a JSON error on stderr, stdout empty', async () => {
    const r = await bin('status', 'no-such-proxy-here', '--json');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const { error } = JSON.parse(r.stderr.trim()) as { error: Record<string, unknown> };
    expect(error).toMatchObject({ code: 'proxy_not_found' });
    expect(error.message).toContain('No webhook proxy named "no-such-proxy-here"');
    expect(error.hint).toContain(`webhook-proxy list --region ${TEST_REGION}`);
  });

  it('0: destroy of a proxy that is not there deletes nothing and says so (a teardown can re-run)', async () => {
    const r = await bin('destroy', 'no-such-proxy-here', '--yes');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      `Nothing to delete: there is no proxy "no-such-proxy-here" in ${TEST_REGION}.`,
    );
    const json = await bin('destroy', 'no-such-proxy-here', '--yes', '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ name: 'no-such-proxy-here', deleted: [] });
  });

  it('2: destroy with no terminal to ask on and no --yes; 1: declining the question; 130: Ctrl-C at it', async () => {
    const name = uniqueName('exitq');
    const f = await createProxyFixture(name);
    const queueName = f.queueUrl.split('/').pop()!;

    const noTty = await bin('destroy', name);
    expect(noTty.code, noTty.stderr).toBe(2);
    expect(noTty.stderr).toMatch(/destroy needs confirmation: pass --yes/);

    const declined = await runInPty(['destroy', name], env, [{ when: /\[y\/N\]/, send: 'n\r' }]);
    const said = plainText(declined.output);
    expect(declined.stepsLeft, said).toEqual([]);
    expect(declined.status, said).toBe(1);
    expect(said).toContain('Nothing was deleted.');

    const interrupted = await runInPty(['destroy', name], env, [{ when: /\[y\/N\]/, send: CTRL_C }]);
    const text = plainText(interrupted.output);
    expect(interrupted.stepsLeft, text).toEqual([]);
    expect(interrupted.signal, text).toBeNull();
    expect(interrupted.status, text).toBe(130);
    expect(text).toContain('Interrupted. Nothing was deleted.');

    expect(await queueExists(queueName)).toBe(true);
  });

  it('129: SIGHUP (the terminal closed) during a drain', async () => {
    const name = uniqueName('exithup');
    const f = await createProxyFixture(name, { enabled: true });
    await fillQueue(f.queueUrl, 2);
    const child = spawnBin(['drain', name, '--interval', '0.5'], env);
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    await new Promise<void>((resolve) =>
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
        if (/queued|waiting|drain/i.test(stderr)) resolve();
      }),
    );
    child.kill('SIGHUP');
    expect(await exited, stderr).toBe(129);
  });
});
