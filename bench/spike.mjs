// The spike: WEBHOOKS webhooks from SENDERS concurrent senders into `webhook-proxy dev`, delivered to a
// real upstream on 127.0.0.1. Every accepted id must arrive (lost = 0), never more than --concurrency at
// once, and (paced) no faster than --rate. Run twice: unpaced (how fast the buffer drains) and paced.
import { Agent, request } from 'node:http';
import { startDevProcess, startRecordingUpstream } from './dev-process.mjs';
import { percentile, ratio, round, sleep } from './lib.mjs';

function post(url, body, agent) {
  return new Promise((resolve) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json' } },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          let id;
          try {
            id = JSON.parse(Buffer.concat(chunks).toString()).id;
          } catch {
            /* not the ingest answer */
          }
          resolve({ status: res.statusCode, id });
        });
        res.on('error', (err) => resolve({ status: 0, error: err.message }));
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ status: 0, error: err.message }));
    req.end(body);
  });
}

/** A delivery-event webhook of the kind a mail provider sends by the million (~450 bytes). */
function webhookBody(i) {
  return JSON.stringify({
    event: 'delivered',
    email: `user${i}@example.com`,
    timestamp: 1_700_000_000 + i,
    sg_event_id: `evt-${i}-${'x'.repeat(24)}`,
    sg_message_id: `msg-${i}.filter0001.example.com`,
    category: ['newsletter', 'bench'],
    smtp_id: `<${i}@example.com>`,
    response: '250 OK',
  });
}

async function sendAll(url, count, senders) {
  const agent = new Agent({ keepAlive: true, maxSockets: senders });
  const answers = new Array(count);
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: senders }, async () => {
      while (next < count) {
        const i = next++;
        const t0 = performance.now();
        const a = await post(`${url}/hooks/${i % 7}`, webhookBody(i), agent);
        answers[i] = { ...a, ms: performance.now() - t0 };
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  agent.destroy();
  return { answers, seconds };
}

/** Most deliveries that arrived within any one-second window (the pacing promise, measured). */
function peakPerSecond(times) {
  const s = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < s.length; i++) {
    while (s[i] - s[j] >= 1000) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

async function phase({ label, webhooks, senders, concurrency, rate, drainCapMs }) {
  const upstream = await startRecordingUpstream({ delayMs: 2 });
  const args = ['--upstream', `${upstream.url}/hooks`, '--concurrency', String(concurrency)];
  if (rate) args.push('--rate', String(rate));
  const dev = await startDevProcess(args);
  try {
    const { answers, seconds: sendSeconds } = await sendAll(dev.url, webhooks, senders);
    const accepted = answers.filter((a) => a.status >= 200 && a.status < 300 && a.id).map((a) => a.id);
    const acceptedSet = new Set(accepted);
    // Wait until every accepted id arrived, or nothing new arrived for 30 s, or the hard cap.
    const hardEnd = Date.now() + drainCapMs;
    let last = -1;
    let lastChange = Date.now();
    for (;;) {
      const got = [...acceptedSet].filter((id) => upstream.arrivals.has(id)).length;
      if (got === acceptedSet.size) break;
      if (got !== last) [last, lastChange] = [got, Date.now()];
      if (Date.now() - lastChange > 30_000 || Date.now() > hardEnd) break;
      await sleep(100);
    }
    const delivered = [...acceptedSet].filter((id) => upstream.arrivals.has(id));
    const firsts = delivered.map((id) => upstream.arrivals.get(id)[0]);
    const duplicates = [...upstream.arrivals.values()].reduce((n, l) => n + l.length - 1, 0);
    const span = (Math.max(...firsts) - Math.min(...firsts)) / 1000;
    const deliveredRate = delivered.length > 1 ? (delivered.length - 1) / span : NaN;
    const acceptRate = accepted.length / sendSeconds;
    const senderMs = answers.map((a) => a.ms);
    return {
      label,
      webhooks,
      senders,
      concurrency,
      rate: rate ?? null,
      accepted: accepted.length,
      rejected: webhooks - accepted.length,
      delivered: delivered.length,
      lost: accepted.length - delivered.length,
      duplicates,
      maxInFlight: upstream.maxInFlight,
      acceptRate,
      acceptP99Ms: percentile(senderMs, 99),
      deliveredRate,
      peakPerSecond: peakPerSecond(firsts),
      devEvents: { ...dev.counts },
    };
  } finally {
    await dev.stop();
    await upstream.close();
  }
}

export async function spike({ webhooks, senders, concurrency, rate }) {
  const unpaced = await phase({ label: 'unpaced', webhooks, senders, concurrency, drainCapMs: 120_000 });
  // Paced: the drain takes webhooks / rate seconds; allow twice that plus a margin.
  const paced = await phase({
    label: 'paced',
    webhooks,
    senders,
    concurrency,
    rate,
    drainCapMs: Math.ceil((2 * webhooks * 1000) / rate) + 30_000,
  });
  const rows = [];
  for (const p of [unpaced, paced]) {
    const tag = p.rate ? `paced --rate ${p.rate}` : 'unpaced';
    const section = `spike (${tag})`;
    rows.push(
      {
        section,
        metric: 'accepted',
        value: p.accepted,
        unit: 'webhooks',
        baseline: p.webhooks,
        baselineLabel: `sent by ${p.senders} concurrent senders`,
        ratio: ratio(p.accepted, p.webhooks),
        note: `${round(p.acceptRate, 0)} accepted/s, sender p99 ${round(p.acceptP99Ms, 1)} ms`,
      },
      {
        section,
        metric: 'delivered (unique ids at the upstream)',
        value: p.delivered,
        unit: 'webhooks',
        baseline: p.accepted,
        baselineLabel: 'accepted',
        ratio: ratio(p.delivered, p.accepted),
        note: `lost ${p.lost} (must be 0), duplicates ${p.duplicates}`,
      },
      {
        section,
        metric: 'max in flight at the upstream',
        value: p.maxInFlight,
        unit: 'requests',
        baseline: p.concurrency,
        baselineLabel: '--concurrency cap',
        ratio: ratio(p.maxInFlight, p.concurrency),
        note: 'ratio must be ≤ 1',
      },
      p.rate
        ? {
            section,
            metric: 'delivered rate',
            value: round(p.deliveredRate, 1),
            unit: 'req/s',
            baseline: p.rate,
            baselineLabel: '--rate',
            ratio: ratio(p.deliveredRate, p.rate),
            note: `busiest 1-s window: ${p.peakPerSecond} deliveries`,
          }
        : {
            section,
            metric: 'delivered rate (drain)',
            value: round(p.deliveredRate, 1),
            unit: 'req/s',
            baseline: round(p.acceptRate, 1),
            baselineLabel: 'accept rate of the spike',
            ratio: ratio(p.deliveredRate, p.acceptRate),
            note: `upstream answers in ~2 ms; busiest 1-s window: ${p.peakPerSecond}`,
          },
    );
  }
  return { rows, details: { unpaced, paced } };
}
