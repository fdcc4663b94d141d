/**
 * Wait until the queue is empty: visible, in flight and delayed all zero. SQS counts are approximate
 * on AWS (they can read 0 for a moment while messages exist), so "drained" needs two zero readings in
 * a row. With `boost`, the concurrency is raised for the drain and the previous value restored
 * afterwards, whatever ends the drain (done, timeout, Ctrl-C, an error). Both go through `scale`'s
 * path (scaleProxy): a paced proxy's mapping takes the pacing plan's containers and its function the
 * new --concurrency together, so a boost never runs more containers than the rate allows.
 */
import type { Aws } from '../../aws/clients.js';
import { abortableSleep } from '../../abortable-sleep.js';
import { CliError } from '../../errors.js';
import { interruptExitCode } from '../../interrupts.js';
import { need, queueCounts, readCounts, totalOf, type Proxy, type QueueCounts } from '../locate.js';
import { plural, suggest } from '../suggest.js';
import { drainRate, etaSeconds, rateBasisSeconds, roundTenths, type DepthSample } from '../trend.js';
import { concurrencyOf } from '../limits.js';
import { rateOf } from '../inspect.js';
import { scaleProxy } from './scale.js';

export interface DrainProgress {
  counts: QueueCounts;
  total: number;
  /** Depth at the first reading (for a progress bar). */
  initial: number;
  elapsedSeconds: number;
  rate: number | null;
  /** Seconds of readings the rate (and so the ETA) rests on. */
  rateBasisSeconds: number;
  etaSeconds: number | null;
}

export interface DrainOptions {
  timeoutSeconds?: number;
  /** Raise --concurrency to this for the drain (the mapping takes the plan's containers). */
  boost?: number;
  pollMs?: number;
  /** Ends the drain (exit code: its reason when a number, as trapInterrupts sets it, else 130). */
  signal?: AbortSignal;
  onProgress?: (p: DrainProgress) => void;
  onNote?: (message: string) => void;
}

export interface DrainResult {
  name: string;
  drained: boolean;
  seconds: number;
  remaining: QueueCounts;
  restoredConcurrency?: number;
}

export async function drainProxy(aws: Aws, proxy: Proxy, o: DrainOptions = {}): Promise<DrainResult> {
  const queue = need(proxy, 'queue');
  // Paused: nothing will leave the queue, so say so now rather than wait out --timeout (exit 1).
  const held = totalOf(queueCounts(queue.attributes));
  const state = proxy.mapping?.state;
  if (held > 0 && (state === 'Disabled' || state === 'Disabling')) {
    throw new CliError(
      `"${proxy.name}" cannot drain: delivery is paused, so its ${plural(held, 'webhook')} will not leave the queue.`,
      `Resume delivery first ("${suggest('resume', proxy)}"), then drain again.`,
    );
  }
  const started = Date.now();
  const pollMs = o.pollMs ?? 5000;
  let restore: { proxy: Proxy; value: number } | undefined;
  if (o.boost !== undefined) {
    const mapping = need(proxy, 'mapping');
    const rate = rateOf(proxy.deliver?.env);
    const previous =
      mapping.maximumConcurrency === undefined
        ? undefined
        : concurrencyOf(proxy.deliver?.env, mapping.maximumConcurrency, {
            ...(rate !== null ? { rate } : {}),
            ordered: proxy.ordered,
          });
    if (previous === undefined) {
      throw new CliError(
        'The event source mapping has no MaximumConcurrency to restore after the drain.',
        `Set one first with "${suggest('scale', proxy, '--concurrency N')}", or drain without --concurrency.`,
      );
    }
    if (previous !== o.boost) {
      const boosted = await scaleProxy(aws, proxy, { concurrency: o.boost });
      restore = { proxy: boosted.proxy, value: previous };
      o.onNote?.(
        `Concurrency raised from ${previous} to ${o.boost} for the drain; it is restored afterwards.`,
      );
    }
  }
  if (proxy.mapping && proxy.mapping.state !== 'Enabled' && held > 0) {
    o.onNote?.(
      `Delivery is ${proxy.mapping.state.toLowerCase()}: the queue drains once the event source mapping is enabled.`,
    );
  }
  const samples: DepthSample[] = [];
  let zeros = 0;
  let initial: number | undefined;
  let counts: QueueCounts = { visible: 0, inFlight: 0, delayed: 0 };
  const elapsed = () => (Date.now() - started) / 1000;
  let restoreFailed: string | undefined;
  try {
    for (;;) {
      if (o.signal?.aborted) break;
      counts = await readCounts(aws, queue.url);
      const total = totalOf(counts);
      initial ??= total;
      samples.push({ t: Date.now(), depth: total });
      if (samples.length > 120) samples.shift();
      const rate = drainRate(samples);
      o.onProgress?.({
        counts,
        total,
        initial,
        elapsedSeconds: elapsed(),
        rate,
        rateBasisSeconds: rateBasisSeconds(samples),
        etaSeconds: etaSeconds(total, rate),
      });
      zeros = total === 0 ? zeros + 1 : 0;
      if (zeros >= 2)
        return { name: proxy.name, drained: true, seconds: roundTenths(elapsed()), remaining: counts };
      if (o.timeoutSeconds !== undefined && elapsed() >= o.timeoutSeconds) {
        return { name: proxy.name, drained: false, seconds: roundTenths(elapsed()), remaining: counts };
      }
      const wait =
        o.timeoutSeconds === undefined
          ? pollMs
          : Math.min(pollMs, Math.max(0, (o.timeoutSeconds - elapsed()) * 1000));
      // A zero reading is confirmed quickly rather than a whole interval later.
      await abortableSleep(zeros === 1 ? Math.min(wait, 1000) : wait, o.signal);
    }
  } finally {
    if (restore) {
      await scaleProxy(aws, restore.proxy, { concurrency: restore.value }).then(
        () => o.onNote?.(`Concurrency restored to ${restore!.value}.`),
        (err) => {
          restoreFailed =
            `Could not restore concurrency to ${restore!.value}: ${(err as Error).message}. ` +
            `Run "${suggest('scale', proxy, `--concurrency ${restore!.value}`)}".`;
          o.onNote?.(restoreFailed);
        },
      );
    }
  }
  // Interrupted: reported once the restore above is done, with its outcome.
  throw new CliError(
    `Drain of "${proxy.name}" interrupted; nothing was deleted.`,
    restoreFailed ?? (restore ? `Concurrency restored to ${restore.value}.` : undefined),
    { exitCode: interruptExitCode(o.signal) },
  );
}
