/**
 * The edge inside the ingest handler: handshakes and forgeries are answered without touching the queue;
 * genuine webhooks are stored byte-for-byte; the logs say what happened without secrets or bodies.
 */
import { sign as githubSign } from '@octokit/webhooks-methods';
import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { decodeEnvelope, envelopeBody } from '../../src/envelope.js';
import { edgeEnv } from '../../src/handlers/edge/flags.js';
import { createIngestHandler, ingestConfigFromEnv } from '../../src/handlers/ingest.js';
import { slackSignature } from '../helpers/edge.js';
import { httpApiEvent } from '../helpers/events.js';
import { recordingPort } from '../helpers/memory-port.js';

const SECRETS = {
  meta: 'meta-verify-token-7f3a',
  zoom: 'zoom-secret-token-91bc',
  x: 'x-consumer-secret-55de',
  github: 'github-webhook-secret-0a1b',
  stripe: 'whsec_stripe-secret-2c3d',
  slack: 'slack-signing-secret-4e5f',
  generic: 'generic-secret-6a7b',
};
const NOW = Date.UTC(2026, 10, 25, 9, 0, 0);

function setup(flags: { handshake?: string[]; verify?: string[] }) {
  const rec = recordingPort();
  const logs: Record<string, unknown>[] = [];
  const config = ingestConfigFromEnv(edgeEnv(flags)); // the same path a deployed function takes
  const handler = createIngestHandler({ queue: rec.port, config, log: (l) => logs.push(l), now: () => NOW });
  return { ...rec, logs, handler };
}

function expectNoSecretsIn(logs: Record<string, unknown>[]) {
  const text = JSON.stringify(logs);
  for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
}

describe('ingest with --handshake', () => {
  const all = ['slack', `meta=${SECRETS.meta}`, `zoom=${SECRETS.zoom}`, 'graph', 'dropbox', `x=${SECRETS.x}`];

  it('answers every handshake itself and never queues one', async () => {
    const { handler, sent, logs } = setup({ handshake: all });
    const json = { 'content-type': 'application/json' };
    const answers = await Promise.all([
      handler(
        httpApiEvent({
          headers: json,
          body: '{"token":"t","challenge":"slack-ch","type":"url_verification"}',
        }),
      ),
      handler(
        httpApiEvent({
          method: 'GET',
          rawQueryString: `hub.mode=subscribe&hub.verify_token=${SECRETS.meta}&hub.challenge=987654`,
        }),
      ),
      handler(
        httpApiEvent({
          headers: json,
          body: '{"event":"endpoint.url_validation","payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"}}',
        }),
      ),
      handler(httpApiEvent({ rawQueryString: 'validationToken=Validation%3a+Testing' })),
      handler(httpApiEvent({ method: 'GET', rawQueryString: 'challenge=dbx-ch' })),
      handler(httpApiEvent({ method: 'GET', rawQueryString: 'crc_token=crc-abc' })),
    ]);
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(answers.map((a) => a.body).slice(0, 2)).toEqual(['slack-ch', '987654']);
    expect(answers[3]!.body).toBe('Validation: Testing');
    expect(answers[4]!.body).toBe('dbx-ch');
    expect(sent).toHaveLength(0);
    expect(logs.map((l) => [l.msg, l.provider, l.status])).toEqual([
      ['handshake', 'slack', 200],
      ['handshake', 'meta', 200],
      ['handshake', 'zoom', 200],
      ['handshake', 'graph', 200],
      ['handshake', 'dropbox', 200],
      ['handshake', 'x', 200],
    ]);
    expectNoSecretsIn(logs);
  });

  it('refuses a wrong Meta verify token with 403, and queues nothing', async () => {
    const { handler, sent, logs } = setup({ handshake: [`meta=${SECRETS.meta}`] });
    const res = await handler(
      httpApiEvent({
        method: 'GET',
        rawQueryString: 'hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1',
      }),
    );
    expect(res.statusCode).toBe(403);
    expect(sent).toHaveLength(0);
    expect(logs[0]).toMatchObject({
      msg: 'handshake',
      provider: 'meta',
      status: 403,
      level: 'warn',
      error: 'meta handshake refused',
    });
    expectNoSecretsIn(logs);
  });

  it('still stores ordinary webhooks', async () => {
    const { handler, sent } = setup({ handshake: all });
    const body = '{"type":"event_callback","event":{"type":"app_mention"}}';
    const res = await handler(httpApiEvent({ headers: { 'content-type': 'application/json' }, body }));
    expect(res.statusCode).toBe(200);
    expect(envelopeBody(decodeEnvelope(sent[0]!.body)).toString()).toBe(body);
  });
});

describe('ingest with --verify', () => {
  const flags = {
    verify: [
      `github=${SECRETS.github}`,
      `stripe=${SECRETS.stripe}`,
      `slack=${SECRETS.slack}`,
      `hmac-sha256=${SECRETS.generic}:x-signature`,
    ],
  };
  const stripe = new Stripe('sk_test_not_used_offline');

  it('stores genuine webhooks intact, whatever the sender', async () => {
    const { handler, sent, logs } = setup(flags);
    const ghBody = '{"zen":"Design for failure.","hook_id":1}';
    const stBody = JSON.stringify({ id: 'evt_1', type: 'invoice.paid' });
    const slBody = 'payload=%7B%22type%22%3A%22block_actions%22%7D';
    const binBody = randomBytes(512);
    const { createHmac } = await import('node:crypto');
    const requests = [
      httpApiEvent({
        headers: {
          'content-type': 'application/json',
          'x-hub-signature-256': await githubSign(SECRETS.github, ghBody),
        },
        body: ghBody,
      }),
      httpApiEvent({
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'stripe-signature': stripe.webhooks.generateTestHeaderString({
            payload: stBody,
            secret: SECRETS.stripe,
            timestamp: Math.floor(NOW / 1000) - 10,
          }),
        },
        body: stBody,
      }),
      httpApiEvent({
        headers: {
          'content-type': 'application/x-www-form-urlencoded', // arrives base64-encoded from API Gateway
          ...slackSignature(SECRETS.slack, Math.floor(NOW / 1000), slBody),
        },
        body: slBody,
      }),
      httpApiEvent({
        headers: {
          'content-type': 'application/octet-stream',
          'x-signature': createHmac('sha256', SECRETS.generic).update(binBody).digest('base64'),
        },
        body: binBody,
      }),
    ];
    for (const r of requests) expect((await handler(r)).statusCode).toBe(200);
    const bodies = sent.map((m) => envelopeBody(decodeEnvelope(m.body)));
    expect(bodies.map((b) => b.toString())).toEqual([ghBody, stBody, slBody, binBody.toString()]);
    expect(Buffer.compare(bodies[3]!, binBody)).toBe(0);
    expect(logs.map((l) => l.verifiedBy)).toEqual(['github', 'stripe', 'slack', 'hmac-sha256:x-signature']);
    expectNoSecretsIn(logs);
  });

  it('refuses forgeries with 401 and queues nothing; the log names the verifier, not the secret or body', async () => {
    const { handler, sent, logs } = setup(flags);
    const body = '{"secret_payload_marker":true}';
    const forged = [
      { 'x-hub-signature-256': await githubSign('guessed', body) },
      {
        'stripe-signature': stripe.webhooks.generateTestHeaderString({
          payload: body,
          secret: SECRETS.stripe,
          timestamp: Math.floor(NOW / 1000) - 301, // genuine but replayed too late
        }),
      },
      slackSignature('guessed', Math.floor(NOW / 1000), body),
      { 'x-signature': 'sha256=' + '0'.repeat(64) },
      {}, // no signature at all
    ];
    for (const headers of forged) {
      const res = await handler(
        httpApiEvent({ headers: { 'content-type': 'application/json', ...headers }, body }),
      );
      expect(res.statusCode).toBe(401);
      expect(JSON.parse(res.body!)).toMatchObject({ error: 'unauthorized' });
    }
    expect(sent).toHaveLength(0);
    expect(logs.map((l) => [l.status, l.level])).toEqual(Array(5).fill([401, 'warn']));
    expect(logs.map((l) => l.error)).toEqual([
      'signature verification failed: github (signature mismatch)',
      'signature verification failed: stripe (timestamp older than 300 s)',
      'signature verification failed: slack (signature mismatch)',
      'signature verification failed: hmac-sha256:x-signature (signature mismatch)',
      'signature verification failed: none (no signature header (expected one of: x-hub-signature-256, x-signature, x-slack-signature, stripe-signature))',
    ]);
    expect(JSON.stringify(logs)).not.toContain('secret_payload_marker');
    expectNoSecretsIn(logs);
  });

  it('handshakes come first: answered even though they carry no signature', async () => {
    const { handler, sent } = setup({ ...flags, handshake: ['graph'] });
    const res = await handler(httpApiEvent({ rawQueryString: 'validationToken=abc' }));
    expect(res).toMatchObject({ statusCode: 200, body: 'abc' });
    expect(sent).toHaveLength(0);
  });
});
