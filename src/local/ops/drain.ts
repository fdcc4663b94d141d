/**
 * `drain --local`: wait until the queue is empty (waiting, in flight and delayed all zero), reading
 * queue.db. Only a running server delivers, so without one (or while paused) it fails at once rather
 * than wait out --timeout. The counts are exact (not SQS's approximations): one zero reading is enough.
 * With `boost`, the concurrency setting is raised for the drain and the previous value written back
 * afterwards, whatever ends the drain.
 */
import { abortableSleep } from '../../abortable-sleep.js';
import { CliError } from '../../errors.js';
import { interruptExitCode } from '../../interrupts.js';
import type { DrainOptions, DrainResult } from '../../proxy/ops/drain.js';
import { plural, suggest } from '../../proxy/suggest.js';
import { drainRate, etaSeconds, rateBasisSeconds, roundTenths, type DepthSample } from '../../proxy/trend.js';
import { pidAlive } from '../store/data-dir.js';
import { readSettings, writeSettings } from '../store/settings.js';
import { waitApplied } from './delivery.js';
import { localCounts, type LocalCounts, type LocalProxy } from './open.js';

const totalOf = (c: LocalCounts) => c.visible + c.inFlight + c.delayed;

export async function drainLocal(p: LocalProxy, o: DrainOptions = {}): Promise<DrainResult> {
  const started = Date.now();
  const elapsed = () => (Date.now() - started) / 1000;
  const first = localCounts(p.db);
  const held = totalOf(first);
  if (held === 0) return { name: p.name, drained: true, seconds: 0, remaining: pick(first) };
  const start = `webhook-proxy dev ${p.name === 'default' ? '' : `--name ${p.name} `}--data-dir ${p.dataDir} --upstream URL`;
  if (!p.server) {
    throw new CliError(
      `"${p.name}" cannot drain: no server is running on ${p.dataDir}, so its ${plural(held, 'webhook')} will not leave the queue.`,
      `Start one on the same directory ("${start}", or serve), then drain again.`,
    );
  }
  const settings = readSettings(p.db);
  if (settings.paused) {
    throw new CliError(
      `"${p.name}" cannot drain: delivery is paused, so its ${plural(held, 'webhook')} will not leave the queue.`,
      `Resume delivery first ("${suggest('resume', p)}"), then drain again.`,
    );
  }
  let restore: number | undefined;
  if (o.boost !== undefined) {
    if (settings.concurrency === undefined) {
      throw new CliError(
        `The store of "${p.name}" has no concurrency setting to restore after the drain (the server did not record one).`,
        `Set one first with "${suggest('scale', p, '--concurrency N')}", or drain without --concurrency.`,
      );
    }
    if (o.boost !== settings.concurrency) {
      restore = settings.concurrency;
      writeSettings(p.db, { concurrency: o.boost });
      await waitApplied(p, { concurrency: o.boost });
      o.onNote?.(
        `Concurrency raised from ${restore} to ${o.boost} for the drain; it is restored afterwards.`,
      );
    }
  }
  const pollMs = o.pollMs ?? 5000;
  const samples: DepthSample[] = [];
  let counts = first;
  try {
    for (;;) {
      if (o.signal?.aborted) break;
      counts = localCounts(p.db);
      const total = totalOf(counts);
      samples.push({ t: Date.now(), depth: total });
      if (samples.length > 120) samples.shift();
      const rate = drainRate(samples);
      o.onProgress?.({
        counts: pick(counts),
        total,
        initial: held,
        elapsedSeconds: elapsed(),
        rate,
        rateBasisSeconds: rateBasisSeconds(samples),
        etaSeconds: etaSeconds(total, rate),
      });
      if (total === 0)
        return { name: p.name, drained: true, seconds: roundTenths(elapsed()), remaining: pick(counts) };
      if (!pidAlive(p.server.pid)) {
        throw new CliError(
          `The server (pid ${p.server.pid}) stopped during the drain of "${p.name}"; ${plural(total, 'webhook')} still queued (kept in ${p.dataDir}).`,
          `Start it again ("${start}"), then drain again.`,
        );
      }
      if (o.timeoutSeconds !== undefined && elapsed() >= o.timeoutSeconds) {
        return { name: p.name, drained: false, seconds: roundTenths(elapsed()), remaining: pick(counts) };
      }
      const wait =
        o.timeoutSeconds === undefined
          ? pollMs
          : Math.min(pollMs, Math.max(0, (o.timeoutSeconds - elapsed()) * 1000));
      await abortableSleep(wait, o.signal);
    }
  } finally {
    if (restore !== undefined) {
      writeSettings(p.db, { concurrency: restore });
      o.onNote?.(`Concurrency restored to ${restore}.`);
    }
  }
  throw new CliError(
    `Drain of "${p.name}" interrupted; nothing was deleted.`,
    restore !== undefined ? `Concurrency restored to ${restore}.` : undefined,
    { exitCode: interruptExitCode(o.signal) },
  );
}

const pick = (c: LocalCounts): LocalCounts => ({
  visible: c.visible,
  inFlight: c.inFlight,
  delayed: c.delayed,
});
