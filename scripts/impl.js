'use strict';

// The net implementation under test, for the tests (__test__/), the stress suite (stress/)
// and the benchmarks (bench/), chosen by one environment variable:
//
//   RSNET_IMPL=rsnet          this checkout (the package root); the default
//   RSNET_IMPL=net            Node's own net: a suite run on it checks the suite itself
//   RSNET_IMPL=/path/to/rsnet another rsnet checkout (a path, absolute or from the current
//                             directory), e.g. to compare two builds
//
// Child processes of a suite get the variable in their environment and load the same
// implementation with loadImpl().

const path = require('node:path');

const ENV = 'RSNET_IMPL';
const ROOT = path.resolve(__dirname, '..');

function isPath(name) {
  return path.isAbsolute(name) || name.startsWith('.') || name.includes(path.sep);
}

// A relative path is made absolute once, here, so that child processes that start
// elsewhere (or change directory) load the same checkout.
if (process.env[ENV] && isPath(process.env[ENV])) process.env[ENV] = path.resolve(process.env[ENV]);

// The implementation named by the environment (rsnet when unset).
function implName(env = process.env) {
  return env[ENV] || 'rsnet';
}

// What require() takes to load `name`: 'node:net', this checkout's root or the path given.
// Throws for a name that is none of these.
function implModule(name = implName()) {
  if (name === 'net') return 'node:net';
  if (name === 'rsnet') return ROOT;
  if (typeof name === 'string' && isPath(name)) return path.resolve(name);
  throw new Error(`unknown ${ENV} ${JSON.stringify(name)} (expected rsnet, net or the path of an rsnet checkout)`);
}

function loadImpl(name = implName()) {
  return require(implModule(name));
}

module.exports = { ENV, ROOT, implName, implModule, loadImpl };
