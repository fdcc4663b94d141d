// Control plane: the built CLI's `create`, `create` again (converge), `status` and `destroy` against
// moto, through the counting proxy (bench/aws-proxy.mjs): AWS API calls, wall time next to a fresh Node
// process making one AWS call, and whether status's calls form one parallel round. The read-only
// status is timed over several runs interleaved with that baseline; create and destroy change what
// they find, so each is one run.
import { breakdown } from './aws-proxy.mjs';
import { CLI, fakeAwsEnv, hasCommand, ratio, round, runCli, timeInterleaved } from './lib.mjs';

/** Injected per-call latency for the rounds measurement: larger than any gap between calls issued together. */
const DELAY_MS = 300;
const ONE_RUN = '1 run';

async function measure(proxy, args, env, delay = 0) {
  proxy.reset(delay);
  const r = await runCli(args, { env, timeoutMs: 180_000 });
  const snap = proxy.snapshot();
  if (r.code !== 0) {
    throw new Error(
      `webhook-proxy ${args.join(' ')} exited ${r.code ?? r.signal}:\n${r.stderr.slice(-1500)}`,
    );
  }
  let json;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = undefined;
  }
  return {
    ms: r.ms,
    json,
    calls: snap.calls.length,
    maxInFlight: snap.maxInFlight,
    rounds: snap.rounds,
    roundOps: snap.roundOps,
    by: breakdown(snap.calls),
  };
}

export async function controlPlane({ proxy, upstream, runs }) {
  const env = fakeAwsEnv(proxy.url);
  const section = 'control plane (moto)';
  const rows = [];
  const details = {};
  const skipped = [];
  if (!hasCommand('create'))
    return { rows, details, skipped: ['create/status: the create command does not exist yet'] };

  const name = `bench-${Date.now().toString(36)}`;
  const common = ['--region', 'us-east-1', '--json'];
  const created = await measure(proxy, ['create', name, '--upstream', upstream, ...common], env);
  const again = await measure(proxy, ['create', name, '--upstream', upstream, ...common], env);

  // The baseline, and (once the proxy exists) status, over `runs` interleaved rounds.
  const haveStatus = hasCommand('status');
  const oneCallCmd = { args: ['bench/one-call.mjs'], env };
  const statusCmd = { args: [CLI, 'status', name, ...common], env: { ...env, CI: '1' } };
  const interleaved = (r) => timeInterleaved(haveStatus ? [oneCallCmd, statusCmd] : [oneCallCmd], r);
  proxy.reset(0);
  const [base, statusTime] = await interleaved(runs);
  const baseMs = base.median;
  const oneCall = {
    baseline: round(baseMs, 0),
    baselineLabel: `fresh node making 1 AWS call (median of ${base.runs})`,
  };

  const changes = created.json?.changes ?? [];
  const made = changes.filter((c) => c.action !== 'unchanged').length;
  details.create = created;
  rows.push(
    {
      section,
      metric: 'create (new proxy): AWS API calls',
      value: created.calls,
      unit: 'calls',
      baseline: made,
      baselineLabel: 'resources created or updated',
      ratio: ratio(created.calls, made),
      note: `max ${created.maxInFlight} at once`,
    },
    {
      section,
      metric: 'create (new proxy): wall time',
      value: round(created.ms, 0),
      unit: 'ms',
      ...oneCall,
      ratio: ratio(created.ms, baseMs),
      note: ONE_RUN,
    },
  );

  const changedAgain = (again.json?.changes ?? []).filter((c) => c.action !== 'unchanged').length;
  details.createAgain = again;
  rows.push(
    {
      section,
      metric: 'create again (converge): AWS API calls',
      value: again.calls,
      unit: 'calls',
      baseline: created.calls,
      baselineLabel: 'first create',
      ratio: ratio(again.calls, created.calls),
      note: `${changedAgain} resources changed (should be 0)`,
    },
    {
      section,
      metric: 'create again (converge): wall time',
      value: round(again.ms, 0),
      unit: 'ms',
      ...oneCall,
      ratio: ratio(again.ms, baseMs),
      note: ONE_RUN,
    },
  );

  if (haveStatus) {
    // One run each through the counting proxy for the calls and rounds; wall times from the interleaved runs.
    const status = await measure(proxy, ['status', name, ...common], env);
    const slow = await measure(proxy, ['status', name, ...common], env, DELAY_MS);
    // The same, with no account id known (new credentials, cache off): ListQueues, then the queue reads.
    const cold = await measure(
      proxy,
      ['status', name, ...common],
      { ...env, WEBHOOK_PROXY_CACHE_DIR: '' },
      DELAY_MS,
    );
    proxy.reset(DELAY_MS);
    const [baseSlow, statusSlowTime] = await interleaved(Math.min(runs, 3));
    const baseSlowMs = baseSlow.median;
    details.status = {
      status,
      slow,
      cold,
      baseSlowMs,
      times: { base, statusTime, baseSlow, statusSlowTime },
    };
    rows.push(
      {
        section,
        metric: 'status: AWS API calls',
        value: slow.calls,
        unit: 'calls',
        baseline: slow.maxInFlight,
        baselineLabel: `max at once, ${DELAY_MS} ms added per call`,
        ratio: ratio(slow.calls, slow.maxInFlight),
        note: '1 = all calls in flight together',
      },
      {
        section,
        metric: 'status: wall time',
        value: round(statusTime.median, 0),
        unit: 'ms',
        ...oneCall,
        ratio: ratio(statusTime.median, baseMs),
        note: `median of ${statusTime.runs} runs, interleaved with the baseline`,
      },
      {
        section,
        metric: `status: sequential rounds (${DELAY_MS} ms added per call)`,
        value: slow.rounds,
        unit: 'rounds',
        baseline: 1,
        baselineLabel: 'one parallel round',
        ratio: ratio(slow.rounds, 1),
        note: `${slow.calls} calls, max ${slow.maxInFlight} at once (account id known, as after create)`,
      },
      {
        section,
        metric: `status, account id not known yet: sequential rounds (${DELAY_MS} ms added)`,
        value: cold.rounds,
        unit: 'rounds',
        baseline: 1,
        baselineLabel: 'one parallel round',
        ratio: ratio(cold.rounds, 1),
        note: `${cold.calls} calls; first run with new credentials that do not carry the account id`,
      },
      {
        section,
        metric: `status: wall time (${DELAY_MS} ms added per call)`,
        value: round(statusSlowTime.median, 0),
        unit: 'ms',
        baseline: round(baseSlowMs, 0),
        baselineLabel: `fresh node making 1 AWS call (${DELAY_MS} ms added, median of ${baseSlow.runs})`,
        ratio: ratio(statusSlowTime.median, baseSlowMs),
        note: `median of ${statusSlowTime.runs} runs, interleaved; +${round((statusSlowTime.median - statusTime.median) / DELAY_MS, 1)} × the added latency`,
      },
    );
  } else skipped.push('status: the status command does not exist yet');

  if (hasCommand('list')) {
    const list = await measure(proxy, ['list', ...common], env);
    const slow = await measure(proxy, ['list', ...common], env, DELAY_MS);
    details.list = { list, slow };
    const proxies = Array.isArray(list.json) ? list.json.length : NaN;
    rows.push(
      {
        section,
        metric: `list (${proxies} prox${proxies === 1 ? 'y' : 'ies'}): AWS API calls`,
        value: slow.calls,
        unit: 'calls',
        baseline: slow.maxInFlight,
        baselineLabel: `max at once, ${DELAY_MS} ms added per call`,
        ratio: ratio(slow.calls, slow.maxInFlight),
        note: `wall time ${round(list.ms, 0)} ms, ${ONE_RUN} (${ratio(list.ms, baseMs)} × one call)`,
      },
      {
        section,
        metric: `list: sequential rounds (${DELAY_MS} ms added per call)`,
        value: slow.rounds,
        unit: 'rounds',
        baseline: 1,
        baselineLabel: 'one parallel round',
        ratio: ratio(slow.rounds, 1),
        note: `wall time ${round(slow.ms, 0)} ms with the added latency, ${ONE_RUN}`,
      },
    );
  }

  if (hasCommand('destroy')) {
    const destroyed = await measure(proxy, ['destroy', name, '--yes', ...common], env);
    details.destroy = destroyed;
    rows.push(
      {
        section,
        metric: 'destroy: AWS API calls',
        value: destroyed.calls,
        unit: 'calls',
        baseline: created.calls,
        baselineLabel: 'create',
        ratio: ratio(destroyed.calls, created.calls),
        note: `max ${destroyed.maxInFlight} at once`,
      },
      {
        section,
        metric: 'destroy: wall time',
        value: round(destroyed.ms, 0),
        unit: 'ms',
        ...oneCall,
        ratio: ratio(destroyed.ms, baseMs),
        note: ONE_RUN,
      },
    );
  } else
    skipped.push(
      'destroy: the destroy command does not exist yet (the bench proxy stays in moto, which stops with the run)',
    );
  return { rows, details, skipped };
}
