// `npm run bench`: every figure next to a baseline measured in the same run, as a ratio. Prints a
// table, writes bench/results.json, and (a full run) refreshes the table in bench/README.md.
// Flags: --quick (smaller counts, for trying it out; README untouched), --only a,b (sections:
// startup, handlers, spike, ingest, depth, adaptive, cost, control; `--only depth` is the million-webhook
// memory fill alone). All traffic stays on 127.0.0.1.
import { execSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { adaptiveBench } from './adaptive.mjs';
import { startCountingProxy } from './aws-proxy.mjs';
import { controlPlane } from './control-plane.mjs';
import { costModel } from './cost.mjs';
import { queueDepth } from './depth.mjs';
import { ingestThroughput } from './ingest.mjs';
import { CLI, hasCommand, ROOT } from './lib.mjs';
import { motoInstalled, startMoto } from './moto.mjs';
import { spike } from './spike.mjs';
import { cliStartup, handlers } from './startup.mjs';
import { markdownTable, updateReadme } from './table.mjs';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const onlyArg = argv[argv.indexOf('--only') + 1];
const only = argv.includes('--only') && onlyArg ? new Set(onlyArg.split(',')) : undefined;
const want = (s) => !only || only.has(s);

const config = quick
  ? {
      runs: 5,
      spike: { webhooks: 2000, senders: 50, concurrency: 8, rate: 500 },
      ingest: { seconds: 3, connections: 50, warmupSeconds: 1, concurrency: 8 },
      // Past the warm-up (the first 10,000 or so), so the growth per 100,000 already says something.
      depth: { webhooks: 100_000, connections: 50, concurrency: 8 },
      costN: 50,
    }
  : {
      runs: 15,
      spike: { webhooks: 10_000, senders: 100, concurrency: 8, rate: 500 },
      ingest: { seconds: 10, connections: 50, warmupSeconds: 2, concurrency: 8 },
      depth: { webhooks: 1_000_000, connections: 50, concurrency: 8 },
      costN: 300,
    };
const UPSTREAM = 'https://app.example.com/hooks';

function machine() {
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    model = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? model;
  } catch {
    /* not Linux */
  }
  const nproc = Number(execSync('nproc', { encoding: 'utf8' }).trim()) || cpus().length;
  return {
    date: new Date().toISOString(),
    nproc,
    cpu: model,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    // Other work on the machine moves absolute times (the ratios much less): say how busy it was.
    loadAverage1m: Number(loadavg()[0].toFixed(2)),
  };
}

/** `create`'s defaults for the functions' memory and the batch size, read from its --help. */
function designDefaults() {
  const r = spawnSync(process.execPath, [CLI, 'create', '--help'], { cwd: ROOT, encoding: 'utf8' });
  const flag = (name) => {
    const m = new RegExp(`--${name} <[^>]+>(?:(?!\\n\\s+-)[\\s\\S])*?\\(default:\\s*(\\d+)\\)`).exec(
      r.stdout ?? '',
    );
    return m ? Number(m[1]) : undefined;
  };
  const memory = flag('memory');
  const batchSize = flag('batch-size') ?? 10;
  return memory
    ? {
        ingestMb: memory,
        deliverMb: memory,
        batchSize,
        source: 'memory and batch size: the defaults of `create --help`',
      }
    : {
        ingestMb: 128,
        deliverMb: 128,
        batchSize,
        source: 'create --help names no --memory default: 128 MB assumed',
      };
}

const results = {
  machine: machine(),
  config: { quick, ...config },
  sections: {},
  rows: [],
  assumptions: [],
  skipped: [],
  errors: [],
};
const t0 = Date.now();
const step = async (name, fn) => {
  if (!want(name)) return;
  const started = Date.now();
  process.stderr.write(`bench: ${name} …\n`);
  try {
    const out = await fn();
    const rows = Array.isArray(out) ? out : out.rows;
    results.rows.push(...rows);
    if (!Array.isArray(out)) {
      results.sections[name] = out.details;
      results.assumptions.push(...(out.assumptions ?? []));
      results.skipped.push(...(out.skipped ?? []));
    }
  } catch (err) {
    process.stderr.write(`bench: ${name} failed: ${err.stack ?? err}\n`);
    results.errors.push(`${name}: ${String(err.message ?? err).split('\n')[0]}`);
  }
  process.stderr.write(`bench: ${name} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
};

await step('startup', () => cliStartup(config));
await step('handlers', () => handlers(config));
const haveDev = hasCommand('dev');
if (haveDev) {
  await step('spike', () => spike(config.spike));
  await step('ingest', () => ingestThroughput(config.ingest));
  await step('depth', () => queueDepth(config.depth));
  await step('adaptive', () => adaptiveBench({ quick }));
} else if (want('spike') || want('ingest') || want('depth') || want('adaptive'))
  results.skipped.push('spike, ingest throughput, queue depth: the dev command does not exist yet');

if (want('cost') || want('control')) {
  if (!motoInstalled()) {
    results.skipped.push('cost model, control plane: moto is not installed (pip install "moto[server]")');
  } else {
    const moto = await startMoto();
    const proxy = await startCountingProxy(moto.url);
    try {
      const design = designDefaults();
      await step('cost', () =>
        costModel({
          proxy,
          n: config.costN,
          design,
          appMs: 50,
          paced: { concurrency: 2, rate: 20 },
        }),
      );
      await step('control', () =>
        controlPlane({ proxy, upstream: UPSTREAM, runs: Math.min(config.runs, 5) }),
      );
    } finally {
      await proxy.close();
      await moto.stop();
    }
  }
}
results.seconds = Math.round((Date.now() - t0) / 1000);

const table = markdownTable(results);
process.stdout.write(`\n${table}\n`);
writeFileSync(join(ROOT, 'bench/results.json'), JSON.stringify(results, null, 2) + '\n');
process.stderr.write(`bench: wrote bench/results.json (${results.seconds} s)\n`);
if (!quick && !only) {
  updateReadme(join(ROOT, 'bench/README.md'), table);
  process.stderr.write('bench: refreshed the table in bench/README.md\n');
}
process.exitCode = results.errors.length ? 1 : 0;
