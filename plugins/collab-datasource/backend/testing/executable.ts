/**
 * How tests and benches start this backend the way Grafana does: the packaged executable
 * (dist/gpx_collab_linux_<arch>, `npm run package:backend`) when it is there and BACKEND_FROM_BUNDLE is not set,
 * else Node running the bundle dist-backend/backend.cjs (`npm run build:backend`). One function, so every
 * caller switches together.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PLUGIN_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BACKEND_BUNDLE = path.join(PLUGIN_DIR, 'dist-backend', 'backend.cjs');

/** `<executable>_linux_<arch>` as Grafana looks for it (plugin.json `executable`). */
export function packagedExecutable(): string {
  const meta = JSON.parse(readFileSync(path.join(PLUGIN_DIR, 'src', 'plugin.json'), 'utf8')) as {
    executable: string;
  };
  const arch = process.arch === 'arm64' ? 'arm64' : 'amd64';
  return path.join(PLUGIN_DIR, 'dist', `${meta.executable}_linux_${arch}`);
}

export function backendCommand(): { command: string; args: string[] } {
  const exe = packagedExecutable();
  if (!process.env.BACKEND_FROM_BUNDLE && existsSync(exe)) return { command: exe, args: [] };
  return { command: process.execPath, args: [BACKEND_BUNDLE] };
}
