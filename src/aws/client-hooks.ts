/**
 * Test seam: functions run on every SDK client this package builds (the CLI's factory in clients.ts
 * and the handlers' SQS client), so the tests can add middleware to them: the AWS rules moto skips and
 * the call recorder of the IAM simulation (test/helpers/aws-rules*.ts, test/helpers/iam-*.ts). The
 * product never registers one. The list lives on globalThis under a registered symbol, not in a module
 * variable, so a module preloaded with NODE_OPTIONS=--import reaches the bundled CLI and handlers too.
 */
export interface HookedClient {
  middlewareStack: unknown;
  config: unknown;
}
/** What the hook knows of the client's settings (the handlers' client has none of its own). */
export interface HookSettings {
  region?: string;
  endpoint?: string;
  /** Whose client: the CLI's (the operator's identity) or a handler's (its function's role). */
  source?: 'cli' | 'handler';
}
export type ClientHook = (client: HookedClient, settings: HookSettings) => void;

const KEY = Symbol.for('webhook-proxy.clientHooks');

/** The registered hooks (an empty list in the product). */
export function clientHooks(): ClientHook[] {
  const g = globalThis as { [KEY]?: ClientHook[] };
  return (g[KEY] ??= []);
}

export function runClientHooks(client: HookedClient, settings: HookSettings): void {
  for (const hook of clientHooks()) hook(client, settings);
}
