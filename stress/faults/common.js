'use strict';

// Shared by the fault scripts: each runs as its own process (see scenarios/faults.js),
// on Node's net or on rsnet as argv[2].impl says, and reports what it observed when it
// exits, so that the orchestrator can compare the two implementations and see how the
// process ended.

const nodeNet = require('node:net');
const { loadImpl, childOptions, report } = require('../lib/util');

const opts = childOptions();
const net = opts.impl === 'node' ? nodeNet : loadImpl();
const observed = {};
let reported = false;

// The observations go out when the process exits, however it gets there.
process.on('exit', (code) => {
  if (reported) return;
  reported = true;
  report({ observed, exitCode: code });
});

/** An error as the comparisons see it: its code, or its class and message without one. */
function shape(err) {
  if (err === null || err === undefined) return null;
  if (err.code !== undefined) return err.code;
  return `${err.name}: ${err.message}`;
}

/** A port nothing listens on (it was free a moment ago). */
function freePort(host = '127.0.0.1') {
  return new Promise((resolve) => {
    const server = nodeNet.createServer();
    server.listen(0, host, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Fails the script if it is still running after `ms` (a bound inside the child). */
function bound(ms) {
  setTimeout(() => {
    observed.timedOut = true;
    process.exit(3);
  }, ms).unref();
}

module.exports = { opts, net, nodeNet, observed, shape, freePort, bound };
