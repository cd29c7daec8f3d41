'use strict';

// Builds the release binaries of the platform packages into artifacts/ as
// rsnet.<platform>.node, with `napi build --platform --cross-compile`, which links through
// zig (cargo-zigbuild). A fresh machine has neither tool: this script installs them, at
// pinned versions, from crates.io and PyPI when they are missing.
//
// linux-x64-gnu: linked against glibc 2.28's symbols, so that the binary loads on Debian 10,
// RHEL 8, Ubuntu 20.04 and anything newer; a plain cargo build would ask for this machine's
// glibc.
// linux-x64-musl: rustup here has no std for x86_64-unknown-linux-musl and cannot download
// one. Where rustup has it, the build is as for gnu; otherwise std is compiled from source
// (-Zbuild-std) with Debian's rustc-web and its rust-web-src, which apt installs when
// missing. The result links to musl's libc.so alone (Alpine).
//
//   node scripts/build-prebuilt.js [platform...]   default: linux-x64-gnu and linux-x64-musl

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const artifacts = path.join(root, 'artifacts');

// The oldest glibc whose symbols the gnu binary may use; scripts/check-install.js holds the
// binary to it.
const GLIBC_BASELINE = '2.28';
const MUSL_TRIPLE = 'x86_64-unknown-linux-musl';
const TARGETS = Object.freeze({
  'linux-x64-gnu': buildGnu,
  'linux-x64-musl': buildMusl,
});
const CARGO_ZIGBUILD = '0.24.1';
const ZIGLANG = '0.17.1';
// Debian's Rust whose std sources -Zbuild-std compiles for musl.
const DEBIAN_RUSTC = '/usr/bin/rustc';
const DEBIAN_RUST_SRC = '/usr/lib/rustlib/src/rust/library';

function run(command, args, options = {}) {
  console.error(`$ ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (exit code ${result.status})`);
  }
}

function works(command, args, env = process.env) {
  const result = spawnSync(command, args, { stdio: 'ignore', env });
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

/** The environment for a zig-linked build, after installing what is missing. */
function zigEnv() {
  if (!works('cargo', ['zigbuild', '--help'])) {
    run('cargo', ['install', '--locked', 'cargo-zigbuild', '--version', CARGO_ZIGBUILD]);
  }
  return { ...process.env, CARGO_ZIGBUILD_ZIG_PATH: zigPath() };
}

function napiBuild(target, { env, targetDir, cargoArgs = [] }) {
  const napi = path.join(root, 'node_modules', '@napi-rs', 'cli', 'dist', 'cli.js');
  // --dts: napi writes the type definitions it generates; the package's own index.d.ts
  // is hand-written, so they go into target/ instead.
  run(process.execPath, [napi, 'build', '--platform', '--release', '--cross-compile',
    '--target', target, '--output-dir', artifacts, '--no-js',
    '--dts', path.relative(artifacts, path.join(root, 'target', 'napi-typedefs.d.ts')),
    ...(targetDir ? ['--target-dir', targetDir] : []),
    ...(cargoArgs.length > 0 ? ['--', ...cargoArgs] : [])], { env });
}

function buildGnu() {
  napiBuild(`x86_64-unknown-linux-gnu.${GLIBC_BASELINE}`, { env: zigEnv() });
}

function rustupHasMuslStd() {
  const sysroot = spawnSync('rustc', ['--print', 'sysroot'], { encoding: 'utf8' });
  return sysroot.status === 0 &&
    fs.existsSync(path.join(sysroot.stdout.trim(), 'lib', 'rustlib', MUSL_TRIPLE, 'lib'));
}

function ensureDebianRustSource() {
  if (fs.existsSync(DEBIAN_RUSTC) && fs.existsSync(DEBIAN_RUST_SRC)) return;
  if (!works('apt-get', ['--version'])) {
    throw new Error(`no std for ${MUSL_TRIPLE}: install it with rustup ` +
      `(rustup target add ${MUSL_TRIPLE}), or build on Debian, whose rustc-web and ` +
      'rust-web-src this script installs');
  }
  aptInstall(['rustc-web', 'rust-web-src']);
}

/** apt-get install, after the update that a fresh machine's package lists need. */
function aptInstall(packages) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-q'], { env });
  run('apt-get', ['install', '-y', '-q', ...packages], { env });
}

function buildMusl() {
  const env = {
    ...zigEnv(),
    // A cdylib must link libc dynamically: musl's default is a static C runtime.
    CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUSTFLAGS: '-C target-feature=-crt-static',
  };
  if (rustupHasMuslStd()) {
    napiBuild(MUSL_TRIPLE, { env });
    return;
  }
  ensureDebianRustSource();
  // Debian's rustc (with its own std sources); RUSTC_BOOTSTRAP lets the stable toolchain
  // take -Zbuild-std. A target directory of its own keeps this compiler's artifacts apart.
  napiBuild(MUSL_TRIPLE, {
    env: { ...env, RUSTC: DEBIAN_RUSTC, RUSTC_BOOTSTRAP: '1' },
    targetDir: path.join(root, 'target', 'musl'),
    cargoArgs: ['-Zbuild-std=std,panic_abort'],
  });
}

/** Builds one platform's binary; returns its path in artifacts/. */
function build(platform) {
  const recipe = TARGETS[platform];
  if (recipe === undefined) {
    throw new Error(`no recipe for ${platform}; this script builds ${Object.keys(TARGETS).join(', ')}`);
  }
  recipe();
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

module.exports = { build, aptInstall, TARGETS, GLIBC_BASELINE };
