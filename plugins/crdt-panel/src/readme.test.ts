// The packaged README (dist/README.md is a copy of src/README.md, dist/img/ of src/img/: see
// plugins/.config/webpack.config.mjs) and the repository README must both show their images.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const pluginDir = path.resolve(__dirname, '..');

function images(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1] as string);
}

describe('README images', () => {
  it('the packaged README links images under img/, which the build copies next to it', () => {
    const readme = path.join(pluginDir, 'src', 'README.md');
    const links = images(readme);
    expect(links.length).toBeGreaterThan(0);
    for (const l of links) {
      expect(l).toMatch(/^img\//);
      // Relative to src/README.md in the repository = relative to dist/README.md in the package.
      expect(fs.existsSync(path.join(pluginDir, 'src', l))).toBe(true);
    }
  });

  it('the repository README links images that exist', () => {
    for (const l of images(path.join(pluginDir, 'README.md'))) {
      expect(fs.existsSync(path.join(pluginDir, l))).toBe(true);
    }
  });
});
