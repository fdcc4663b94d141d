/**
 * `serve --host`: what the proxy listens on, checked in one place. The flag's parser refuses what can
 * never be an address to listen on (a URL, a port glued on, 300.1.1.1) before anything starts; the
 * start resolves a name and says, once, when the proxy will be reachable from beyond this machine,
 * because then a sender's signature is all that stands between the network and the queue.
 */
import { lookup } from 'node:dns/promises';
import { isIP, isIPv4 } from 'node:net';
import { UsageError } from '../errors.js';
import { VERIFIER_NAMES } from '../handlers/edge/settings.js';

const EXAMPLES =
  'For example --host 127.0.0.1 (this machine only, the default), --host 0.0.0.0 (every IPv4 ' +
  'interface), --host :: (every interface), or one of this machine’s addresses such as 192.168.1.20.';

// RFC 1123 labels; the last one not all digits (that would be a malformed IPv4 address, as in a URL).
const HOSTNAME =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

/** commander's parser for --host: the address as `listen` takes it (IPv6 without brackets), or a UsageError. */
export function parseListenHost(raw: string): string {
  const v = raw.trim();
  const bad = (why: string, hint = EXAMPLES) => new UsageError(`--host ${JSON.stringify(raw)}: ${why}`, hint);
  if (!v) throw bad('it is empty.');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) {
    throw bad(
      '--host takes an address, not a URL.',
      `Drop the scheme: --host ${new URL(v).hostname}. ${EXAMPLES}`,
    );
  }
  const bracketed = /^\[(.*)\]$/.exec(v);
  if (bracketed) {
    if (isIP(bracketed[1]!) === 6) return bracketed[1]!;
    throw bad('brackets hold an IPv6 address only.');
  }
  if (isIP(v)) return v;
  const withPort = /^(\[[^\]]*\]|[^:]+):(\d+)$/.exec(v);
  if (withPort) {
    throw bad(
      'the port goes in --port.',
      `Use --host ${withPort[1]!.replace(/^\[|\]$/g, '')} --port ${withPort[2]}.`,
    );
  }
  const labels = v.replace(/\.$/, '').split('.');
  if (/^\d+$/.test(labels.at(-1)!) || !HOSTNAME.test(v)) {
    throw bad(v.includes(':') ? 'that is not an IPv6 address.' : 'that is not an IP address or a host name.');
  }
  return v;
}

/** 127.0.0.0/8 and ::1, in any of their spellings (::ffff:127.0.0.1 included). */
export function isLoopback(address: string): boolean {
  const v4 = isIPv4(address) ? address : /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (v4) return v4.startsWith('127.');
  // The URL parser writes an IPv6 address in its one canonical form (0:0:0:0:0:0:0:1 is [::1]).
  return isIP(address) === 6 && new URL(`http://[${address}]/`).hostname === '[::1]';
}

/**
 * Resolve `host` (a name is looked up as `listen` would) and return the warning to say once (warn())
 * when the proxy would be reachable from the network, or undefined for loopback. A name this machine
 * cannot resolve is a UsageError now rather than an ENOTFOUND from deep in the start.
 */
export async function checkListenHost(host: string, verifying: boolean): Promise<string | undefined> {
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = (await lookup(host, { all: true })).map((a) => a.address);
    } catch (err) {
      throw new UsageError(
        `--host ${host}: this machine cannot resolve that name (${(err as NodeJS.ErrnoException).code ?? String(err)}).`,
        EXAMPLES,
      );
    }
  }
  if (addresses.length && addresses.every(isLoopback)) return undefined;
  const where = host === '0.0.0.0' || host === '::' ? 'every network interface of this machine' : `${host}`;
  return (
    `listening on ${where}: the proxy is reachable from the network, and anyone who can reach ` +
    'it can queue webhooks for your upstream. The senders’ signatures are its only guard: ' +
    (verifying
      ? 'every request must carry a valid signature from one of the --verify senders (401 otherwise), so keep their secrets secret.'
      : `no --verify is set, so every request is accepted. Add --verify NAME=SECRET (${VERIFIER_NAMES.join(', ')}), ` +
        'or keep the default --host 127.0.0.1 behind a reverse proxy.')
  );
}

/** A listen error the user can fix from the command line, as a UsageError; undefined for the rest. */
export function listenError(err: NodeJS.ErrnoException, host: string, port: number): UsageError | undefined {
  if (err.code === 'EADDRINUSE') {
    return new UsageError(
      `Port ${port} on ${host} is already in use.`,
      'Pick another with --port (or --port 0 for any free port).',
    );
  }
  if (err.code === 'EADDRNOTAVAIL') {
    return new UsageError(`--host ${host} is not an address of this machine.`, EXAMPLES);
  }
  if (err.code === 'EACCES') {
    return new UsageError(
      `Not allowed to listen on port ${port} of ${host} (ports below 1024 need privileges).`,
      'Pick a port from 1024 up with --port, and put a reverse proxy or a port forward in front.',
    );
  }
  return undefined;
}
