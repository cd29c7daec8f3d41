'use strict';

// First step of `npm test` and `npm start`: README promises that either works as the
// very first command on a fresh clone, so when node_modules does not hold exactly what
// package-lock.json locks (missing, or left over from another branch), this installs it
// with `npm ci`. When everything matches it costs a few file reads and installs nothing.

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');

// Why node_modules does not match the lockfile, or null when it does.
function staleReason() {
  let lock;
  try {
    lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
  } catch (err) {
    return `package-lock.json: ${err.message}`;
  }
  for (const [where, entry] of Object.entries(lock.packages || {})) {
    if (where === '' || entry.link) continue;
    let installed;
    try {
      installed = JSON.parse(fs.readFileSync(path.join(root, where, 'package.json'), 'utf8'));
    } catch {
      // An optional package for another platform is never installed.
      if (entry.optional) continue;
      return `${where} is missing`;
    }
    if (entry.version && installed.version !== entry.version) {
      return `${where} is ${installed.version}, the lockfile has ${entry.version}`;
    }
  }
  return null;
}

function npmCommand() {
  // Under `npm test` the npm that runs us is the one to use, whatever PATH holds.
  const cli = process.env.npm_execpath;
  if (cli && /\.[cm]?js$/.test(cli) && fs.existsSync(cli)) return [process.execPath, [cli]];
  return [process.platform === 'win32' ? 'npm.cmd' : 'npm', []];
}

function ensureDeps() {
  const reason = staleReason();
  if (!reason) return;
  console.error(`rsnet: installing the locked dependencies (${reason}): npm ci`);
  const [command, prefix] = npmCommand();
  // --include=dev: the tests and the linters are devDependencies, even under
  // NODE_ENV=production.
  const out = spawnSync(command, [...prefix, 'ci', '--include=dev', '--no-audit', '--no-fund'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (out.status !== 0) {
    console.error(`rsnet: npm ci failed (${out.error ? out.error.message : `exit ${out.status}`})`);
    process.exit(out.status || 1);
  }
  const still = staleReason();
  if (still) {
    console.error(`rsnet: after npm ci, node_modules still does not match package-lock.json: ${still}`);
    process.exit(1);
  }
}

if (require.main === module) ensureDeps();

module.exports = { ensureDeps, staleReason };
