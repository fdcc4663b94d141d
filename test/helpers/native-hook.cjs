// Preloaded into the built CLI (NODE_OPTIONS=--require) by test/e2e/dev-store.test.ts: reports on
// stderr every native addon the process loads, and with WP_TEST_BREAK_SQLITE=1 makes better-sqlite3's
// fail to load, as on a machine where it was built for another Node.js.
const dlopen = process.dlopen;
process.dlopen = function (module, filename, ...rest) {
  process.stderr.write(`[native-hook] dlopen ${filename}\n`);
  if (process.env.WP_TEST_BREAK_SQLITE === '1' && /better_sqlite3\.node$/.test(filename)) {
    throw new Error(`The module '${filename}' was compiled against a different Node.js version (test)`);
  }
  return dlopen.call(this, module, filename, ...rest);
};
