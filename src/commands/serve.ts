/**
 * `webhook-proxy serve`: the local runtime run for real on one machine (under systemd, a container,
 * a process manager): no dashboard, one JSON line per event on stdout, the health endpoint
 * (GET /__webhook-proxy/health), loopback unless --host says otherwise, and a graceful SIGTERM:
 * new webhooks get 503 + Retry-After, the ones being stored and the deliveries in flight finish,
 * exit 0. Same flags and runtime as `dev` (local-run.ts).
 */
import type { Command } from 'commander';
import { addLocalProxyOptions, runLocalProxy, type LocalProxyOptions } from './local-run.js';
import type { CommandContext, CommandSpec } from './types.js';

export const serve: CommandSpec<LocalProxyOptions> = {
  name: 'serve',
  summary: 'Run the proxy as a service on this machine: JSON log lines, health endpoint, graceful SIGTERM',
  configure(cmd: Command) {
    return addLocalProxyOptions(cmd, 'serve');
  },
  async run(ctx: CommandContext<LocalProxyOptions>) {
    const { serveOutput } = await import('../ui/dev-output.js');
    return runLocalProxy(ctx, 'serve', async () => serveOutput());
  },
};
