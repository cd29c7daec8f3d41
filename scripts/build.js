'use strict';

// Builds the addon from source with cargo (release profile) and puts it where
// lib/binding.js loads it. `--if-needed` skips cargo when the addon is newer than
// every Rust source file.

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const target = path.join(root, 'rsnet.node');

function newestSource() {
  let newest = 0;
  const visit = (file) => {
    const stat = fs.statSync(file);
    if (stat.isDirectory()) {
      for (const entry of fs.readdirSync(file)) visit(path.join(file, entry));
    } else {
      newest = Math.max(newest, stat.mtimeMs);
    }
  };
  for (const entry of ['src', 'Cargo.toml', 'Cargo.lock', 'build.rs']) {
    const file = path.join(root, entry);
    if (fs.existsSync(file)) visit(file);
  }
  return newest;
}

if (process.argv.includes('--if-needed') && fs.existsSync(target) &&
    fs.statSync(target).mtimeMs >= newestSource()) {
  process.exit(0);
}

const cargo = spawnSync('cargo', ['build', '--release'], { cwd: root, stdio: 'inherit' });
if (cargo.status !== 0) {
  console.error('rsnet: cargo build failed');
  process.exit(cargo.status || 1);
}
const targetDir = process.env.CARGO_TARGET_DIR || path.join(root, 'target');
// Copy then rename: a process that has the old addon loaded keeps its file intact.
const staging = `${target}.${process.pid}.tmp`;
fs.copyFileSync(path.join(targetDir, 'release', 'librsnet.so'), staging);
fs.renameSync(staging, target);
