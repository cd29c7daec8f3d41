'use strict';

// The name a Unix socket is bound or connected by, on the running Node line: see
// lib/node-line.js's truncatesUnixPaths. Errors and address() name the whole path on every
// line. (libuv keeps 108 bytes with no
// NUL; Rust's socket address needs the NUL, so rsnet keeps 107: a Node 20 client and an
// rsnet server on the same over-long path do not meet.)

const line = require('./node-line');

const SUN_PATH_MAX = 107;
const TRUNCATES = line.truncatesUnixPaths;

function unixName(path) {
  if (!TRUNCATES || path.startsWith('\0') || Buffer.byteLength(path) <= SUN_PATH_MAX) return path;
  // Cut at a character boundary (a path cut inside a UTF-8 sequence has no string form).
  let end = path.length;
  while (Buffer.byteLength(path.slice(0, end)) > SUN_PATH_MAX) end--;
  return path.slice(0, end);
}

// Whether the running line refuses `path` at once (Node 24+: uv_pipe_connect2 with
// UV_PIPE_NO_TRUNCATE fails synchronously, so net destroys the socket inside connect()
// with "- Local (undefined:undefined)" in the message). Other Unix connect errors come
// from libuv's callback, on a later tick, on every line.
function refusedAtOnce(path) {
  return !TRUNCATES && !path.startsWith('\0') && Buffer.byteLength(path) > SUN_PATH_MAX;
}

module.exports = { unixName, refusedAtOnce };
