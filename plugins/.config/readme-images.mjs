// Which README a plugin ships and how its images get into dist/: one rule for the build (webpack.config.mjs) and
// for every plugin's README-image test. The build ships src/README.md when it exists, else the plugin's README.md,
// with `src/img/…` links rewritten to `img/…`; src/img/ is copied to dist/img/. So the images must resolve both in
// the repository and in dist/.
import fs from 'node:fs';
import path from 'node:path';

/** The README the build ships: src/README.md when it exists, else the plugin's README.md. */
export function shippedReadme(pluginDir) {
  const srcReadme = path.join(pluginDir, 'src', 'README.md');
  return fs.existsSync(srcReadme) ? srcReadme : path.join(pluginDir, 'README.md');
}

/** The shipped README's text as in dist/: repository links to src/img/… become img/… (dist/img/ is src/img/). */
export function distReadmeText(text) {
  return text.replace(/\]\(src\/img\//g, '](img/');
}

/** Local image links of a markdown text (URLs with a scheme left out). */
function localImageLinks(text) {
  return [...text.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((l) => !/^[a-z]+:/i.test(l));
}

/** Problems with the README images of the plugin in `pluginDir` (empty when every image resolves). */
export function readmeImageProblems(pluginDir) {
  const problems = [];
  const where = (file) => path.relative(pluginDir, file);
  // In the repository: every README's images exist next to it.
  for (const readme of [path.join(pluginDir, 'README.md'), path.join(pluginDir, 'src', 'README.md')]) {
    if (!fs.existsSync(readme)) continue;
    for (const link of localImageLinks(fs.readFileSync(readme, 'utf8'))) {
      if (!fs.existsSync(path.join(path.dirname(readme), link)))
        problems.push(`${where(readme)}: ${link} does not exist`);
    }
  }
  // In dist/: the shipped README as the build writes it links only images under img/ (what src/img/ becomes).
  const shipped = shippedReadme(pluginDir);
  const links = localImageLinks(distReadmeText(fs.readFileSync(shipped, 'utf8')));
  for (const link of links) {
    if (!link.startsWith('img/'))
      problems.push(`${where(shipped)}: ${link} is not in src/img/, so it is missing from dist/`);
  }
  if (links.length === 0) problems.push(`${where(shipped)} shows no image`);
  return problems;
}
