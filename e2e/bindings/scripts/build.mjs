// Bundles each binding page (src/pages/<kind>.ts) with esbuild into dist/<kind>.js (IIFE, browser).
// The libraries are the npm packages of this workspace, unchanged.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const BINDING_KINDS = ['prosemirror', 'codemirror', 'quill'];

await Promise.all(
  BINDING_KINDS.map((kind) =>
    build({
      entryPoints: [path.join(root, 'src/pages', `${kind}.ts`)],
      outfile: path.join(root, 'dist', `${kind}.js`),
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: 'chrome120',
      sourcemap: 'inline',
      logLevel: 'warning',
    })
  )
);
console.log(`bindings: built ${BINDING_KINDS.join(', ')} into dist/`);
