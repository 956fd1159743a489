import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readmeImageProblems } from '../../.config/readme-images.mjs';

import { TOKEN_ROUTES } from './datasource';
import { JSON_DATA_KEYS } from './types';

interface Route {
  path: string;
  method?: string;
  url: string;
  reqRole?: string;
  headers?: Array<{ name: string; content: string }>;
}

const srcDir = path.dirname(fileURLToPath(import.meta.url));
const pluginJson = JSON.parse(fs.readFileSync(path.join(srcDir, 'plugin.json'), 'utf8')) as {
  routes?: Route[];
  info?: { screenshots?: Array<{ name: string; path: string }>; logos?: Record<string, string> };
};
const routes = pluginJson.routes ?? [];

describe('plugin.json routes', () => {
  it('are exactly the two token routes the datasource calls', () => {
    expect(routes.map((r) => r.path).sort()).toEqual(Object.values(TOKEN_ROUTES).sort());
    for (const r of routes) expect(r.method).toBe('POST');
    expect(Object.fromEntries(routes.map((r) => [r.path, r.reqRole]))).toEqual({
      [TOKEN_ROUTES.content]: 'Editor',
      [TOKEN_ROUTES.metadata]: 'Viewer',
    });
  });

  it('template only jsonData keys the plugin declares (typed and set by the config editor)', () => {
    const used = routes.flatMap((r) =>
      [r.url, ...(r.headers ?? []).map((h) => h.content)].flatMap((s) =>
        [...s.matchAll(/\{\{\s*\.JsonData\.(\w+)\s*\}\}/g)].map((m) => m[1] as string)
      )
    );
    expect(used.length).toBeGreaterThan(0);
    for (const key of used) expect(JSON_DATA_KEYS as readonly string[]).toContain(key);
  });
});

describe('images', () => {
  it('plugin.json screenshots and logos exist (paths relative to src/, copied to dist/ as is)', () => {
    const paths = [
      ...(pluginJson.info?.screenshots ?? []).map((x) => x.path),
      ...Object.values(pluginJson.info?.logos ?? {}),
    ];
    expect(paths.length).toBeGreaterThan(2);
    for (const p of paths) expect(fs.existsSync(path.join(srcDir, p)), p).toBe(true);
  });

  it('README images resolve in the repository and in the packaged plugin', () => {
    expect(readmeImageProblems(path.join(srcDir, '..'))).toEqual([]);
  });
});
