/**
 * What the `serve` test files share: an upstream on loopback and the built `serve` in front of it
 * (dev-harness.ts), both stopped after the file however it ended, and a plain GET for the health
 * endpoint. Restarting `serve` (a new start on the same data directory) replaces the one it holds.
 */
import { request } from 'node:http';
import { afterAll, beforeAll } from 'vitest';
import { startUpstream, type Responder } from '../helpers/upstream.js';
import { ensureBuilt, startServe, type DevProcess } from './dev-harness.js';

export type Upstream = Awaited<ReturnType<typeof startUpstream>>;

export interface ServeFixture {
  /** The latest upstream and serve started here (undefined once `done`). */
  upstream?: Upstream;
  serve?: DevProcess;
  startUpstream(respond?: Responder): Promise<Upstream>;
  /** `serve --port 0 ...args` (the previous one, if any, must have stopped). */
  startServe(args: string[], env?: Record<string, string>): Promise<DevProcess>;
  /** Stop both now (serve with SIGKILL if still running): the next test starts afresh. */
  done(): Promise<void>;
}

/** Call once at the top of a test file: registers the build and the cleanup. */
export function serveFixture(): ServeFixture {
  const f: ServeFixture = {
    async startUpstream(respond) {
      f.upstream = await startUpstream(respond);
      return f.upstream;
    },
    async startServe(args, env) {
      f.serve = await startServe(args, env);
      return f.serve;
    },
    async done() {
      await f.serve?.stop('SIGKILL');
      await f.upstream?.close();
      f.serve = undefined;
      f.upstream = undefined;
    },
  };
  beforeAll(ensureBuilt);
  afterAll(() => f.done());
  return f;
}

export function get(url: string, method = 'GET'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
