/**
 * Progress of a multi-step run on stderr, in the mode the terminal calls for: ink with spinners on a
 * TTY, one plain line per finished step in CI and pipes, nothing with --json (stdout carries the result).
 */
import type { GlobalOptions } from '../options.js';
import { outputMode } from './output.js';
import { createStepStore } from './step-store.js';

export interface StepRenderer {
  start(id: string, label: string): void;
  done(id: string, action: string): void;
  /** Stop drawing (and unmount ink) before the summary is printed. */
  close(): Promise<void>;
}

export async function createStepRenderer(global: GlobalOptions, title: string): Promise<StepRenderer> {
  const mode = outputMode(global);
  if (mode === 'json') return { start() {}, done() {}, close: async () => {} };
  if (mode === 'plain') {
    const labels = new Map<string, string>();
    return {
      start: (id, label) => void labels.set(id, label),
      done: (id, action) => void process.stderr.write(`${action.padEnd(9)} ${labels.get(id) ?? id}\n`),
      close: async () => {},
    };
  }
  const [{ render }, { createElement }, { Steps }] = await Promise.all([
    import('ink'),
    import('react'),
    import('./steps.js'),
  ]);
  const store = createStepStore();
  const app = render(createElement(Steps, { store, title }), { stdout: process.stderr, patchConsole: false });
  return {
    start: store.start,
    done: store.done,
    async close() {
      app.unmount();
      await app.waitUntilExit();
    },
  };
}
