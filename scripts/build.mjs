// One build for everything: the CLI (dependencies stay in node_modules, target node20 as package.json's
// engines say) and each Lambda handler (one self-contained ESM file, target node24 for Lambda's
// nodejs24.x runtime, with a metafile to see what made it big).
import { build } from 'esbuild';
import { mkdir, rm, writeFile } from 'node:fs/promises';

const handlers = ['ingest', 'deliver'];

async function buildCli() {
  // Chunk names carry content hashes: clear the old ones, or they pile up and get packed.
  await rm('dist/cli', { recursive: true, force: true });
  const result = await build({
    entryPoints: { cli: 'src/cli.ts' },
    outdir: 'dist/cli',
    bundle: true,
    // Commands import their engines lazily; splitting keeps those imports lazy in the bundle.
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Installed with the package, so not bundled: commander, ink/react, @aws-sdk/*, fflate.
    packages: 'external',
    jsx: 'automatic',
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
  });
  await writeFile('dist/cli/meta.json', JSON.stringify(result.metafile));
}

async function buildHandler(name) {
  const outdir = `dist/handlers/${name}`;
  await mkdir(outdir, { recursive: true });
  const result = await build({
    entryPoints: [`src/handlers/${name}.ts`],
    outfile: `${outdir}/index.mjs`,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    // The nodejs24.x runtime ships AWS SDK v3: bundling it would add ~200 KB of cold start for nothing.
    external: ['@aws-sdk/*'],
    minify: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  });
  await writeFile(`${outdir}/meta.json`, JSON.stringify(result.metafile));
}

await Promise.all([buildCli(), ...handlers.map(buildHandler)]);
