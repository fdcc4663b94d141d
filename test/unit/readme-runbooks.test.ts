/**
 * Every `webhook-proxy …` command line in the README's runbooks parses with the real CLI: the program
 * of src/cli.ts (commander, with the same option parsers), its actions replaced by a no-op, so a
 * renamed flag, a removed command or an out-of-range value in a runbook fails here, not at 3 a.m.
 */
import { readFileSync } from 'node:fs';
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli.js';

/** The `## Runbooks` section: up to the next second-level heading. */
function runbooks(readme: string): string {
  const start = readme.indexOf('\n## Runbooks\n');
  expect(start, 'README has a "## Runbooks" section').toBeGreaterThan(-1);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

/** The command lines of its sh blocks, comments off, `a && b` as two. */
function commandLines(section: string): string[] {
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks
    .flatMap((b) => b.split('\n'))
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .flatMap((l) => l.split(/\s*&&\s*/))
    .filter((l) => l.startsWith('webhook-proxy '));
}

/** Words as a shell splits them (enough for a runbook: spaces and quotes, no expansions). */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

/** Parse one command line; resolves to the error commander (or an option's parser) threw, if any. */
async function parse(line: string): Promise<unknown> {
  const program = buildProgram(
    () => {},
    () => {},
  );
  for (const c of program.commands) c.action(() => {});
  try {
    await program.parseAsync(words(line), { from: 'user' });
    return undefined;
  } catch (err) {
    return err;
  }
}

const describeErr = (err: unknown) =>
  err instanceof CommanderError
    ? err.message
    : err instanceof Error
      ? `${err.name}: ${err.message}`
      : String(err);

describe('README runbooks', () => {
  const lines = commandLines(runbooks(readFileSync('README.md', 'utf8'))).map((l) =>
    l.replace(/^webhook-proxy /, ''),
  );

  it('has the runbooks, "Nothing drains" among them', () => {
    const section = runbooks(readFileSync('README.md', 'utf8'));
    expect(section).toContain('**Nothing drains.**');
    expect(section).toContain('**The DLQ alarm fired**');
    expect(lines.length).toBeGreaterThan(30);
  });

  it('every command line parses with the real CLI', async () => {
    const failed: string[] = [];
    for (const line of lines) {
      const err = await parse(line);
      if (err) failed.push(`webhook-proxy ${line}\n  → ${describeErr(err)}`);
    }
    expect(failed).toEqual([]);
  });

  it('the check can fail: an unknown option, command or value is refused', async () => {
    for (const bad of [
      'logs sendgrid --failures',
      'deploy sendgrid',
      'scale sendgrid --concurrency 0',
      'status sendgrid extra',
    ]) {
      expect(await parse(bad), bad).toBeDefined();
    }
    expect(await parse('logs sendgrid --failed --since 15m')).toBeUndefined();
  });

  it('the DLQ alarm runbook uses the commands that say why: status, logs --failed, logs --id', () => {
    const section = runbooks(readFileSync('README.md', 'utf8'));
    const alarm = section.slice(section.indexOf('**The DLQ alarm fired**'));
    const block = alarm.slice(0, alarm.indexOf('```', alarm.indexOf('```sh') + 5));
    for (const cmd of [
      'status sendgrid',
      'logs sendgrid --failed',
      'logs sendgrid --id',
      'redrive sendgrid',
    ]) {
      expect(block).toContain(`webhook-proxy ${cmd}`);
    }
  });
});
