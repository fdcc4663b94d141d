// CLI start-up and handler bundles: wall time of fresh `node` processes, as a ratio to `node -e 0`
// measured in the same interleaved rounds; bundle sizes next to the same handler bundled with the SDK.
import { build } from 'esbuild';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { CLI, ROOT, ratio, round, timeInterleaved } from './lib.mjs';

const NODE_E0 = { name: 'node -e 0', args: ['-e', '0'] };

export async function cliStartup({ runs }) {
  const [base, version, help] = await timeInterleaved(
    [NODE_E0, { args: [CLI, '--version'] }, { args: [CLI, '--help'] }],
    runs,
  );
  const row = (metric, t) => ({
    section: 'CLI start-up',
    metric,
    value: round(t.median, 1),
    unit: 'ms',
    baseline: round(base.median, 1),
    baselineLabel: 'node -e 0',
    ratio: ratio(t.median, base.median),
    note: `median of ${t.runs}, min ${round(t.min, 1)} ms`,
  });
  return [row('webhook-proxy --version', version), row('webhook-proxy --help', help)];
}

function handlerNames() {
  const dir = join(ROOT, 'dist/handlers');
  return readdirSync(dir).filter((n) => statSync(join(dir, n, 'index.mjs'), { throwIfNoEntry: false }));
}

/** The same entry bundled with the AWS SDK inside: what leaving the runtime's SDK out saves. */
async function sizeWithSdk(name) {
  const result = await build({
    entryPoints: [join(ROOT, `src/handlers/${name}.ts`)],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node24', // as scripts/build.mjs bundles the handlers for nodejs24.x
    minify: true,
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0].contents.byteLength;
}

export async function handlers({ runs }) {
  const rows = [];
  const names = handlerNames();
  const imports = names.map((name) => ({
    name,
    // A fresh process that only imports the bundle: Lambda's cold start minus the runtime's own boot.
    // The bundle's @aws-sdk imports resolve to this repo's node_modules, as they do to the runtime's SDK.
    args: [
      '--input-type=module',
      '-e',
      `await import(${JSON.stringify(pathToFileURL(join(ROOT, `dist/handlers/${name}/index.mjs`)).href)})`,
    ],
  }));
  // The handlers import the SDK lazily, at their first invocation: time that import on its own too.
  const sdk = {
    args: ['--input-type=module', '-e', `await import('@aws-sdk/client-sqs')`],
  };
  const [base, sdkTime, ...times] = await timeInterleaved([NODE_E0, sdk, ...imports], runs);
  for (const [i, name] of names.entries()) {
    const file = join(ROOT, `dist/handlers/${name}/index.mjs`);
    const bytes = statSync(file).size;
    const gz = gzipSync(readFileSync(file)).byteLength;
    let withSdk = NaN;
    try {
      withSdk = await sizeWithSdk(name);
    } catch {
      /* the source entry moved: the size stands alone */
    }
    rows.push({
      section: 'handlers',
      metric: `${name}: bundle size`,
      value: round(bytes / 1024, 1),
      unit: 'KiB',
      baseline: round(withSdk / 1024, 1),
      baselineLabel: 'same bundle with the AWS SDK inside',
      ratio: ratio(bytes, withSdk),
      note: `${round(gz / 1024, 1)} KiB gzipped (what the Lambda zip holds)`,
    });
    rows.push({
      section: 'handlers',
      metric: `${name}: cold import`,
      value: round(times[i].median, 1),
      unit: 'ms',
      baseline: round(base.median, 1),
      baselineLabel: 'node -e 0',
      ratio: ratio(times[i].median, base.median),
      note: `fresh node importing the bundle, median of ${times[i].runs}`,
    });
  }
  rows.push({
    section: 'handlers',
    metric: 'import @aws-sdk/client-sqs (at first invocation)',
    value: round(sdkTime.median, 1),
    unit: 'ms',
    baseline: round(base.median, 1),
    baselineLabel: 'node -e 0',
    ratio: ratio(sdkTime.median, base.median),
    note: 'a fresh node importing the SQS client the handlers load lazily (the runtime provides it)',
  });
  return rows;
}
