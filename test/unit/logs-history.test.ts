/**
 * A webhook's history (`logs --id`) from the lines the real ingest handler writes when it checks a
 * signature: the story says which verifier passed it ("verified by" in issue 15), and where it is now
 * when nothing has tried it yet or no line is found. integration/logs.test.ts tells the delivered,
 * dead-lettered and queued-with-its-next-attempt stories against moto; this holds the parts it cannot
 * (its ingest checks no signature).
 */
import { sign as githubSign } from '@octokit/webhooks-methods';
import { describe, expect, it } from 'vitest';
import { edgeEnv } from '../../src/handlers/edge/flags.js';
import { createIngestHandler, ingestConfigFromEnv } from '../../src/handlers/ingest.js';
import { buildHistory } from '../../src/proxy/logs/history.js';
import { parseLogEvent, type LogEntry } from '../../src/proxy/logs/parse.js';
import { formatHistory } from '../../src/proxy/logs/render.js';
import { httpApiEvent } from '../helpers/events.js';
import { recordingPort } from '../helpers/memory-port.js';

const SECRET = 'github-webhook-secret-0a1b';
const REQ = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
const T = Date.UTC(2026, 11, 6, 3, 0, 0);

/** What the ingest handler logs for one signed GitHub webhook, read back as `logs` reads it. */
async function signedIngestEntry(): Promise<LogEntry> {
  const lines: Record<string, unknown>[] = [];
  // From the environment, as a user should give it (a literal secret is warned about on stderr).
  process.env.LOGS_HISTORY_GITHUB_SECRET = SECRET;
  const config = ingestConfigFromEnv(edgeEnv({ verify: ['github=env:LOGS_HISTORY_GITHUB_SECRET'] })); // as deployed
  const handler = createIngestHandler({ queue: recordingPort().port, config, log: (l) => lines.push(l) });
  const body = '{"zen":"Design for failure."}';
  const res = await handler(
    httpApiEvent({
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': await githubSign(SECRET, body) },
      body,
      sourceIp: '198.51.100.9',
    }),
  );
  expect(res.statusCode).toBe(200);
  expect(lines).toHaveLength(1);
  // Lambda's default text format around the handler's JSON line, as in the function's log group.
  const message = `${new Date(T).toISOString()}\t${REQ}\tINFO\t${JSON.stringify(lines[0])}`;
  return parseLogEvent({ timestamp: T, message })!;
}

const ctx = { name: 'orders', region: 'eu-west-1', searchedSince: T - 3600_000, now: T + 1000 };

describe("a webhook's history", () => {
  it('says which verifier passed it; received and not tried yet is "queued"', async () => {
    const received = await signedIngestEntry();
    expect(received).toMatchObject({ kind: 'received', verifiedBy: 'github', sourceIp: '198.51.100.9' });
    const h = buildHistory(received.id!, [received], ctx);
    expect(h.now.state).toBe('queued');
    const text = formatHistory(h);
    expect(text).toMatch(
      /received .* bytes from 198\.51\.100\.9, signature verified by github, answered 200/,
    );
    expect(text).toContain('now        queued: not attempted yet (delivery may be paused: see status)');
  });

  it('with no line for the id: says so, and names a wider search with the name and region', () => {
    const id = `wh_${'a'.repeat(32)}`;
    const h = buildHistory(id, [], ctx);
    expect(h.now.state).toBe('unknown');
    expect(formatHistory(h)).toContain('received   (no ingest line in the time searched)');
    expect(h.now.next).toBe(`webhook-proxy logs orders --id ${id} --since 14d --region eu-west-1`);
  });
});
