'use strict';

// Builds the release binaries of the platform packages into artifacts/ as
// rsnet.<platform>.node, with `napi build --platform` (the file names `napi artifacts`
// then copies into npm/<platform>/).
//
// linux-x64-gnu links through zig (cargo-zigbuild) against glibc 2.28's symbols, so that the
// binary loads on Debian 10, RHEL 8, Ubuntu 20.04 and anything newer; a plain cargo build
// would ask for this machine's glibc. A fresh machine has neither tool: this script installs
// them from crates.io and PyPI, at pinned versions, when they are missing.
//
//   node scripts/build-prebuilt.js [platform...]   default: every platform in GLIBC_TARGETS

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const artifacts = path.join(root, 'artifacts');

// The oldest glibc whose symbols the gnu binary may use; __test__/prebuilt.test.js and
// scripts/check-install.js hold the binary to it.
const GLIBC_BASELINE = '2.28';
const TARGETS = Object.freeze({
  'linux-x64-gnu': `x86_64-unknown-linux-gnu.${GLIBC_BASELINE}`,
});
const CARGO_ZIGBUILD = '0.24.1';
const ZIGLANG = '0.17.1';

function run(command, args, options = {}) {
  console.error(`$ ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (exit code ${result.status})`);
  }
}

function works(command, args) {
  const result = spawnSync(command, args, { stdio: 'ignore' });
  return result.error === undefined && result.status === 0;
}

/** The zig executable: one on PATH, else PyPI's ziglang (installed here when missing). */
function zigPath() {
  if (process.env.CARGO_ZIGBUILD_ZIG_PATH) return process.env.CARGO_ZIGBUILD_ZIG_PATH;
  if (works('zig', ['version'])) return 'zig';
  const python = works('python3', ['--version']) ? 'python3' : 'python';
  const locate = ['-c', 'import ziglang, os; print(os.path.join(os.path.dirname(ziglang.__file__), "zig"))'];
  let found = spawnSync(python, locate, { encoding: 'utf8' });
  if (found.status !== 0) {
    run(python, ['-m', 'pip', 'install', '--quiet', `ziglang==${ZIGLANG}`]);
    found = spawnSync(python, locate, { encoding: 'utf8' });
  }
  if (found.status !== 0) throw new Error(`cannot find zig after installing ziglang: ${found.stderr}`);
  return found.stdout.trim();
}

function ensureZigbuild() {
  if (!works('cargo', ['zigbuild', '--help'])) {
    run('cargo', ['install', '--locked', 'cargo-zigbuild', '--version', CARGO_ZIGBUILD]);
  }
}

function build(platform) {
  const target = TARGETS[platform];
  if (target === undefined) {
    throw new Error(`no recipe for ${platform}; this script builds ${Object.keys(TARGETS).join(', ')}`);
  }
  ensureZigbuild();
  const env = { ...process.env, CARGO_ZIGBUILD_ZIG_PATH: zigPath() };
  const napi = path.join(root, 'node_modules', '@napi-rs', 'cli', 'dist', 'cli.js');
  // --dts: napi writes the type definitions it generates; the package's own index.d.ts
  // is hand-written, so they go into target/ instead.
  run(process.execPath, [napi, 'build', '--platform', '--release', '--cross-compile',
    '--target', target, '--output-dir', artifacts, '--no-js',
    '--dts', path.relative(artifacts, path.join(root, 'target', 'napi-typedefs.d.ts'))], { env });
  const file = path.join(artifacts, `rsnet.${platform}.node`);
  if (!fs.existsSync(file)) throw new Error(`napi build wrote no ${file}`);
  return file;
}

if (require.main === module) {
  const platforms = process.argv.slice(2);
  try {
    for (const platform of platforms.length > 0 ? platforms : Object.keys(TARGETS)) {
      console.log(build(platform));
    }
  } catch (err) {
    console.error(`rsnet: ${err.message}`);
    process.exit(1);
  }
}

module.exports = { build, TARGETS, GLIBC_BASELINE };
