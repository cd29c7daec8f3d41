'use strict';

// What differs between the Node lines rsnet runs on (20, 22, 24, 26): each flag says how
// the running Node's own net behaves, so that rsnet behaves the same way. Every other
// file asks here instead of looking at versions itself. A flag is read off what the
// running Node offers where it shows it (an export, a function, libuv's version, how its
// own errors print); only behaviour with nothing to detect goes by the major version.

const nodeNet = require('node:net');
const stream = require('node:stream');

const major = Number(process.versions.node.split('.')[0]);

function uvAtLeast(wantMajor, wantMinor) {
  const [uvMajor, uvMinor] = process.versions.uv.split('.').map(Number);
  return uvMajor > wantMajor || (uvMajor === wantMajor && uvMinor >= wantMinor);
}

// Node's ERR_INVALID_ARG_TYPE names an object's class only when the class has a non-empty
// name on newer lines ("Received {}" rather than "Received an instance of "). Asked of
// Node itself: a Buffer method's argument check prints the same way.
function namesEmptyClass() {
  const Anonymous = (() => class {})();
  try {
    Buffer.alloc(1).fill(0, new Anonymous());
  } catch (err) {
    return /an instance of $/.test(err.message);
  }
  return true;
}

module.exports = Object.freeze({
  major,
  // The stream default every socket and server falls back to (16 KiB on 20, 64 KiB after).
  defaultHighWaterMark: stream.getDefaultHighWaterMark(false),
  // net.BlockList.isBlockList came with the blockList options of net.Server and connect
  // (Node 22): a blocked peer is closed at accept; a blocked address fails the connect with
  // ERR_IP_BLOCKED. Older lines ignore the option.
  blockList: typeof nodeNet.BlockList.isBlockList === 'function',
  // reusePort (SO_REUSEPORT) came with Node 22.12; older lines ignore it.
  reusePort: major > 22 || (major === 22 && Number(process.versions.node.split('.')[1]) >= 12),
  // Node 22: listen({ port, ipv6Only: true }) without a host binds '::' IPv6-only; Node 20
  // passed ipv6Only on only with a host, so it bound dual-stack there.
  ipv6OnlyWithoutHost: major >= 22,
  // Node 22: maxConnections applies whenever it is not null or undefined, so 0 drops every
  // connection; Node 20 applied it only when truthy.
  maxConnectionsUnlessNullish: major >= 22,
  // Node 22: connect() checks options.host is a string without NUL bytes before anything
  // else; Node 20 left it to dns.lookup ("hostname").
  validatesConnectHost: major >= 22,
  // Node 22: listen() on a host name looks up every address and takes the first that is
  // not IPv6 link-local; Node 20 took the first answer.
  listenSkipsLinkLocal: major >= 22,
  // Node 20: end() on a socket with no handle waits for a connect that may never come;
  // Node 22 finishes at once unless it is connecting.
  finalWaitsWhilePending: major < 22,
  // Node 22: a write the handle's close cancels calls back with ECANCELED (and errors the
  // stream); Node 20 called it back with no error.
  cancelledWriteFails: major >= 22,
  // libuv 1.48: an abstract Unix name is exactly its bytes (1.46 padded it to the whole
  // sun_path), and readableAll/writableAll set the file mode to exactly 0444/0222/0666
  // (1.46 added those bits to the mode the umask gave).
  exactAbstractNames: uvAtLeast(1, 48),
  chmodSetsExactMode: uvAtLeast(1, 48),
  namesEmptyClass: namesEmptyClass(),
  // The libuv of Node 20 and 22 copies a Unix path into sockaddr_un's 108-byte sun_path and
  // cuts what does not fit, so a longer path binds or connects by its first bytes; from
  // Node 24 on (UV_PIPE_NO_TRUNCATE) the same call fails with EINVAL.
  truncatesUnixPaths: major < 24,
  // Node 24: socket.setTypeOfService()/getTypeOfService() and the typeOfService option.
  typeOfService: typeof nodeNet.Socket.prototype.setTypeOfService === 'function',
  // Node 24: setKeepAlive() takes the probes' interval and count, or an options object.
  keepAliveProbes: nodeNet.Socket.prototype.setKeepAlive.length >= 4,
  // Exports that only some lines have.
  setSimultaneousAccepts: typeof nodeNet._setSimultaneousAccepts === 'function',
  boundSocket: typeof nodeNet.BoundSocket === 'function',
});
