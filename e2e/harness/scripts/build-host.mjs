// Builds the host page bundle for one leg: `node build-host.mjs <leg>` → e2e/<leg>/dist/host.{js,css}.
// The host code lives in e2e/harness/src/host; every Grafana singleton (react, @grafana/*, @emotion/*, rxjs, …)
// is resolved from the leg's directory so each leg bundles exactly its own versions, once.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const harnessDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const e2eDir = path.dirname(harnessDir);
const legs = ['grafana-12', 'grafana-13'];
const leg = process.argv[2];
if (!legs.includes(leg)) {
  console.error(`usage: build-host.mjs <${legs.join('|')}>`);
  process.exit(2);
}
const legDir = path.join(e2eDir, leg);
const outdir = path.join(legDir, 'dist');
const dev = process.env.HARNESS_DEV === '1';

// Packages that must exist once per page, taken from the leg.
const SINGLETONS =
  /^(react|react-dom|scheduler|@grafana\/(data|ui|runtime|schema|i18n|e2e-selectors)|@emotion\/(css|react|cache|serialize|utils)|rxjs|i18next|react-i18next|lodash|moment|moment-timezone|d3)(\/.*)?$/;

const legResolve = {
  name: 'leg-singletons',
  setup(build) {
    build.onResolve({ filter: SINGLETONS }, async (args) => {
      if (args.pluginData === 'leg') return undefined;
      const result = await build.resolve(args.path, {
        kind: args.kind,
        resolveDir: legDir,
        pluginData: 'leg',
      });
      if (result.errors.length > 0) return { errors: result.errors };
      return { path: result.path, sideEffects: result.sideEffects };
    });
  },
};

const started = Date.now();
fs.mkdirSync(outdir, { recursive: true });
const result = await esbuild.build({
  entryPoints: { host: path.join(harnessDir, 'src/host/main.tsx') },
  outdir,
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2022',
  jsx: 'automatic',
  minify: !dev,
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  // systemjs declares "type": "script" in its package.json; harmless.
  logOverride: { 'package.json': 'silent' },
  metafile: true,
  define: {
    'process.env.NODE_ENV': JSON.stringify(dev ? 'development' : 'production'),
    global: 'globalThis',
  },
  loader: {
    '.svg': 'file',
    '.png': 'file',
    '.woff': 'file',
    '.woff2': 'file',
    '.ttf': 'file',
    '.eot': 'file',
    '.gif': 'file',
  },
  plugins: [legResolve],
});
const versions = {};
for (const name of ['react', '@grafana/ui', '@grafana/data', '@grafana/runtime']) {
  versions[name] = JSON.parse(
    fs.readFileSync(path.join(findPkg(legDir, name), 'package.json'), 'utf8')
  ).version;
}
function findPkg(from, name) {
  let dir = from;
  for (;;) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`${name} not installed for ${leg}`);
    dir = parent;
  }
}
fs.writeFileSync(path.join(outdir, 'versions.json'), JSON.stringify(versions, null, 2));
const size = fs.statSync(path.join(outdir, 'host.js')).size;
console.log(
  `host bundle ${leg}: ${(size / 1e6).toFixed(1)} MB in ${Date.now() - started} ms (${Object.entries(versions)
    .map(([k, v]) => `${k}@${v}`)
    .join(', ')})`
);
if (result.warnings.length > 0) console.log(`${result.warnings.length} warning(s)`);
