/**
 * The disk store's delivery side in a worker thread (started by delivery-thread.ts): its own SQLite
 * connection to the same file (WAL lets the ingest thread commit while this one reads), the same
 * delivery side as on one thread (delivery-side.ts). What it reports goes to the main thread in
 * batches, a few per second rather than one message per event. Nothing here holds a webhook that is
 * not in the file: a kill -9 loses nothing, the next start hands the leased ones out again.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ControlSnapshot } from '../handlers/control/index.js';
import {
  eventRecorder,
  onEmbeddedDeadLetter,
  startDeliverySide,
  type DeliverySide,
  type DeliverySink,
} from './delivery-side.js';
import type { LiveDelivery } from './settings-watch.js';
import { openStoreDb } from './store/open.js';
import { SqliteQueue } from './store/sqlite-queue.js';
import type { FromWorker, ToWorker, WorkerStart } from './delivery-thread.js';

/** How long reports gather before they are posted: the dashboard and --json lag by at most this. */
const BATCH_MS = 20;

const port = parentPort!;
const start = workerData as WorkerStart;
const post = (m: FromWorker) => port.postMessage(m);

let batch: FromWorker & { t: 'batch' } = { t: 'batch', items: [] };
let timer: NodeJS.Timeout | undefined;
let side: DeliverySide | undefined;
const controlSnapshot = (): ControlSnapshot | undefined => side?.control.snapshot();

function flushReports(): void {
  clearTimeout(timer);
  timer = undefined;
  if (!batch.items.length) return;
  const out = batch;
  batch = { t: 'batch', items: [] };
  out.control = controlSnapshot();
  post(out);
}
function report(item: (FromWorker & { t: 'batch' })['items'][number]): void {
  batch.items.push(item);
  timer ??= setTimeout(flushReports, BATCH_MS);
}

const stats = new Proxy({} as DeliverySink['stats'], {
  get:
    (_t, name: string) =>
    (...args: unknown[]) =>
      report({ k: 'stats', name, args }),
});
const sink: DeliverySink = {
  stats,
  emit: (event) => report({ k: 'emit', event }),
  warn: (message) => report({ k: 'warn', message }),
  record: eventRecorder(start.eventLog),
};

const db = await openStoreDb({ dataDir: start.dataDir, sync: start.sync });
const queue = new SqliteQueue(db, start.queue);
queue.onDeadLetter = onEmbeddedDeadLetter(sink);
const options = {
  queue,
  deliverPort: {
    send: (body: string, o?: { delaySeconds?: number }) => queue.sendDelayed(body, o?.delaySeconds ?? 0),
    changeVisibility: (handle: string, seconds: number) => queue.changeVisibility(handle, seconds),
    deadLetter: (body: string) => queue.deadLetter(body),
  },
  config: start.config,
  limits: start.limits,
  adaptive: start.adaptive,
  waitSeconds: start.waitSeconds,
};
const begin = (live: LiveDelivery) => {
  side = startDeliverySide(options, live, sink);
};
begin(start.live);
// The control's state (an outage, the adaptive limit) changes without an event too: say it now and then.
const heartbeat = setInterval(() => post({ t: 'batch', items: [], control: controlSnapshot() }), 500);

port.on('message', (m: ToWorker) => {
  void (async () => {
    if (m.t === 'wake') queue.notify();
    else if (m.t === 'apply') {
      await side?.poller?.stop({ finishBatches: true });
      begin(m.live);
      flushReports();
      post({ t: 'applied', seq: m.seq });
    } else if (m.t === 'stop') {
      clearInterval(heartbeat);
      await side?.poller?.stop();
      await queue.close();
      flushReports();
      post({ t: 'stopped' });
      port.close();
    }
  })().catch((err) => post({ t: 'failed', message: err instanceof Error ? err.message : String(err) }));
});
post({ t: 'ready', control: controlSnapshot() });
