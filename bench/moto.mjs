// Start moto (the AWS API emulator) on a free loopback port for the benchmark's control-plane figures;
// the same steps as test/setup/moto.ts, in plain JavaScript so `node bench/run.mjs` needs no loader.
import { spawn, spawnSync } from 'node:child_process';
import { freePort, sleep } from './lib.mjs';

export function motoInstalled() {
  return spawnSync('python3', ['-c', 'import moto.server'], { encoding: 'utf8' }).status === 0;
}

export async function startMoto() {
  const port = await freePort();
  let output = '';
  const child = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, MOTO_ALLOW_NONEXISTENT_REGION: 'false' },
  });
  const keep = (d) => (output = (output + d).slice(-4000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.race([new Promise((r) => child.once('exit', r)), sleep(5000)]);
  };
  const end = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto exited with code ${child.exitCode}:\n${output}`);
    try {
      const res = await fetch(`${url}/moto-api/`);
      if (res.status < 500) return { url, stop };
    } catch {
      /* not listening yet */
    }
    if (Date.now() > end) {
      await stop();
      throw new Error(`moto did not start within 60 s:\n${output}`);
    }
    await sleep(200);
  }
}
