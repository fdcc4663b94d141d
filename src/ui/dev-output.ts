/**
 * Where `dev` shows what happens: NDJSON on stdout with --json, the ink dashboard on a terminal,
 * plain lines on stderr otherwise (CI, pipes). Diagnostics always go to stderr.
 * `serve` logs instead (serveOutput): every event a JSON line on stdout, with its time.
 */
import type { GlobalOptions } from '../options.js';
import type { DevEvent, DevRuntime } from '../local/runtime.js';
import { devEventJson, devEventLine, queueNotice, queueWarningCode, stoppedLine } from './dev-lines.js';
import { lineLog, type LineLogOptions } from './line-log.js';
import { outputMode, warn } from './output.js';

export interface DevOutput {
  emit(e: DevEvent): void;
  attach(runtime: DevRuntime): void;
  stopping(): void;
  close(): Promise<void>;
}

const err = (line: string) => void process.stderr.write(`${line}\n`);

export async function runDevOutput(
  global: GlobalOptions,
  limits: { concurrency: number; rate?: number },
): Promise<DevOutput> {
  const mode = outputMode(global);
  if (mode === 'json') {
    const log = stdoutLog({ droppedLine: (count) => JSON.stringify({ event: 'log-dropped', count }) });
    return {
      emit(e) {
        if (e.event === 'listening') {
          // A notice that is a warning (a queue a stop loses, one without a DLQ) is a JSON line too.
          const code = queueWarningCode(e);
          if (code) warn(global, code, queueNotice(e));
          else err(queueNotice(e));
        }
        const line = devEventJson(e);
        if (line) log.write(line, e);
        else err(devEventLine(e));
      },
      attach() {},
      stopping() {},
      close: log.close,
    };
  }
  if (mode === 'plain') {
    return {
      emit(e) {
        err(devEventLine(e));
        if (e.event === 'listening') err(queueNotice(e));
      },
      attach() {},
      stopping() {
        err('Stopping: no new webhooks accepted; finishing the deliveries already on the wire…');
      },
      async close() {},
    };
  }

  // ink: events feed the dashboard's counters (through the runtime's snapshot); the rest is shown in it.
  const { mountDevDashboard } = await import('./dev-dashboard.js');
  let dashboard: ReturnType<typeof mountDevDashboard> | undefined;
  let listening: Extract<DevEvent, { event: 'listening' }> | undefined;
  let stopped: Extract<DevEvent, { event: 'stopped' }> | undefined;
  const notes: string[] = [];
  return {
    emit(e) {
      if (e.event === 'listening') listening = e;
      else if (e.event === 'warning' || e.event === 'rejected' || e.event === 'settings') {
        notes.unshift(devEventLine(e));
        notes.length = Math.min(notes.length, 3);
      } else if (e.event === 'stopped') stopped = e;
    },
    attach(runtime) {
      if (!listening) return;
      err(queueNotice(listening));
      dashboard = mountDevDashboard(
        {
          ...limits,
          url: listening.url,
          upstream: listening.upstream,
          queue: listening.queue,
          maxAttempts: listening.maxAttempts,
        },
        runtime.snapshot,
        () => notes,
      );
    },
    stopping() {
      dashboard?.stopping();
    },
    async close() {
      await dashboard?.unmount();
      if (stopped) err(stoppedLine(stopped));
    },
  };
}

/**
 * `serve`: one JSON line per event on stdout, warnings and the stop included, whatever the terminal
 * (a service's stdout is a log). The notice on what the queue keeps is said once, on stderr.
 */
export function serveOutput(): DevOutput {
  const time = () => new Date().toISOString();
  const log = stdoutLog({
    droppedLine: (count) => JSON.stringify({ time: time(), event: 'log-dropped', count }),
  });
  return {
    emit(e) {
      if (e.event === 'listening') err(queueNotice(e));
      log.write(devEventJson(e, { time: new Date() })!, e);
    },
    attach() {},
    stopping() {
      log.write(JSON.stringify({ time: time(), event: 'stopping' }), { event: 'stopping' });
    },
    close: log.close,
  };
}

/**
 * The events whose lines the JSON log may drop (and count in a `log-dropped` line) once its reader is
 * far behind: one per delivery (`delivered`, `retry`) and one per refused request (`rejected`): a flood
 * of forged or oversized requests comes at the sender's pace, so keeping each of them would let it grow
 * the backlog past its bound. Never the stop, dead letters, warnings, outages, settings: those are the
 * lines an operator acts on, and they are few.
 */
export const droppableEvent = (event: string): boolean =>
  event === 'delivered' || event === 'retry' || event === 'rejected';

/**
 * stdout as a JSON log (line-log.ts): the lines of droppableEvent may be dropped and counted when the
 * reader falls far behind, never the others. A crash writes what is still queued.
 */
function stdoutLog(options: LineLogOptions): {
  write(line: string, e: { event: string }): void;
  close(): Promise<void>;
} {
  const log = lineLog(process.stdout, {
    ...options,
    // The log's reader is gone (`serve | head`, a collector that died): say so where it can be seen;
    // the proxy itself keeps taking and delivering webhooks.
    onFailed: (e) =>
      err(
        `warning: stdout failed (${(e as NodeJS.ErrnoException).code ?? e.message}): the JSON log lines are lost from now on.`,
      ),
  });
  const onCrash = () => log.flushSync();
  process.on('uncaughtExceptionMonitor', onCrash);
  return {
    write(line, e) {
      log.write(line, { droppable: droppableEvent(e.event) });
    },
    async close() {
      await log.close();
      process.off('uncaughtExceptionMonitor', onCrash);
    },
  };
}
