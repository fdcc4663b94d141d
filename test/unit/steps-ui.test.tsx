/**
 * The progress view of create/destroy: ink on a terminal (a spinner for running steps, ✓ and the
 * action for finished ones, ✗ for a failed one), plain lines otherwise, nothing with --json.
 */
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createStepRenderer } from '../../src/ui/step-renderer.js';
import { createStepStore } from '../../src/ui/step-store.js';
import { Steps } from '../../src/ui/steps.js';

const tick = () => new Promise((r) => setTimeout(r, 20));

describe('Steps (ink)', () => {
  it('shows running steps with a spinner under a title, then each finished one with ✓ and its action', async () => {
    const store = createStepStore();
    const { lastFrame, frames, unmount } = render(<Steps store={store} title="Creating shop…" />);
    store.start('q', 'queue webhook-proxy-shop');
    store.start('r', 'role webhook-proxy-shop-ingest');
    await tick();
    let frame = lastFrame()!;
    expect(frame).toContain('Creating shop…');
    expect(frame).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] queue webhook-proxy-shop/);
    expect(frame).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] role webhook-proxy-shop-ingest/);

    store.done('q', 'created');
    await tick();
    frame = frames.join('\n');
    expect(frame).toContain('✓ queue webhook-proxy-shop created');
    expect(lastFrame()).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] role webhook-proxy-shop-ingest/);

    store.done('r', 'unchanged');
    await tick();
    expect(frames.join('\n')).toContain('✓ role webhook-proxy-shop-ingest unchanged');
    // Nothing is running any more: no title, no spinner.
    expect(lastFrame()).not.toContain('Creating shop…');
    expect(lastFrame()).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
    unmount();
  });

  it('marks a failed step with ✗', async () => {
    const store = createStepStore();
    const { frames, unmount } = render(<Steps store={store} />);
    store.start('m', 'event source mapping (queue → deliver)');
    store.done('m', 'failed');
    await tick();
    expect(frames.join('\n')).toContain('✗ event source mapping (queue → deliver) failed');
    unmount();
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
