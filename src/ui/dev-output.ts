/**
 * Where `dev` shows what happens: NDJSON on stdout with --json, the ink dashboard on a terminal,
 * plain lines on stderr otherwise (CI, pipes). Diagnostics always go to stderr.
 * `serve` logs instead (serveOutput): every event a JSON line on stdout, with its time.
 */
import type { GlobalOptions } from '../options.js';
import type { DevEvent, DevRuntime } from '../local/runtime.js';
import { devEventJson, devEventLine, queueNotice, queueWarningCode, stoppedLine } from './dev-lines.js';
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
    return {
      emit(e) {
        if (e.event === 'listening') {
          // A notice that is a warning (a queue a stop loses, one without a DLQ) is a JSON line too.
          const code = queueWarningCode(e);
          if (code) warn(global, code, queueNotice(e));
          else err(queueNotice(e));
        }
        const line = devEventJson(e);
        if (line) process.stdout.write(`${line}\n`);
        else err(devEventLine(e));
      },
      attach() {},
      stopping() {},
      async close() {},
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
  const log = (line: string) => void process.stdout.write(`${line}\n`);
  return {
    emit(e) {
      if (e.event === 'listening') err(queueNotice(e));
      log(devEventJson(e, { time: new Date() })!);
    },
    attach() {},
    stopping() {
      log(JSON.stringify({ time: new Date().toISOString(), event: 'stopping' }));
    },
    async close() {},
  };
}
