'use strict';

// Writes every tarball a release publishes into one folder: one per platform package
// (npm/<platform>/ with its prebuilt binary) and the main package.
//
//   npm run pack:all -- <dir> [--no-build]
//
// The binaries come from artifacts/ (as a release's build jobs leave them); those this
// machine can build are built first unless --no-build is given, and copied into
// npm/<platform>/. The main package is packed from a staged copy whose package.json
// gains the optionalDependencies on the platform packages, as `napi pre-publish` adds them
// at release time: the repository's package.json cannot list them, since `npm ci` would
// then need them published.

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { build, TARGETS } = require('./build-prebuilt');

const root = path.join(__dirname, '..');
const npmDir = path.join(root, 'npm');
const pkg = require('../package.json');
const npmCli = process.env.npm_execpath || 'npm';

function npm(args, cwd) {
  const [command, prefix] = npmCli.endsWith('.js') ? [process.execPath, [npmCli]] : [npmCli, []];
  const result = spawnSync(command, [...prefix, ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`npm ${args.join(' ')} failed in ${cwd}`);
  return result.stdout;
}

/** Runs `npm pack` in `dir`; returns the tarball's path in `dest`. */
function pack(dir, dest) {
  const [info] = JSON.parse(npm(['pack', '--json', '--pack-destination', dest], dir));
  return path.join(dest, info.filename);
}

/** The platforms of package.json's napi.targets, as napi names them (linux-x64-gnu). */
function platforms() {
  return fs.readdirSync(npmDir).filter((name) =>
    fs.existsSync(path.join(npmDir, name, 'package.json'))).sort();
}

function stageMain(stage) {
  // `npm pack --dry-run` lists exactly what the package's `files` puts in the tarball.
  const [info] = JSON.parse(npm(['pack', '--dry-run', '--json'], root));
  for (const { path: file } of info.files) {
    fs.mkdirSync(path.dirname(path.join(stage, file)), { recursive: true });
    fs.copyFileSync(path.join(root, file), path.join(stage, file));
  }
  const manifest = { ...pkg, optionalDependencies: {} };
  for (const platform of platforms()) {
    manifest.optionalDependencies[`${pkg.name}-${platform}`] = pkg.version;
  }
  fs.writeFileSync(path.join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

/**
 * `only` limits the platform packages packed (and built) to those named; the main package
 * still lists every platform as an optional dependency.
 */
function packAll(dest, { buildBinaries = true, only = platforms() } = {}) {
  fs.mkdirSync(dest, { recursive: true });
  if (buildBinaries) {
    for (const platform of only) if (TARGETS[platform] !== undefined) build(platform);
  }
  const tarballs = [];
  for (const platform of only) {
    // What `napi artifacts` does, for the chosen platforms only (it insists on every
    // configured target) and without its rewrites of the package root.
    const name = `${pkg.name}.${platform}.node`;
    const built = path.join(root, 'artifacts', name);
    if (!fs.existsSync(built)) throw new Error(`no binary for ${platform}: expected artifacts/${name}`);
    fs.copyFileSync(built, path.join(npmDir, platform, name));
    tarballs.push(pack(path.join(npmDir, platform), dest));
  }
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'rsnet-pack-'));
  try {
    stageMain(stage);
    tarballs.push(pack(stage, dest));
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
  return tarballs;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const dirs = args.filter((arg) => !arg.startsWith('--'));
  if (dirs.length !== 1) {
    console.error('usage: npm run pack:all -- <dir> [--no-build]');
    process.exit(2);
  }
  try {
    for (const tarball of packAll(path.resolve(dirs[0]), { buildBinaries: !args.includes('--no-build') })) {
      console.log(`${tarball}\t${fs.statSync(tarball).size} bytes`);
    }
  } catch (err) {
    console.error(`rsnet: ${err.message}`);
    process.exit(1);
  }
}

module.exports = { packAll };
