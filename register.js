'use strict';

// `node -r rsnet/register app.js`: user code that requires 'net' or 'node:net' gets
// rsnet. Node's own modules load net through their internal loader and keep the
// built-in one; so does rsnet itself, which builds on a few of net's helpers.

const Module = require('node:module');
const path = require('node:path');

const own = new Set(['index.js', 'register.js'].map((f) => path.join(__dirname, f)));
const ownDir = path.join(__dirname, 'lib') + path.sep;
const isRsnet = (file) => own.has(file) || file.startsWith(ownDir);
const rsnet = require('./index.js');
const load = Module._load;

if (!load[Symbol.for('rsnet.register')]) {
  const patched = function _load(request, parent, isMain) {
    if ((request === 'net' || request === 'node:net') &&
        !(parent && parent.filename && isRsnet(parent.filename))) {
      return rsnet;
    }
    return load.apply(this, arguments);
  };
  patched[Symbol.for('rsnet.register')] = true;
  Module._load = patched;
}

module.exports = rsnet;
