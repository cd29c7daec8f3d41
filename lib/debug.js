'use strict';

// NODE_DEBUG=rsnet prints rsnet's debug lines, as NODE_DEBUG=net does for Node's net.
const util = require('node:util');

let debug = util.debuglog('rsnet', (fn) => {
  debug = fn;
});

module.exports = {
  debug: (...args) => debug(...args),
};
