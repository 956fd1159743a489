// Discovers built plugins (plugins/*/dist/plugin.json) the way Grafana scans its plugins directory.
import fs from 'node:fs';
import path from 'node:path';

import type { PluginJsonMeta } from '../shared/types.js';

export interface BuiltPlugin {
  meta: PluginJsonMeta;
  distDir: string;
}

function isPluginMeta(value: unknown): value is PluginJsonMeta {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.id === 'string' && typeof v.type === 'string' && typeof v.name === 'string';
}

export function discoverPlugins(pluginsDirs: readonly string[]): Map<string, BuiltPlugin> {
  const found = new Map<string, BuiltPlugin>();
  for (const pluginsDir of pluginsDirs) scan(pluginsDir, found);
  return found;
}

function scan(pluginsDir: string, found: Map<string, BuiltPlugin>): void {
  if (!fs.existsSync(pluginsDir)) return;
  for (const entry of fs.readdirSync(pluginsDir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const distDir = path.join(pluginsDir, entry.name, 'dist');
    const jsonPath = path.join(distDir, 'plugin.json');
    if (!fs.existsSync(jsonPath) || !fs.existsSync(path.join(distDir, 'module.js'))) continue;
    const parsed: unknown = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
    if (!isPluginMeta(parsed)) throw new Error(`${jsonPath}: not a plugin.json (id, type, name required)`);
    if (found.has(parsed.id)) throw new Error(`plugin id ${parsed.id} found twice (${distDir})`);
    found.set(parsed.id, { meta: parsed, distDir });
  }
}
