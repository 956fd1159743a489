/**
 * Writes the generated provisioning files, or with --check verifies that the
 * committed files equal what the generator produces (CI).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderAll } from './outputs.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const check = process.argv.includes('--check');

const files = await renderAll(root);
const stale: string[] = [];
for (const [path, content] of files) {
  const abs = resolve(root, path);
  if (check) {
    let current = '';
    try {
      current = readFileSync(abs, 'utf8');
    } catch {
      // missing counts as stale
    }
    if (current !== content) stale.push(path);
  } else {
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, content);
  }
}
if (check) {
  if (stale.length) {
    console.error(
      `generated files differ from the committed ones (run npm run generate --prefix provisioning):`
    );
    for (const p of stale) console.error(`  ${p}`);
    if (process.env.RUNBOOK_BASE_URL) {
      console.error(
        `(RUNBOOK_BASE_URL is set: the committed files use the default runbook base; unset it to check them)`
      );
    }
    process.exit(1);
  }
  process.stdout.write(`provisioning: ${files.size} generated files up to date\n`);
} else {
  process.stdout.write(`provisioning: wrote ${files.size} files\n`);
}
