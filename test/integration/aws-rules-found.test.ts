/**
 * What the AWS rules middleware (test/helpers/aws-rules.ts) found in `create`: requests moto took and
 * AWS refuses. Each test here failed on the code before its fix (the rules refused the request, after
 * part of the proxy had been made).
 */
import { describe, expect, it } from 'vitest';
import { uniqueName, useMoto } from '../helpers/moto.js';
import { describeProxy, anythingNamed } from '../helpers/provision.js';
import { runCli } from '../helpers/proxy-fixture.js';

useMoto();

describe('create, held to the rules AWS applies', () => {
  it('a long upstream URL: deliver Description stays within Lambda 256 characters', async () => {
    const name = uniqueName('rules-desc');
    const upstream = `https://app.example.com/${'webhooks/'.repeat(30)}in`;
    const res = await runCli('create', name, '--upstream', upstream, '--json');
    expect(res.code, res.stderr).toBe(0);
    const p = await describeProxy(name);
    const d = p.functions.deliver.config.Description!;
    expect(d.length).toBeLessThanOrEqual(256);
    expect(d.startsWith(`webhook-proxy ${name}: delivers queued webhooks to https://app.example.com/`)).toBe(
      true,
    );
    // A re-run compares the cut text: nothing to change.
    const again = await runCli('create', name, '--upstream', upstream, '--json');
    expect(again.code, again.stderr).toBe(0);
    const changes = (JSON.parse(again.stdout) as { changes: { resource: string; action: string }[] }).changes;
    expect(changes.filter((c) => c.action !== 'unchanged')).toEqual([]);
    expect((await runCli('destroy', name, '--yes')).code).toBe(0);
  });

  // Tagging AWS resources: at most 50 tags a resource (webhook-proxy adds 2), keys ≤ 128, values ≤ 256.
  it.each([
    [
      'a value over 256 characters',
      ['--tag', `team=${'x'.repeat(257)}`],
      /value of 257 characters; AWS allows 256/,
    ],
    ['a key over 128 characters', ['--tag', `${'k'.repeat(129)}=v`], /has 129 characters; AWS allows 128/],
    [
      '49 tags',
      Array.from({ length: 49 }, (_, i) => ['--tag', `k${i}=v`]).flat(),
      /49 --tag flags; AWS allows 50/,
    ],
    ['the aws: prefix', ['--tag', 'aws:team=x'], /prefix aws: is reserved/],
  ])('--tag with %s is a usage error before any AWS call', async (_what, flags, message) => {
    const name = uniqueName('rules-tag');
    const res = await runCli('create', name, '--upstream', 'https://app.example.com/h', ...flags);
    expect(res.code, res.stderr).toBe(2);
    expect(res.stderr).toMatch(message);
    expect(await anythingNamed(name)).toEqual([]);
  });
});
