import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readmeImageProblems } from '../../.config/readme-images.mjs';

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
  backend?: boolean;
  executable?: string;
  info?: { screenshots?: Array<{ name: string; path: string }>; logos?: Record<string, string> };
};

describe('plugin.json: a backend datasource, no data-proxy routes', () => {
  it('declares the backend executable and no route (the browser never mints or holds an inspect token)', () => {
    expect(pluginJson).toMatchObject({
      backend: true,
      executable: 'gpx_collab',
      streaming: true,
      alerting: true,
    });
    expect(pluginJson.routes).toBeUndefined();
    // Nothing in the plugin's settings templates the API key towards a browser-reachable URL.
    expect(JSON.stringify(pluginJson)).not.toMatch(/SecureJsonData|apiKey/);
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
