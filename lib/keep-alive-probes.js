'use strict';

// Node 24's setKeepAlive(enable, initialDelay, interval, count) and its options-object
// form setKeepAlive({ enable, initialDelay, interval, count }). Lines without them
// (lib/node-line.js) take the first two arguments only, and no object form.

const line = require('./node-line');

function isUint32(value) {
  return Number.isInteger(value) && value >= 0 && value <= 0xffffffff;
}

// [enable, initialDelayMsecs, probes]: probes is { interval (seconds), count }, each
// undefined where the native side keeps libuv's default (1 s, 10 probes), as Node passes
// anything but an unsigned 32-bit integer through to its default.
function keepAliveArgs(enable, initialDelayMsecs, intervalMsecs, count) {
  if (!line.keepAliveProbes) return [enable, initialDelayMsecs, {}];
  if (enable !== null && typeof enable === 'object') {
    ({ enable, initialDelay: initialDelayMsecs, interval: intervalMsecs, count } = enable);
  }
  const interval = intervalMsecs === undefined ? undefined : ~~(intervalMsecs / 1000);
  return [enable, initialDelayMsecs, {
    interval: isUint32(interval) ? interval : undefined,
    count: isUint32(count) ? count : undefined,
  }];
}

module.exports = { keepAliveArgs };
