'use strict';

// npm's install hook. Where the platform's prebuilt package is installed and loads, there is
// nothing to build and no Rust toolchain is needed. Elsewhere (no prebuilt package for this
// platform, or npm left it out) the addon is built from the shipped sources with cargo, as
// `npm run build` does; without cargo the install fails with the loader's error, which says
// where it looked and what to install.

const { spawnSync } = require('node:child_process');
const path = require('node:path');
const loader = require('../lib/loader');

if (loader.prebuilt() !== null) process.exit(0);

if (loader.hasCargo()) {
  const build = spawnSync(process.execPath, [path.join(__dirname, 'build.js'), '--if-needed'], {
    stdio: 'inherit',
  });
  process.exit(build.status === null ? 1 : build.status);
}

try {
  // Without cargo only an earlier local build can serve; the error lists every place tried.
  loader.load();
} catch (err) {
  console.error(err.message);
  process.exit(1);
}
