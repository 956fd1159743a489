// Shared check for every plugin's README images (used by each plugin's unit tests).
// The build (webpack.config.mjs) ships src/README.md when it exists, else the plugin's README.md with
// `src/img/…` links rewritten to `img/…`; src/img/ is copied to dist/img/. So the images must resolve
// both in the repository and in dist/.
import fs from 'node:fs';
import path from 'node:path';

function imageLinks(file) {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]);
}

/** Problems with the README images of the plugin in `pluginDir` (empty when every image resolves). */
export function readmeImageProblems(pluginDir) {
  const problems = [];
  const rootReadme = path.join(pluginDir, 'README.md');
  const srcReadme = path.join(pluginDir, 'src', 'README.md');
  const shipped = fs.existsSync(srcReadme) ? srcReadme : rootReadme;
  let shippedImages = 0;
  for (const readme of [rootReadme, srcReadme]) {
    if (!fs.existsSync(readme)) continue;
    const base = path.dirname(readme);
    const links = imageLinks(readme).filter((l) => !/^[a-z]+:/i.test(l));
    if (readme === shipped) shippedImages = links.length;
    for (const link of links) {
      const where = path.relative(pluginDir, readme);
      if (!fs.existsSync(path.join(base, link))) problems.push(`${where}: ${link} does not exist`);
      if (readme === shipped && readme === rootReadme && !link.startsWith('src/img/')) {
        problems.push(`${where}: ${link} is not under src/img/, so it is missing from dist/`);
      }
      if (readme === shipped && readme === srcReadme && !link.startsWith('img/')) {
        problems.push(`${where}: ${link} is not under img/, so it is missing from dist/`);
      }
    }
  }
  if (shippedImages === 0) problems.push(`${path.relative(pluginDir, shipped)} shows no image`);
  return problems;
}
