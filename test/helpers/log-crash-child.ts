/**
 * Run by test/unit/line-log.test.ts in a child process (vite-node): serve's JSON log takes `COUNT`
 * delivered events at once, and the process crashes with an uncaught exception on the next turn of
 * the event loop, when at most one chunk of them has gone to stdout asynchronously. What else reaches
 * stdout is what the crash path flushed.
 */
import { serveOutput } from '../../src/ui/dev-output.js';

const count = Number(process.env.COUNT ?? 1000);
const output = serveOutput();
for (let n = 0; n < count; n++) {
  output.emit({ event: 'delivered', id: `id-${n}`, status: 200, attempt: 1, ms: 1 });
}
setImmediate(() => {
  throw new Error('crash on purpose');
});
