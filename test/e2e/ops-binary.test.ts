/**
 * The runbook commands through the built binary (`npm run build` first), as an operator runs them:
 * a real process, its exit codes, stdout for results and stderr for progress. Against moto.
 */
import { describe, expect, it } from 'vitest';
import { runBinAsync, spawnBin } from '../helpers/bin.js';
import { motoEnv, TEST_REGION, uniqueName, useMoto } from '../helpers/moto.js';
import { counts, createProxyFixture, fillQueue } from '../helpers/proxy-fixture.js';

useMoto();

const bin = (...args: string[]) => runBinAsync(args, motoEnv());

describe('built binary: runbook', () => {
  it('status, pause, redrive, drain timeout and an unknown proxy', async () => {
    const name = uniqueName('bin');
    const f = await createProxyFixture(name, { enabled: false });
    await fillQueue(f.queueUrl, 5);
    await fillQueue(f.dlqUrl, 2);

    const st = await bin('status', name, '--json');
    expect(st.code, st.stderr).toBe(0);
    expect(JSON.parse(st.stdout)).toMatchObject({ name, queue: { visible: 5 }, dlq: { visible: 2 } });

    const rd = await bin('redrive', name);
    expect(rd.code, rd.stderr).toBe(0);
    expect(rd.stdout).toContain('moved 2 messages');
    expect(rd.stderr).toContain('Copying messages');
    expect(await counts(f.queueUrl)).toMatchObject({ visible: 7 });

    // Paused: the drain says at once that it cannot finish, instead of waiting out its timeout.
    const dr = await bin('drain', name, '--timeout', '600', '--interval', '0.2');
    expect(dr.code).toBe(1);
    expect(dr.stderr).toContain(
      `"${name}" cannot drain: delivery is paused, so its 7 webhooks will not leave the queue.`,
    );
    expect(dr.stderr).toContain(`"webhook-proxy resume ${name} --region ${TEST_REGION}"`);

    const nf = await bin('status', 'no-such-proxy-here');
    expect(nf.code).toBe(1);
    expect(nf.stderr).toContain(`No webhook proxy named "no-such-proxy-here" in ${TEST_REGION}`);

    const watch = await bin('status', name, '--help');
    expect(watch.stdout).toContain('--watch');
  });

  it('status --watch with no name watches every proxy in the region (the README promises all of them)', async () => {
    const a = uniqueName('wa');
    const b = uniqueName('wb');
    await createProxyFixture(a, { enabled: false });
    await createProxyFixture(b, { enabled: false });
    const child = spawnBin(['status', '--watch', '--json', '--interval', '0.5'], motoEnv());
    const exited = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    let out = '';
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const names = new Set<string>();
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        for (const line of out.split('\n').slice(0, -1)) {
          const r = JSON.parse(line) as { name?: string; error?: unknown };
          if (r.name && !r.error) names.add(r.name);
        }
        if (names.has(a) && names.has(b)) resolve();
      }),
    );
    child.kill('SIGTERM');
    expect(await exited, stderr).toBe(143);
    expect([...names]).toEqual(expect.arrayContaining([a, b]));
  });
});
