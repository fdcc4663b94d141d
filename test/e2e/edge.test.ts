/**
 * Handshakes and signature checks through the built `webhook-proxy dev`, with real HTTP on both sides:
 * every handshake is answered by the proxy and never reaches the upstream, forgeries are refused 401
 * and never delivered, genuine webhooks arrive byte-for-byte. (startDev builds first if dist/ is older
 * than src/.)
 */
import { sign as githubSign } from '@octokit/webhooks-methods';
import { createHmac, randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin } from '../helpers/bin.js';
import { slackSignature, xResponseToken, zoomEncryptedToken, zoomSignature } from '../helpers/edge.js';
import { sha256, startUpstream } from '../helpers/upstream.js';
import { startDev, type DevProcess } from './dev-harness.js';

const SECRETS = {
  meta: 'meta-verify-token-e2e',
  zoom: 'zoom-secret-token-e2e',
  x: 'x-consumer-secret-e2e',
  github: 'github-secret-e2e',
  stripe: 'whsec_e2e_' + randomBytes(8).toString('hex'),
  slack: 'slack-signing-secret-e2e',
  dropbox: 'dropbox-app-secret-e2e',
};

let upstream: Awaited<ReturnType<typeof startUpstream>>;
let dev: DevProcess;
let base: string;

beforeAll(async () => {
  upstream = await startUpstream((_r, res) => res.end('ok'));
  dev = await startDev([
    '--upstream',
    upstream.url,
    '--handshake',
    'slack',
    '--handshake',
    `meta=${SECRETS.meta}`,
    '--handshake',
    `zoom=${SECRETS.zoom}`,
    '--handshake',
    'graph',
    '--handshake',
    'dropbox',
    '--handshake',
    `x=${SECRETS.x}`,
    '--verify',
    `github=${SECRETS.github}`,
    '--verify',
    `stripe=${SECRETS.stripe}`,
    '--verify',
    `slack=${SECRETS.slack}`,
    '--verify',
    `zoom=${SECRETS.zoom}`,
    '--verify',
    `hmac-sha256=${SECRETS.dropbox}:x-dropbox-signature`,
  ]);
  base = dev.url.replace(/\/$/, '');
});

afterAll(async () => {
  await dev?.stop('SIGINT');
  await upstream?.close();
});

const post = (path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
  fetch(base + path, { method: 'POST', headers, body });

describe('webhook-proxy dev --handshake --verify', () => {
  it('answers every handshake itself and never forwards one', async () => {
    const json = { 'content-type': 'application/json' };
    const slack = await post(
      '/slack',
      '{"token":"t","challenge":"slack-challenge-1","type":"url_verification"}',
      json,
    );
    expect(slack.status).toBe(200);
    expect(await slack.text()).toBe('slack-challenge-1');

    const meta = await fetch(
      `${base}/meta?hub.mode=subscribe&hub.verify_token=${SECRETS.meta}&hub.challenge=1158201444`,
    );
    expect(meta.status).toBe(200);
    expect(await meta.text()).toBe('1158201444');

    const zoom = await post(
      '/zoom',
      '{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680,"event":"endpoint.url_validation"}',
      json,
    );
    expect(zoom.status).toBe(200);
    expect(await zoom.json()).toEqual({
      plainToken: 'qgg8vlvZRS6UYooatFL8Aw',
      encryptedToken: zoomEncryptedToken(SECRETS.zoom, 'qgg8vlvZRS6UYooatFL8Aw'),
    });

    const graph = await post(
      '/graph?validationToken=Validation%3a+Testing+client+application+reachability',
      '',
    );
    expect(graph.status).toBe(200);
    expect(graph.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await graph.text()).toBe('Validation: Testing client application reachability');

    const dropbox = await fetch(`${base}/dropbox?challenge=dbx-challenge-2`);
    expect(dropbox.status).toBe(200);
    expect(dropbox.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(dropbox.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await dropbox.text()).toBe('dbx-challenge-2');

    const x = await fetch(`${base}/x?crc_token=9b4507b3-9040-4669-9ca3-6b94edb50553`);
    expect(x.status).toBe(200);
    expect(await x.json()).toEqual({
      response_token: xResponseToken(SECRETS.x, '9b4507b3-9040-4669-9ca3-6b94edb50553'),
    });
  });

  it('refuses a wrong Meta verify token with 403', async () => {
    const res = await fetch(`${base}/meta?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=42`);
    expect(res.status).toBe(403);
    expect(await res.text()).not.toContain('42');
  });

  it('refuses forged signatures with 401', async () => {
    const body = '{"forged":true}';
    const now = Math.floor(Date.now() / 1000);
    const stripe = new Stripe('sk_test_not_used_offline');
    const forgeries: Record<string, string>[] = [
      { 'x-hub-signature-256': await githubSign('guessed', body) },
      {
        'stripe-signature': stripe.webhooks.generateTestHeaderString({
          payload: body,
          secret: 'whsec_guessed',
        }),
      },
      {
        // genuine, but replayed after Stripe's 300 s tolerance
        'stripe-signature': stripe.webhooks.generateTestHeaderString({
          payload: body,
          secret: SECRETS.stripe,
          timestamp: now - 400,
        }),
      },
      slackSignature('guessed', now, body),
      slackSignature(SECRETS.slack, now - 600, body), // genuine, but too old
      zoomSignature('guessed', now, body),
      zoomSignature(SECRETS.zoom, now - 600, body), // genuine, but too old
      { 'x-dropbox-signature': createHmac('sha256', 'guessed').update(body).digest('hex') },
      {}, // unsigned
    ];
    for (const headers of forgeries) {
      const res = await post('/forged', body, { 'content-type': 'application/json', ...headers });
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(await res.json()).toMatchObject({ error: 'unauthorized' });
    }
  });

  it('delivers genuine webhooks byte-for-byte, with their signatures, and nothing else', async () => {
    const stripe = new Stripe('sk_test_not_used_offline');
    const ghBody = '{"zen":"Approachable is better than simple.","hook_id":7}';
    const stBody = JSON.stringify({ id: 'evt_e2e', object: 'event', type: 'payment_intent.succeeded' });
    const slBody = 'payload=%7B%22type%22%3A%22block_actions%22%7D';
    const dbBody = Buffer.concat([Buffer.from('{"list_folder":{"accounts":["dbid:A"]}}'), randomBytes(64)]);
    const zmBody =
      '{"event":"meeting.ended","payload":{"object":{"id":"85012345678"}},"event_ts":1764000000000}';
    const now = Math.floor(Date.now() / 1000);
    const sent = [
      await post('/github', ghBody, {
        'content-type': 'application/json',
        'x-hub-signature-256': await githubSign(SECRETS.github, ghBody),
      }),
      await post('/stripe', stBody, {
        'content-type': 'application/json; charset=utf-8',
        'stripe-signature': stripe.webhooks.generateTestHeaderString({
          payload: stBody,
          secret: SECRETS.stripe,
        }),
      }),
      await post('/slack', slBody, {
        'content-type': 'application/x-www-form-urlencoded',
        ...slackSignature(SECRETS.slack, now, slBody),
      }),
      await post('/dropbox', dbBody, {
        'content-type': 'application/octet-stream',
        'x-dropbox-signature': createHmac('sha256', SECRETS.dropbox).update(dbBody).digest('hex'),
      }),
      await post('/zoom', zmBody, {
        'content-type': 'application/json',
        ...zoomSignature(SECRETS.zoom, now, zmBody),
      }),
    ];
    expect(sent.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    const ids = await Promise.all(sent.map(async (r) => ((await r.json()) as { id: string }).id));
    for (const id of ids) await dev.waitFor((e) => e.event === 'delivered' && e.id === id);

    // Only these five reached the upstream: no handshake, no forgery.
    expect(upstream.received.map((r) => r.sha256).sort()).toEqual(
      [ghBody, stBody, slBody, dbBody, zmBody].map((b) => sha256(b)).sort(),
    );
    const byId = new Map(upstream.received.map((r) => [r.headers['x-webhook-proxy-id'], r]));
    expect(byId.get(ids[0])!.headers['x-hub-signature-256']).toBe(await githubSign(SECRETS.github, ghBody));
    expect(Buffer.compare(byId.get(ids[3])!.body, dbBody)).toBe(0);
  });

  it('never prints a secret', () => {
    const output = JSON.stringify(dev.events) + dev.stderr();
    for (const secret of Object.values(SECRETS)) expect(output).not.toContain(secret);
    // The refusals were reported (as events), with the verifier that failed.
    expect(dev.events.some((e) => e.event === 'rejected' && e.status === 401)).toBe(true);
  });
});

describe('webhook-proxy dev with a bad --verify', () => {
  it('exits 2 saying what to do, without repeating the secret', () => {
    const secret = 'sk_live_' + randomBytes(12).toString('hex');
    const r = runBin(['dev', '--upstream', 'http://127.0.0.1:9', '--verify', `stripe=${secret}`]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--verify stripe: that is a Stripe API key, not a webhook signing secret/);
    expect(r.stderr).toMatch(/whsec_/);
    expect(r.stdout + r.stderr).not.toContain(secret);
  });
});
