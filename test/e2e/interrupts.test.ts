/**
 * Ctrl-C and kill during the commands that change something for a while or own the terminal, with the
 * built CLI against moto:
 * - `drain --concurrency N` on a terminal (a real pseudo-terminal, ink rendering): Ctrl-C typed while
 *   the boost is on restores the old MaximumConcurrency (read back with the SDK) and exits 130. Before,
 *   ink's signal-exit re-raised SIGINT and killed the process before the restore (src/interrupts.ts);
 * - the same drain in a pipe (no ink) on SIGINT (130) and SIGTERM (143);
 * - `status --watch` on a terminal: Ctrl-C exits 130 with the cursor shown again.
 * The proxy's mapping is enabled but moto runs no functions, so the queue keeps its messages and the
 * drain keeps waiting until it is interrupted (a paused proxy's drain now fails at once, by design).
 */
import { GetEventSourceMappingCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnBin } from '../helpers/bin.js';
import { motoEnv, uniqueName, useMoto } from '../helpers/moto.js';
import { createProxyFixture, fillQueue } from '../helpers/proxy-fixture.js';
import { CTRL_C, plainText, runInPty } from '../helpers/pty.js';
import { ensureBuilt } from './dev-harness.js';

useMoto();
const env = motoEnv();
beforeAll(() => ensureBuilt());

async function concurrencyOf(uuid: string) {
  const m = await new LambdaClient({}).send(new GetEventSourceMappingCommand({ UUID: uuid }));
  return m.ScalingConfig?.MaximumConcurrency;
}

async function proxyWithStuckMessages(prefix: string) {
  const name = uniqueName(prefix);
  const f = await createProxyFixture(name, { enabled: true, concurrency: 3 });
  await fillQueue(f.queueUrl, 4);
  return { name, f };
}

describe('drain --concurrency, interrupted', () => {
  it('on a terminal: Ctrl-C while boosted restores the concurrency and exits 130', async () => {
    const { name, f } = await proxyWithStuckMessages('intpty');
    const r = await runInPty(['drain', name, '--concurrency', '40', '--interval', '0.5'], env, [
      { when: /raised from 3 to 40/, send: CTRL_C },
    ]);
    const text = plainText(r.output);
    expect(r.stepsLeft, text).toEqual([]);
    expect(r.signal, text).toBeNull();
    expect(r.status, text).toBe(130);
    expect(await concurrencyOf(f.mappingUuid)).toBe(3);
    expect(text).toContain(`Drain of "${name}" interrupted; nothing was deleted.`);
    expect(text).toContain('Concurrency restored to 3.');
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('in a pipe: %s while boosted restores the concurrency and exits %i', async (sig, code) => {
    const { name, f } = await proxyWithStuckMessages('intsig');
    const child = spawnBin(['drain', name, '--concurrency', '40', '--interval', '0.5'], env);
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    await new Promise<void>((resolve) =>
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
        if (stderr.includes('raised from 3 to 40')) resolve();
      }),
    );
    expect(await concurrencyOf(f.mappingUuid)).toBe(40);
    child.kill(sig);
    expect(await exited, stderr).toBe(code);
    expect(await concurrencyOf(f.mappingUuid)).toBe(3);
    expect(stderr).toContain('Concurrency restored to 3.');
  });
});

describe('status --watch, interrupted', () => {
  it('on a terminal: Ctrl-C ends the dashboard, shows the cursor again and exits 130', async () => {
    const { name } = await proxyWithStuckMessages('intwatch');
    const r = await runInPty(['status', name, '--watch', '--interval', '0.5'], env, [
      { when: new RegExp(`${name}[\\s\\S]*${name}`), send: CTRL_C },
    ]);
    const text = plainText(r.output);
    expect(r.stepsLeft, text).toEqual([]);
    expect(r.signal, text).toBeNull();
    expect(r.status, text).toBe(130);
    // ink hid the cursor while it drew; the last word on the terminal is showing it again.
    const hidden = r.output.lastIndexOf('\x1b[?25l');
    expect(hidden).toBeGreaterThanOrEqual(0);
    expect(r.output.lastIndexOf('\x1b[?25h')).toBeGreaterThan(hidden);
  });
});
