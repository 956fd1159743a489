import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { LEGS, type Leg } from '../shared/types.js';

export const HARNESS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const E2E_DIR = path.dirname(HARNESS_DIR);
export const REPO_ROOT = path.dirname(E2E_DIR);
export const PLUGINS_DIR = path.join(REPO_ROOT, 'plugins');
/** Fixture plugins the harness tests itself with (built by scripts/test.d/e2e.sh). */
export const FIXTURES_DIR = path.join(HARNESS_DIR, 'fixtures');

export function assertLeg(value: unknown): Leg {
  if (typeof value === 'string' && (LEGS as readonly string[]).includes(value)) return value as Leg;
  throw new Error(`unknown harness leg ${JSON.stringify(value)}; expected one of ${LEGS.join(', ')}`);
}

export function legDir(leg: Leg): string {
  return path.join(E2E_DIR, leg);
}

export function hostBundleDir(leg: Leg): string {
  return path.join(legDir(leg), 'dist');
}

/** Node-style lookup of an installed package directory, starting at `fromDir` (no `exports` restrictions). */
export function findPackageDir(fromDir: string, name: string): string {
  let dir = path.resolve(fromDir);
  for (;;) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`package ${name} not found from ${fromDir}`);
    dir = parent;
  }
}

export function packageVersion(dir: string): string {
  const json: unknown = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  return typeof json === 'object' && json !== null && 'version' in json ? String(json.version) : 'unknown';
}
