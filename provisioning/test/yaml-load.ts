/**
 * Reads YAML in the checks. js-yaml ships with ESLint's toolchain (a root dev
 * dependency); loaded untyped and narrowed to `unknown`.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const jsYaml = require('js-yaml') as { load(text: string): unknown };

export function loadYaml(path: string): unknown {
  return jsYaml.load(readFileSync(path, 'utf8'));
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function asRecord(v: unknown, what: string): Record<string, unknown> {
  if (!isRecord(v)) throw new Error(`${what}: expected a mapping`);
  return v;
}

export function asArray(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new Error(`${what}: expected a list`);
  return v;
}

/** Every rule of a rule file, in order: `groups[].rules[]` (Prometheus rule files, Grafana's alert-rules.yml). */
export function rulesOf(path: string): unknown[] {
  const file = asRecord(loadYaml(path), path);
  return asArray(file.groups, `${path}: groups`).flatMap((g) => asArray(asRecord(g, 'group').rules, 'rules'));
}
