'use strict';

// Bun, for the benchmarks' comparison with its node:net (`node bench/run.js --impls
// net,bun`), installed on demand from the npm registry's @oven/bun-<os>-<arch> package
// (a binary of ~90 MB, hence never a dependency of the project) into .node-lines/bun/,
// the ignored folder that scripts/node-lines.js installs Node lines into.
//
//   node scripts/bun.js        installs Bun if needed, prints its binary

const fs = require('node:fs');
const path = require('node:path');
const { linesDir, npmInstall } = require('./node-lines');

const VERSION = '1.4.5';
const PACKAGE = `@oven/bun-${process.platform}-${process.arch}`;

function ensureBun() {
  const dir = path.join(linesDir, 'bun');
  const pkg = path.join(dir, 'node_modules', ...PACKAGE.split('/'));
  const bin = path.join(pkg, 'bin', process.platform === 'win32' ? 'bun.exe' : 'bun');
  const installed = () => {
    try {
      fs.accessSync(bin, fs.constants.X_OK);
      return JSON.parse(fs.readFileSync(path.join(pkg, 'package.json'), 'utf8')).version;
    } catch {
      return null;
    }
  };
  if (installed() === VERSION) return bin;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({
    name: 'rsnet-bun',
    private: true,
    description: 'Bun for rsnet benchmarks, installed by scripts/bun.js',
    dependencies: { [PACKAGE]: VERSION },
  }, null, 2)}\n`);
  console.error(`rsnet: installing Bun ${VERSION} (${PACKAGE}) into ${dir}`);
  npmInstall(dir, `${PACKAGE}@${VERSION}`);
  const got = installed();
  if (got !== VERSION) throw new Error(`rsnet: after npm install, ${bin} is ${got || 'missing'}, not ${VERSION}`);
  return bin;
}

if (require.main === module) {
  try {
    console.log(ensureBun());
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}

module.exports = { ensureBun };
