#!/usr/bin/env node
// Tiny launcher: refuse old Node versions with a clear message, then run the bundled CLI.
const [major] = process.versions.node.split('.').map(Number);
if (major < 20) {
  process.stderr.write(`webhook-proxy needs Node.js 20 or newer (this is ${process.version}).\n`);
  process.exit(1);
}
// The SDK warns on Node 20 that releases after January 2027 will need Node 22. This package pins its
// SDK versions and supports Node 20 itself, so the warning is noise in a runbook; `engines` says the rest.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { main } = await import('../dist/cli/cli.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
    process.stderr.write('webhook-proxy is not built: run "npm run build" in its folder first.\n');
    process.exit(1);
  }
  throw err;
});
const code = await main(process.argv);
process.exitCode = code;
// Let stdout drain and the loop empty by itself; if a stray keep-alive socket holds it open, leave anyway.
setTimeout(() => process.exit(code), 3000).unref();
