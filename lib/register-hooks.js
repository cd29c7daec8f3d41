'use strict';

// What `rsnet/register` installs, whether it is preloaded with -r or with --import:
// 'net' and 'node:net', required or imported by any module outside rsnet, become rsnet
// (index.js for require, index.mjs, the same objects, for import). rsnet's own files
// keep Node's net, which they build on; so do Node's own modules, which load net
// through their internal loader.
//
// Node lines differ in the hooks they offer:
// - module.registerHooks (22.15+, 23.5+): synchronous hooks on this thread that see
//   require and import alike. Preferred: Node 26 deprecates module.register.
// - otherwise (Node 20): Module._load for require, and module.register with
//   esm-hooks.mjs (on the loader's hooks thread) for import.
// Each thread installs its own: a worker started with the process's execArgv (the
// default) or NODE_OPTIONS preloads rsnet/register again.

const Module = require('node:module');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const root = path.join(__dirname, '..');
const ownFiles = new Set(['index.js', 'index.mjs', 'register.js', 'register.mjs'].map((f) => path.join(root, f)));
const ownDir = path.join(root, 'lib') + path.sep;
const cjsEntry = path.join(root, 'index.js');
const esmEntry = pathToFileURL(path.join(root, 'index.mjs')).href;
const ownURLs = new Set([...ownFiles].map((f) => pathToFileURL(f).href));
const ownDirURL = pathToFileURL(ownDir).href;

const isNet = (specifier) => specifier === 'net' || specifier === 'node:net';
const isRsnetFile = (file) => typeof file === 'string' && (ownFiles.has(file) || file.startsWith(ownDir));
const isRsnetURL = (url) => typeof url === 'string' && (ownURLs.has(url) || url.startsWith(ownDirURL));

// The module registerHooks' resolve gives for `specifier`, or null to resolve as usual.
function redirect(specifier, context) {
  if (!isNet(specifier) || isRsnetURL(context.parentURL)) return null;
  if (context.conditions && context.conditions.includes('require')) {
    return { url: pathToFileURL(cjsEntry).href, format: 'commonjs', shortCircuit: true };
  }
  return { url: esmEntry, format: 'module', shortCircuit: true };
}

function installRegisterHooks() {
  Module.registerHooks({
    resolve(specifier, context, nextResolve) {
      return redirect(specifier, context) || nextResolve(specifier, context);
    },
  });
}

function installLegacyHooks() {
  const load = Module._load;
  Module._load = function _load(request, parent, isMain) {
    if (isNet(request) && !(parent && isRsnetFile(parent.filename))) return require(cjsEntry);
    return load.apply(this, arguments);
  };
  Module.register(pathToFileURL(path.join(__dirname, 'esm-hooks.mjs')).href);
}

// Once per thread, however many times and ways rsnet/register is loaded.
const installed = Symbol.for('rsnet.register');

function install() {
  if (globalThis[installed]) return;
  Object.defineProperty(globalThis, installed, { value: true });
  if (typeof Module.registerHooks === 'function') {
    installRegisterHooks();
  } else {
    installLegacyHooks();
  }
}

module.exports = { install, isNet, isRsnetURL, esmEntry };
