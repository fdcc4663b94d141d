/**
 * The ink view of create/destroy steps (src/ui/steps.tsx), rendered with ink-testing-library: a running
 * step shows a spinner and its label; a finished one a ✓ (✗ when it failed) and its action. Steps that
 * run side by side finish in any order, and each must still be printed exactly once.
 */
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { createStepStore } from '../../src/ui/step-store.js';
import { Steps } from '../../src/ui/steps.js';

const tick = () => new Promise((r) => setTimeout(r, 20));
const count = (s: string, part: string) => s.split(part).length - 1;
// ink-spinner's "dots" frames are braille characters.
const SPINNER = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] queue webhook-proxy-a/;

describe('Steps', () => {
  it('shows a spinner while a step runs, then ✓ with its action', async () => {
    const store = createStepStore();
    const view = render(<Steps store={store} title="Creating a…" />);
    store.start('q', 'queue webhook-proxy-a');
    await tick();
    let frame = view.lastFrame()!;
    expect(frame).toContain('Creating a…');
    expect(frame).toMatch(SPINNER);
    expect(frame).not.toContain('✓');

    store.done('q', 'created');
    await tick();
    // ink-testing-library renders in debug mode: each frame holds the <Static> lines printed so far.
    frame = view.lastFrame()!;
    expect(frame).toContain('✓ queue webhook-proxy-a created');
    // Nothing runs any more: no spinner, no title.
    expect(frame).not.toMatch(SPINNER);
    expect(frame).not.toContain('Creating a…');
    view.unmount();
  });

  it('marks a failed step with ✗', async () => {
    const store = createStepStore();
    const view = render(<Steps store={store} />);
    store.start('m', 'event source mapping (queue → deliver)');
    store.done('m', 'failed');
    await tick();
    expect(view.lastFrame()).toContain('✗ event source mapping (queue → deliver) failed');
    view.unmount();
  });

  it('prints each of the steps that ran side by side once, whatever order they finish in', async () => {
    const store = createStepStore();
    const view = render(<Steps store={store} />);
    for (const id of ['role a', 'role b', 'log group c']) store.start(id, id);
    await tick();
    store.done('log group c', 'unchanged');
    await tick();
    store.done('role a', 'created');
    await tick();
    expect(view.lastFrame()).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] role b/);
    store.done('role b', 'updated');
    await tick();
    const all = view.lastFrame()!;
    for (const line of ['✓ role a created', '✓ role b updated', '✓ log group c unchanged']) {
      expect(count(all, line), line).toBe(1);
    }
    view.unmount();
  });
});
