/**
 * The CLI in-process: global options, help, version, usage errors → exit 2.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('cli', () => {
  it('prints its version', async () => {
    const r = await runCli('--version');
    expect(r.code).toBe(0);
    // From package.json itself, not from the code that reads it.
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  });

  it('prints help with the global options', async () => {
    const r = await runCli('--help');
    expect(r.code).toBe(0);
    for (const flag of ['--region', '--profile', '--endpoint-url', '--json', '--verbose', '--yes']) {
      expect(r.stdout).toContain(flag);
    }
  });

  it('refuses an unknown option or command with exit 2', async () => {
    const r = await runCli('--no-such-flag');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option/);
    expect((await runCli('frobnicate')).code).toBe(2);
  });

  it('tells an --upstream without a scheme which URL to write (http for this machine, https otherwise)', async () => {
    for (const cmd of ['create', 'dev']) {
      const local = await runCli(cmd, '--upstream', 'localhost:3000/x');
      expect(local.code).toBe(2);
      expect(local.stderr).toContain('--upstream http://localhost:3000/x');
      const loop = await runCli(cmd, '--upstream', '127.0.0.1:8080');
      expect(loop.code).toBe(2);
      expect(loop.stderr).toContain('--upstream http://127.0.0.1:8080/');
    }
    const remote = await runCli('create', '--upstream', 'app.example.com/hooks');
    expect(remote.code).toBe(2);
    expect(remote.stderr).toContain('--upstream https://app.example.com/hooks');
    // A scheme that is there but wrong is named as such, not "add http://".
    const ftp = await runCli('create', '--upstream', 'ftp://app.example.com/');
    expect(ftp.code).toBe(2);
    expect(ftp.stderr).toMatch(/must use http or https \(got "ftp:"\)/);
    expect(ftp.stderr).not.toContain('Add the scheme');
  });

  it('offers a command only within two edits: `deploy` is not offered `destroy`', async () => {
    const deploy = await runCli('deploy');
    expect(deploy.code).toBe(2);
    expect(deploy.stderr).toMatch(/unknown command 'deploy'/);
    expect(deploy.stderr).not.toMatch(/destroy/);
    const depoy = await runCli('depoy');
    expect(depoy.stderr).not.toMatch(/Did you mean/);
    const stauts = await runCli('stauts');
    expect(stauts.code).toBe(2);
    expect(stauts.stderr).toContain('(Did you mean status?)');
    // An alias is a name too; a global flag misspelt before the command is still helped.
    expect((await runCli('set-concurency')).stderr).toContain('(Did you mean set-concurrency?)');
    expect((await runCli('--regoin', 'x', 'list')).stderr).toContain('(Did you mean --region?)');
  });

  it('with --json, a usage error is one line of JSON on stderr and nothing on stdout', async () => {
    const cases: [string[], string, RegExp][] = [
      [['--json', 'deploy'], 'unknown_command', /unknown command 'deploy'/],
      [['--json', 'status', '--wach'], 'unknown_option', /unknown option '--wach'/],
      [['--json', 'create', '--upstream', 'localhost:3000/x'], 'usage', /--upstream must start with http/],
      [['--json'], 'missing_command', /No command given/],
    ];
    for (const [args, code, message] of cases) {
      const r = await runCli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      const parsed = JSON.parse(lines[0]!) as {
        error: { code: string; message: string; hint: string | null };
      };
      expect(parsed.error.code).toBe(code);
      expect(parsed.error.message).toMatch(message);
      expect(parsed.error).toHaveProperty('hint');
    }
    const scheme = await runCli('--json', 'create', '--upstream', 'localhost:3000/x');
    expect(JSON.parse(scheme.stderr).error.hint).toContain('http://localhost:3000/x');
  });

  it("every error code --json reports is one of the README's list (commander's own are usage)", async () => {
    const readme = readFileSync('README.md', 'utf8');
    const listed = readme.slice(readme.indexOf('`code` is a word a script can'));
    const words = new Set(
      [...listed.slice(0, listed.indexOf('.')).matchAll(/`([a-z_]+)`/g)].map((m) => m[1]!),
    );
    expect(words).toContain('usage');
    for (const args of [
      ['--json', 'status', 'a', 'b'], // commander: excess_arguments
      ['--json', 'status', '--interval'], // commander: option_missing_argument
    ]) {
      const r = await runCli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(JSON.parse(r.stderr).error.code, args.join(' ')).toBe('usage');
    }
    // Every code the source gives an error is listed; refresh_failed is a status --watch line, said apart.
    const inSource = readdirSync('src', { recursive: true, encoding: 'utf8' })
      .filter((f) => /\.tsx?$/.test(f))
      .flatMap((f) =>
        [...readFileSync(join('src', f), 'utf8').matchAll(/\bcode: '([a-z_]+)'/g)].map((m) => m[1]!),
      );
    expect(inSource.length).toBeGreaterThan(5);
    expect(inSource.filter((c) => !words.has(c))).toEqual(['refresh_failed']);
    expect(readme).toContain('"code":"refresh_failed"');
  });

  it('a bare webhook-proxy shows the help on stderr and exits 2 (a command is missing); `help` exits 0', async () => {
    const bare = await runCli();
    expect(bare.code).toBe(2);
    expect(bare.stdout).toBe('');
    expect(bare.stderr).toContain('Usage: webhook-proxy');
    const help = await runCli('help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: webhook-proxy');
  });

  it('`help [command]` is --help: the same text on stdout, exit 0; an unknown name is an unknown command', async () => {
    for (const [args, same] of [
      [
        ['help', 'status'],
        ['status', '--help'],
      ],
      [
        ['help', 'set-concurrency'],
        ['scale', '--help'],
      ], // an alias
      [['help', 'help'], ['--help']],
    ] as const) {
      const r = await runCli(...args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout, args.join(' ')).toBe((await runCli(...same)).stdout);
    }
    // commander's own help command printed the whole help with exit 2 here, and no word of what was wrong.
    const deploy = await runCli('help', 'deploy');
    expect(deploy.code).toBe(2);
    expect(deploy.stdout).toBe('');
    expect(deploy.stderr).toContain("error: unknown command 'deploy'");
    expect(deploy.stderr).not.toMatch(/destroy/);
    expect((await runCli('help', 'stauts')).stderr).toContain('(Did you mean status?)');
    const json = await runCli('--json', 'help', 'deploy');
    expect(JSON.parse(json.stderr).error.code).toBe('unknown_command');
  });

  it('every --interval takes the same range (status --watch, drain, logs --follow)', async () => {
    for (const cmd of ['status', 'drain', 'logs']) {
      for (const bad of ['0.1', '3601']) {
        const r = await runCli(cmd, '--interval', bad);
        expect(r.code, `${cmd} --interval ${bad}`).toBe(2);
        expect(r.stderr).toContain(`--interval must be a number from 0.2 to 3600 (got "${bad}")`);
      }
      expect((await runCli(cmd, '--help')).stdout).toMatch(/--interval <s>[\s\S]*\(0\.2–3600\)/);
    }
  });
});
