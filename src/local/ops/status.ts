/**
 * `status --local`: the AWS status shape (proxy/inspect.ts ProxyStatus) read from queue.db and
 * server.json. Delivery state: paused (settings), enabled (a server runs), or stopped (none runs:
 * webhooks wait in the file until one starts). Concurrency and rate are the settings the server
 * reported or a `scale --local` wrote.
 */
import type { ProxyStatus } from '../../proxy/inspect.js';
import { MAIN } from '../store/schema.js';
import { readSettings } from '../store/settings.js';
import { localAdaptive } from './delivery.js';
import { localCounts, type LocalProxy } from './open.js';

export function localStatus(p: LocalProxy, now = Date.now()): ProxyStatus {
  const counts = localCounts(p.db, now);
  const settings = readSettings(p.db);
  // The envelope's first row by insertion order is the oldest one waiting (seq grows with every send).
  const oldest = p.db
    .prepare('SELECT sent_at FROM messages WHERE queue = ? ORDER BY seq LIMIT 1')
    .get(MAIN) as { sent_at: number } | undefined;
  const server = p.server;
  return {
    name: p.name,
    region: p.region,
    ordered: false,
    endpoint: server?.url ?? null,
    customUrl: null,
    upstream: server?.upstream ?? settings.applied?.upstream ?? null,
    delivery: {
      state: settings.paused ? 'paused' : server ? 'enabled' : 'stopped',
      mappingState: null,
      concurrency: settings.concurrency ?? null,
      // One process, one shared pacer: every slot may run, no plan divides the rate between them.
      containers: settings.concurrency ?? null,
      rate: settings.rate ?? null,
      adaptive: localAdaptive(p),
    },
    queue: {
      visible: counts.visible,
      inFlight: counts.inFlight,
      delayed: counts.delayed,
      oldestAgeSeconds: oldest ? Math.max(0, Math.round((now - oldest.sent_at) / 1000)) : null,
    },
    dlq: { visible: counts.dlq },
    stall: null,
    missing: [],
    local: {
      dataDir: p.dataDir,
      server: server ? { pid: server.pid, url: server.url, startedAt: server.startedAt } : null,
    },
  };
}
