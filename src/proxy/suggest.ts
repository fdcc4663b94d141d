/**
 * The commands that messages suggest, spelled out with the proxy's name and region, so that pasting
 * one acts on the proxy the message is about (a bare `webhook-proxy resume` acts on "default", in
 * whatever region the shell happens to point at).
 */

export interface Where {
  name: string;
  region: string;
}

/** `webhook-proxy VERB NAME --region R [rest]`. */
export function suggest(verb: string, where: Where, rest = ''): string {
  return `webhook-proxy ${verb} ${where.name} --region ${where.region}${rest ? ` ${rest}` : ''}`;
}

/** "1 message", "3 messages". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
