/**
 * The merge `current + flags → spec` (src/proxy/provision/settings.ts) and the before → after report,
 * on their own: what is kept, what a default fills, what `none` removes, what is refused, and that the
 * report names providers and never a secret. The worst-case retry schedule (src/proxy/limits.ts) too.
 */
import { describe, expect, it } from 'vitest';
import { CliError, UsageError } from '../../src/errors.js';
import { edgeEnv } from '../../src/handlers/edge/flags.js';
import { backoffScheduleSeconds, maxAttemptsWithin, worstRetrySeconds } from '../../src/proxy/limits.js';
import {
  ACCOUNT_INGRESS,
  mergeSettings,
  NEW_PROXY,
  settingChanges,
  type CurrentProxy,
  type Settings,
} from '../../src/proxy/provision/settings.js';

const U = 'https://app.example.com/hooks';
const SECRET = 'whsec_unit_0123456789';
const nothing = (over: Partial<CurrentProxy> = {}): CurrentProxy => ({
  name: 'shop',
  exists: false,
  settings: {},
  dlqHeld: 0,
  stageThrottled: false,
  foreign: [],
  ...over,
});
const existing = (settings: Partial<Settings>, over: Partial<CurrentProxy> = {}): CurrentProxy =>
  nothing({
    exists: true,
    ordered: false,
    settings: { ...NEW_PROXY, upstream: U, ...settings },
    queue: { retentionSeconds: (settings.retentionDays ?? 14) * 86_400, held: 0 },
    ...over,
  });

describe('mergeSettings', () => {
  it('a new proxy gets the defaults and needs --upstream', () => {
    const { spec } = mergeSettings(nothing(), { upstream: U, tags: {} });
    expect(spec).toMatchObject({
      concurrency: 2,
      batchSize: 10,
      timeout: 10,
      maxAttempts: 10,
      retentionDays: 14,
    });
    expect(spec).not.toHaveProperty('rate');
    expect(() => mergeSettings(nothing(), { tags: {} })).toThrow(/create needs --upstream/);
  });

  it('an existing proxy keeps every value not given, and none removes', () => {
    const current = existing({
      concurrency: 5,
      rate: 7,
      ingress: { rate: 50, burst: 100 },
      vpc: { subnets: ['subnet-0a'], securityGroups: ['sg-0b'] },
      preservePath: true,
      edgeEnv: edgeEnv({ verify: [`github=${SECRET}`], handshake: ['slack'] }),
    });
    const kept = mergeSettings(current, { tags: {} }).spec;
    expect(kept).toMatchObject({
      upstream: U,
      concurrency: 5,
      rate: 7,
      ingressRate: 50,
      ingressBurst: 100,
      vpcSubnets: ['subnet-0a'],
      preservePath: true,
      ingestEnv: current.settings.edgeEnv,
    });
    const removed = mergeSettings(current, {
      rate: null,
      ingress: null,
      vpc: null,
      preservePath: false,
      verify: null,
      tags: {},
    }).spec;
    expect(removed).not.toHaveProperty('rate');
    expect(removed).not.toHaveProperty('ingressRate');
    expect(removed).toMatchObject({ vpcSubnets: [], vpcSecurityGroups: [], preservePath: false });
    // --verify none removes the verifiers only; the handshakes are kept.
    expect(removed.ingestEnv).toEqual(edgeEnv({ handshake: ['slack'] }));
  });

  it('--ingress-rate none on a throttled stage sets the account-level limit (it cannot be unset)', () => {
    const throttled = existing({ ingress: { rate: 50, burst: 100 } }, { stageThrottled: true });
    expect(mergeSettings(throttled, { ingress: null, tags: {} }).spec).toMatchObject({
      ingressRate: ACCOUNT_INGRESS.rate,
      ingressBurst: ACCOUNT_INGRESS.burst,
    });
    expect(mergeSettings(existing({}), { ingress: null, tags: {} }).spec).not.toHaveProperty('ingressRate');
  });

  it('keeps the kind: an ordered proxy stays ordered; an unordered one cannot become ordered', () => {
    const ordered = existing({ concurrency: 2, batchSize: 1 }, { ordered: true });
    expect(mergeSettings(ordered, { tags: {} }).spec).toMatchObject({ ordered: true, batchSize: 1 });
    expect(() => mergeSettings(ordered, { batchSize: 5, tags: {} })).toThrow(/one webhook per batch/);
    // --concurrency is refused as --batch-size is: one message group is delivered one at a time.
    expect(() => mergeSettings(ordered, { concurrency: 4, tags: {} })).toThrow(UsageError);
    expect(() => mergeSettings(ordered, { concurrency: 4, tags: {} })).toThrow(
      /--concurrency 4 does not go with --ordered: an ordered proxy delivers one webhook at a time/,
    );
    expect(() => mergeSettings(nothing(), { upstream: U, ordered: true, concurrency: 2, tags: {} })).toThrow(
      /does not go with --ordered/,
    );
    expect(
      mergeSettings(nothing(), { upstream: U, ordered: true, concurrency: 1, tags: {} }).spec,
    ).toMatchObject({
      ordered: true,
      concurrency: 2,
      batchSize: 1,
    });
    expect(() => mergeSettings(existing({}), { ordered: true, tags: {} })).toThrow(CliError);
  });

  it('refuses a second domain; --domain none removes the current one', () => {
    const withDomain = existing({ domain: 'hooks.example.com' });
    const other = { domain: 'other.example.com', certificateArn: 'arn:aws:acm:us-east-1:1:certificate/x' };
    expect(() => mergeSettings(withDomain, { domain: other, tags: {} })).toThrow(UsageError);
    expect(mergeSettings(withDomain, { domain: null, tags: {} }).spec.removeDomain).toBe('hooks.example.com');
    expect(mergeSettings(withDomain, { tags: {} }).spec).not.toHaveProperty('removeDomain');
  });

  it('lowering --retention with webhooks held is refused with the counts, unless --force', () => {
    const held = existing({}, { queue: { retentionSeconds: 14 * 86_400, held: 4 }, dlqHeld: 1 });
    expect(() => mergeSettings(held, { retentionDays: 7, tags: {} })).toThrow(/up to 5 could be deleted/);
    expect(mergeSettings(held, { retentionDays: 7, tags: {} }, { force: true }).spec.retentionDays).toBe(7);
    expect(mergeSettings(held, { retentionDays: 14, tags: {} }).spec.retentionDays).toBe(14);
  });

  it('a retention shorter than the worst-case retry schedule is refused only when one of its inputs changes', () => {
    const refusal = (() => {
      try {
        mergeSettings(nothing(), { upstream: U, retentionDays: 4, tags: {} });
      } catch (err) {
        return err as UsageError;
      }
    })();
    expect(refusal).toBeInstanceOf(UsageError);
    expect(refusal!.message).toMatch(
      /--retention 4 days is shorter[\s\S]*up to 4\.5 days[\s\S]*about 58 min without/,
    );
    expect(refusal!.hint).toBe('Use --retention 5 or more, or --max-attempts 8 or fewer.');
    // An existing proxy an older version made so is not refused for a change elsewhere.
    const old = existing({ retentionDays: 2 });
    expect(() => mergeSettings(old, { upstream: 'https://b.example.com/', tags: {} })).not.toThrow();
    expect(() => mergeSettings(old, { maxAttempts: 9, tags: {} })).toThrow(/--retention 2 days/);
  });
});

describe('settingChanges', () => {
  it('lists each changed setting once, marks a removed verifier, handshake or ingress limit, shows no secret', () => {
    const current = existing({
      rate: 7,
      ingress: { rate: 50, burst: 100 },
      edgeEnv: edgeEnv({ verify: [`github=${SECRET}`, `stripe=${SECRET}x`], handshake: ['slack'] }),
    });
    const { settings } = mergeSettings(current, {
      rate: null,
      ingress: null,
      verify: edgeEnv({ verify: [`github=${SECRET}`] }),
      handshakes: null,
      tags: {},
    });
    const changes = settingChanges(current, settings);
    expect(changes.map((c) => [c.setting, c.before, c.after, Boolean(c.security)])).toEqual([
      ['rate', '7/s', 'unpaced', false],
      ['ingress-rate', '50/s, burst 100', 'none', true],
      ['verify', 'github, stripe', 'github', true],
      ['handshake', 'slack', 'none', true],
    ]);
    expect(JSON.stringify(changes)).not.toContain(SECRET);
  });

  it('a rotated secret is a change by name, not a security one; a new proxy lists nothing', () => {
    const current = existing({ edgeEnv: edgeEnv({ verify: [`github=${SECRET}`] }) });
    const { settings } = mergeSettings(current, { verify: edgeEnv({ verify: ['github=other'] }), tags: {} });
    expect(settingChanges(current, settings)).toEqual([
      { setting: 'verify', before: 'github', after: 'github (changed)' },
    ]);
    expect(settingChanges(nothing(), mergeSettings(nothing(), { upstream: U, tags: {} }).settings)).toEqual(
      [],
    );
  });
});

describe('the retry schedule', () => {
  it('worst case: up to 12 h between attempts (Retry-After), plus the last attempt', () => {
    expect(worstRetrySeconds({ maxAttempts: 10, functionTimeout: 105 })).toBe(9 * 43_200 + 105);
    expect(maxAttemptsWithin(14 * 86_400, 105)).toBe(28);
    // Without Retry-After: 10 runs of 105 s and 9 backoffs of 6, 12, 24, … capped at 900 s.
    expect(
      backoffScheduleSeconds({ maxAttempts: 10, backoffBase: 5, backoffMax: 900, functionTimeout: 105 }),
    ).toBe(1050 + 6 + 12 + 24 + 48 + 96 + 192 + 384 + 768 + 900);
  });
});
