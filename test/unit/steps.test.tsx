/**
 * The progress view of create/destroy: ink on a terminal (src/ui/steps.tsx, rendered with
 * ink-testing-library: a spinner for running steps, ✓ and the action for finished ones, ✗ for a failed
 * one, each printed exactly once whatever order side-by-side steps finish in), plain lines otherwise,
 * nothing with --json.
 */
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createStepRenderer } from '../../src/ui/step-renderer.js';
import { createStepStore } from '../../src/ui/step-store.js';
import { Steps } from '../../src/ui/steps.js';

const tick = () => new Promise((r) => setTimeout(r, 20));
const count = (s: string, part: string) => s.split(part).length - 1;
// ink-spinner's "dots" frames are braille characters.
const SPIN = '[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]';
const spinning = (label: string) => new RegExp(`${SPIN} ${label}`);

describe('Steps (ink)', () => {
  it('shows running steps with a spinner under a title, then each finished one with ✓ and its action', async () => {
    const store = createStepStore();
    const view = render(<Steps store={store} title="Creating shop…" />);
    store.start('q', 'queue webhook-proxy-shop');
    store.start('r', 'role webhook-proxy-shop-ingest');
    await tick();
    let frame = view.lastFrame()!;
    expect(frame).toContain('Creating shop…');
    expect(frame).toMatch(spinning('queue webhook-proxy-shop'));
    expect(frame).toMatch(spinning('role webhook-proxy-shop-ingest'));
    expect(frame).not.toContain('✓');

    store.done('q', 'created');
    await tick();
    // ink-testing-library renders in debug mode: each frame holds the <Static> lines printed so far.
    frame = view.lastFrame()!;
    expect(frame).toContain('✓ queue webhook-proxy-shop created');
    expect(frame).not.toMatch(spinning('queue webhook-proxy-shop'));
    expect(frame).toMatch(spinning('role webhook-proxy-shop-ingest'));

    store.done('r', 'unchanged');
    await tick();
    frame = view.lastFrame()!;
    expect(frame).toContain('✓ role webhook-proxy-shop-ingest unchanged');
    // Nothing is running any more: no title, no spinner.
    expect(frame).not.toContain('Creating shop…');
    expect(frame).not.toMatch(new RegExp(SPIN));
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
    expect(view.lastFrame()).toMatch(spinning('role b'));
    store.done('role b', 'updated');
    await tick();
    const all = view.lastFrame()!;
    for (const line of ['✓ role a created', '✓ role b updated', '✓ log group c unchanged']) {
      expect(count(all, line), line).toBe(1);
    }
    view.unmount();
  });
});

describe('createStepRenderer', () => {
  let written = '';
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
    written = '';
  });
  const captureStderr = () =>
    vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((written += String(c)), true));

  it('plain (not a terminal): one line per finished step, the action first', async () => {
    captureStderr();
    vi.stubEnv('CI', '1'); // plain even when the test runner's stderr is a terminal
    const r = await createStepRenderer({}, 'Creating…');
    r.start('a', 'queue webhook-proxy-shop');
    r.start('b', 'dead-letter queue webhook-proxy-shop-dlq');
    r.done('b', 'unchanged');
    r.done('a', 'created');
    await r.close();
    expect(written).toBe(
      'unchanged dead-letter queue webhook-proxy-shop-dlq\ncreated   queue webhook-proxy-shop\n',
    );
  });

  it('--json: silent (stdout carries the result)', async () => {
    captureStderr();
    const r = await createStepRenderer({ json: true }, 'Creating…');
    r.start('a', 'queue');
    r.done('a', 'created');
    await r.close();
    expect(written).toBe('');
  });
});
