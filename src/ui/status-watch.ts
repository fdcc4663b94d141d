/**
 * The `status --watch` loop: refresh every interval until Ctrl-C (exit 130, or 143 on SIGTERM). On a terminal an ink dashboard
 * (stdout, since the dashboard is the command's output); otherwise one plain line per refresh, or one
 * JSON object per line with --json, so it can be piped into a log or a graph.
 */
import type { Aws } from '../aws/clients.js';
import { trapInterrupts } from '../interrupts.js';
import type { GlobalOptions } from '../options.js';
import { inspectProxy, type ProxyStatus } from '../proxy/inspect.js';
import type { DepthSample } from '../proxy/trend.js';
import { outputMode } from './output.js';
import { depthOf, watchLine } from './status-text.js';

export interface WatchOptions {
  /** Stop after this many refreshes (tests); default: until Ctrl-C. */
  maxRefreshes?: number;
  signal?: AbortSignal;
}

const MAX_SAMPLES = 120;

/** ink, react and the dashboard: loaded only on a terminal, so plain and --json watches never load them. */
async function loadDashboard() {
  const [{ render }, { createElement }, { StatusDashboard }] = await Promise.all([
    import('ink'),
    import('react'),
    import('./status-dashboard.js'),
  ]);
  return { render, createElement, StatusDashboard };
}

export async function watchStatus(
  aws: Aws,
  global: GlobalOptions,
  name: string,
  interval: number,
  options: WatchOptions = {},
): Promise<number> {
  const mode = outputMode(global, process.stdout);
  const samples: DepthSample[] = [];
  const ui = mode === 'ink' ? await loadDashboard() : undefined;
  // Ctrl-C ends the watch through the finally below (ink unmounted, the cursor back), then exit 130;
  // the listeners stay on until then (src/interrupts.ts: otherwise ink's signal-exit kills at once).
  const interrupts = trapInterrupts();
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  interrupts.signal.addEventListener('abort', onSignal);
  options.signal?.addEventListener('abort', onSignal);
  let app: import('ink').Instance | undefined;
  let last: ProxyStatus | undefined;
  try {
    for (let n = 0; !stop.signal.aborted; n++) {
      let error: string | undefined;
      try {
        last = await inspectProxy(aws, name);
        samples.push({ t: Date.now(), depth: depthOf(last) });
        if (samples.length > MAX_SAMPLES) samples.shift();
      } catch (err) {
        // The first failure (not found, no credentials) ends the watch; later ones are shown and retried.
        if (!last) throw err;
        error = err instanceof Error ? err.message : String(err);
      }
      if (mode === 'json')
        process.stdout.write(`${JSON.stringify({ at: new Date().toISOString(), ...last })}\n`);
      else if (mode === 'plain')
        process.stdout.write(`${error ? `refresh failed: ${error}` : watchLine(last!, samples)}\n`);
      else if (ui) {
        const view = ui.createElement(ui.StatusDashboard, {
          status: last!,
          samples: [...samples],
          interval,
          error,
        });
        if (app) app.rerender(view);
        else app = ui.render(view, { exitOnCtrlC: false, patchConsole: false });
      }
      if (options.maxRefreshes !== undefined && n + 1 >= options.maxRefreshes) break;
      await sleep(interval * 1000, stop.signal);
    }
  } finally {
    app?.unmount();
    interrupts.dispose();
    options.signal?.removeEventListener('abort', onSignal);
  }
  return interrupts.exitCode() ?? 0;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}
