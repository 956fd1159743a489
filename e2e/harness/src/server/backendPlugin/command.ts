/**
 * The one place the harness decides how a backend plugin is started: as Grafana does, the plugin's
 * `<executable>_linux_<arch>` from its dist/ (plugin.json `executable`), with a PATH that holds no Node — the
 * executable must carry its own runtime (the collab datasource's comes from `npm run package:backend`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { BuiltPlugin } from '../plugins.js';

let emptyPath: string | null = null;

/** A PATH directory with nothing in it (no `node`, no shell tools): what the plugin may not rely on. */
function noNodePath(): string {
  emptyPath ??= fs.mkdtempSync(path.join(os.tmpdir(), 'harness-plugin-path-'));
  return emptyPath;
}

export function backendCommandOf(plugin: BuiltPlugin | undefined): {
  command: string;
  env: Record<string, string>;
} {
  if (!plugin) throw new Error('unknown plugin');
  const exe = plugin.meta.executable;
  if (plugin.meta.backend !== true || typeof exe !== 'string' || !/^[A-Za-z0-9_-]+$/.test(exe)) {
    throw new Error(`plugin ${plugin.meta.id} has no backend (plugin.json backend / executable)`);
  }
  const arch = process.arch === 'arm64' ? 'arm64' : 'amd64';
  const command = path.join(plugin.distDir, `${exe}_linux_${arch}`);
  if (!fs.existsSync(command)) {
    throw new Error(
      `backend executable ${path.relative(process.cwd(), command)} missing: run \`npm run build\` and \`npm run package:backend -w plugins/collab-datasource\``
    );
  }
  return { command, env: { PATH: noNodePath() } };
}
