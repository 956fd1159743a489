// The one webpack config shared by every plugin in plugins/*.
// Run from a plugin directory: `webpack -c ../.config/webpack.config.mjs --env production`.
// Mirrors @grafana/create-plugin's scaffold (AMD dist/module.js, Grafana externals, swc-loader, copied
// metadata) without per-plugin copies.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import CopyWebpackPlugin from 'copy-webpack-plugin';
import webpack from 'webpack';

import { externals } from './externals.mjs';
import { distReadmeText, shippedReadme } from './readme-images.mjs';

const configDir = path.dirname(fileURLToPath(import.meta.url));
const pluginDir = process.cwd();
const srcDir = path.join(pluginDir, 'src');
const distDir = path.join(pluginDir, 'dist');

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

if (!fs.existsSync(path.join(srcDir, 'plugin.json'))) {
  throw new Error(`No src/plugin.json in ${pluginDir}: run webpack from a plugin directory`);
}
const pluginJson = readJson(path.join(srcDir, 'plugin.json'));
const packageJson = readJson(path.join(pluginDir, 'package.json'));
const moduleEntry = ['module.tsx', 'module.ts']
  .map((f) => path.join(srcDir, f))
  .find((f) => fs.existsSync(f));
if (!moduleEntry) {
  throw new Error(`No src/module.ts(x) in ${pluginDir}`);
}

function substitute(text, mode) {
  return text
    .replace(/%VERSION%/g, packageJson.version)
    .replace(/%TODAY%/g, new Date().toISOString().slice(0, 10))
    .replace(/%PLUGIN_ID%/g, pluginJson.id)
    .replace(/%BUILD_MODE%/g, mode);
}

export default (env = {}) => {
  const production = Boolean(env.production);
  const mode = production ? 'production' : 'development';
  const readme = path.relative(srcDir, shippedReadme(pluginDir));
  return {
    mode,
    context: srcDir,
    devtool: production ? 'source-map' : 'eval-source-map',
    cache: { type: 'filesystem', buildDependencies: { config: [fileURLToPath(import.meta.url)] } },
    entry: { module: [path.join(configDir, 'public-path.js'), moduleEntry] },
    externals,
    experiments: { asyncWebAssembly: true },
    module: {
      rules: [
        {
          test: /\.[cm]?[tj]sx?$/,
          exclude: /node_modules/,
          use: {
            loader: 'swc-loader',
            options: {
              jsc: {
                target: 'es2020',
                parser: { syntax: 'typescript', tsx: true, decorators: false, dynamicImport: true },
                transform: { react: { runtime: 'automatic' } },
              },
            },
          },
        },
        { test: /\.(png|jpe?g|gif|svg|woff2?|eot|ttf|otf)$/, type: 'asset/resource' },
      ],
    },
    optimization: { minimize: production },
    output: {
      clean: true,
      path: distDir,
      filename: '[name].js',
      chunkFilename: production ? '[name].js?_cache=[contenthash]' : '[name].js',
      library: { type: 'amd' },
      publicPath: `public/plugins/${pluginJson.id}/`,
      uniqueName: pluginJson.id,
      crossOriginLoading: 'anonymous',
    },
    plugins: [
      new webpack.DefinePlugin({ __PLUGIN_ID__: JSON.stringify(pluginJson.id) }),
      new webpack.BannerPlugin({
        banner: `/* plugin: ${pluginJson.id}@${packageJson.version} */`,
        raw: true,
        entryOnly: true,
      }),
      new CopyWebpackPlugin({
        patterns: [
          {
            from: 'plugin.json',
            to: '.',
            transform: (content) =>
              JSON.stringify(
                { ...JSON.parse(substitute(content.toString(), mode)), buildMode: mode },
                null,
                2
              ),
          },
          // The repository README links images as src/img/… (they live there); dist/ has them under img/.
          { from: readme, to: 'README.md', transform: (c) => distReadmeText(substitute(c.toString(), mode)) },
          { from: '../CHANGELOG.md', to: '.' },
          { from: 'img', to: 'img', noErrorOnMissing: true },
          { from: '**/query_help.md', to: '.', noErrorOnMissing: true },
        ],
      }),
    ],
    resolve: {
      extensions: ['.ts', '.tsx', '.js', '.jsx', '.mjs'],
      // Workspace packages (e.g. @collabblocks/protocol) are ESM with .js specifiers in their dist.
      extensionAlias: { '.js': ['.js', '.ts', '.tsx'] },
    },
    performance: { hints: false },
    stats: 'errors-warnings',
  };
};
