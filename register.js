'use strict';

// `node -r rsnet/register app.js` (or `--import rsnet/register`, through register.mjs):
// user code that requires or imports 'net' or 'node:net' gets rsnet, in this thread and
// in workers that inherit the preload. lib/register-hooks.js says how, per Node line.

require('./lib/register-hooks.js').install();

module.exports = require('./index.js');
