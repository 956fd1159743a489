// Bundles the backend into ONE CommonJS file, dist-backend/backend.cjs, with no runtime dependency outside
// Node's built-ins: the .proto texts are embedded (text loader), every npm package is inlined. The lead's
// packaging step turns this file into the gpx_collab_linux_<arch> executables.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const outfile = path.join(here, '..', 'dist-backend', 'backend.cjs');

await build({
  entryPoints: [path.join(here, 'src', 'main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  loader: { '.proto': 'text' },
  // Optional native speed-ups of `ws`, required inside try/catch: absent is fine.
  external: ['bufferutil', 'utf-8-validate'],
  legalComments: 'linked',
  sourcemap: false,
  minify: true,
  logLevel: 'warning',
});
process.stdout.write(`backend bundled: ${path.relative(process.cwd(), outfile)}\n`);
