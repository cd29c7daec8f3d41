'use strict';

// Finds the native addon the way napi-rs packages do, in this order:
//   1. rsnet.node at the package root: a local build (development, or an earlier source
//      build of this install);
//   2. the prebuilt package for this platform (rsnet-linux-x64-gnu, ...), which npm installs
//      as an optional dependency only where its os/cpu/libc fields match;
//   3. a source build with cargo, when the package ships its Rust sources and cargo is
//      on PATH.
// When none of them works, the error names the platform, what was looked for and why each
// failed, and what to install.

const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.join(__dirname, '..');
const localAddon = path.join(root, 'rsnet.node');
const pkg = require('../package.json');

// The platforms a release ships prebuilt packages for, as npm/<platform>/ holds them.
const PREBUILT = Object.freeze(['linux-x64-gnu', 'linux-x64-musl']);

function isMusl() {
  // glibc's ldd is a script that names glibc; musl's is a link to the musl loader.
  try {
    return fs.readFileSync('/usr/bin/ldd', 'latin1').includes('musl');
  } catch {
    // No readable ldd: the process report says which C library Node runs on.
    const header = process.report && process.report.getReport().header;
    return !(header && header.glibcVersionRuntime);
  }
}

/** The platform key of napi-rs's package names: linux-x64-gnu, darwin-arm64, win32-x64-msvc. */
function platformKey() {
  const base = `${process.platform}-${process.arch}`;
  if (process.platform === 'linux') return `${base}-${isMusl() ? 'musl' : 'gnu'}`;
  if (process.platform === 'win32') return `${base}-msvc`;
  return base;
}

function packageName(key) {
  return `${pkg.name}-${key}`;
}

function isAddon(native) {
  return native !== null && typeof native === 'object' && typeof native.init === 'function';
}

/**
 * Requires `file`; returns the addon, or records why not in `tried` and returns null.
 * `notFound` is the reason given when the module does not exist at all.
 */
function tryRequire(file, label, tried, notFound) {
  try {
    const native = require(file);
    if (isAddon(native)) return native;
    tried.push(`${label}: not an rsnet addon`);
  } catch (err) {
    const missing = err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(file);
    tried.push(`${label}: ${missing ? notFound : err.message.split('\n')[0]}`);
  }
  return null;
}

function loadLocal(tried) {
  if (!fs.existsSync(localAddon)) {
    tried.push(`${localAddon} (local build): not found`);
    return null;
  }
  return tryRequire(localAddon, `${localAddon} (local build)`, tried, 'not found');
}

function loadPrebuilt(key, tried) {
  const name = packageName(key);
  const label = `${name} (prebuilt package)`;
  if (!PREBUILT.includes(key)) {
    tried.push(`${label}: none is published for ${key}`);
    return null;
  }
  // A platform package from another release may lack what this JavaScript calls.
  let version;
  try {
    version = require(`${name}/package.json`).version;
  } catch {
    tried.push(`${label}: not installed`);
    return null;
  }
  if (version !== pkg.version) {
    tried.push(`${label}: version ${version} is installed, this rsnet needs ${pkg.version}`);
    return null;
  }
  return tryRequire(name, label, tried, 'not installed');
}

function hasCargo() {
  const probe = spawnSync('cargo', ['--version'], { stdio: 'ignore' });
  return probe.error === undefined && probe.status === 0;
}

/** Builds rsnet.node from the shipped sources; returns why it could not, or null. */
function buildFromSource() {
  if (!fs.existsSync(path.join(root, 'Cargo.toml'))) return 'no Rust sources in this package';
  if (!hasCargo()) return 'cargo not found on PATH';
  // The build's output goes to stderr so that it never mixes with the program's stdout.
  const build = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.js')], {
    cwd: root,
    stdio: ['ignore', 2, 2],
  });
  if (build.error) return build.error.message;
  return build.status === 0 ? null : `cargo build failed (exit code ${build.status})`;
}

function loadFromSource(tried) {
  const label = 'a source build with cargo';
  const failure = buildFromSource();
  if (failure !== null) {
    tried.push(`${label}: ${failure}`);
    return null;
  }
  return tryRequire(localAddon, label, tried, 'built, but rsnet.node is missing');
}

function noAddonError(key, tried) {
  const name = packageName(key);
  const install = PREBUILT.includes(key) ?
    [
      `  - the prebuilt package: npm install ${name}@${pkg.version}` +
        ' (npm leaves it out under --omit=optional or --no-optional)',
      '  - a Rust toolchain (https://rustup.rs), then reinstall rsnet to build it from source',
    ] :
    [
      `  - a Rust toolchain (https://rustup.rs), then reinstall rsnet to build it from source` +
        ` (prebuilt packages exist only for ${PREBUILT.join(', ')})`,
    ];
  const err = new Error([
    `rsnet: no native addon could be loaded for ${key} ` +
      `(Node.js ${process.version}, Node-API ${process.versions.napi}).`,
    'Looked for:',
    ...tried.map((line) => `  - ${line}`),
    'Install one of:',
    ...install,
  ].join('\n'));
  err.code = 'ERR_RSNET_NO_ADDON';
  return err;
}

/**
 * Returns { native, from } for the first addon that loads, or throws the error that says
 * what to install.
 */
function load() {
  const key = platformKey();
  const tried = [];
  let native = loadLocal(tried);
  if (native !== null) return { native, from: localAddon };
  native = loadPrebuilt(key, tried);
  if (native !== null) return { native, from: packageName(key) };
  native = loadFromSource(tried);
  if (native !== null) return { native, from: localAddon };
  throw noAddonError(key, tried);
}

/** The prebuilt package's addon for this platform, if one is installed and loads; else null. */
function prebuilt(tried = []) {
  return loadPrebuilt(platformKey(), tried);
}

module.exports = { load, prebuilt, hasCargo };
