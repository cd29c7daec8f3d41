'use strict';

// rsnet: Node's net module on native Rust handles. Same exports, same behaviour.

const nodeNet = require('node:net');
const { Socket } = require('./lib/socket');
const { Server, createServerHandle, setSimultaneousAccepts } = require('./lib/server');
const { normalizeArgs } = require('./lib/connect');
const defaults = require('./lib/defaults');
const line = require('./lib/node-line');
const tcpControls = require('./lib/tcp-controls');

// Node's net.Socket and net.Server also work when called without `new`; classes do not,
// so the exported constructors are callable proxies of them.
function callable(Class) {
  return new Proxy(Class, {
    apply(target, thisArg, args) {
      return new target(...args);
    },
  });
}

const CallableSocket = callable(Socket);
const CallableServer = callable(Server);

function createServer(options, connectionListener) {
  return new Server(options, connectionListener);
}

function connect(...args) {
  const normalized = normalizeArgs(args);
  const [options] = normalized;
  const socket = new Socket(options);
  if (options.timeout) socket.setTimeout(options.timeout);
  return socket.connect(normalized);
}

// The names are those of the running line's net: _setSimultaneousAccepts went in Node 24,
// BoundSocket came then.
module.exports = {
  _createServerHandle: createServerHandle,
  _normalizeArgs: normalizeArgs,
  ...(line.setSimultaneousAccepts ? { _setSimultaneousAccepts: setSimultaneousAccepts } : {}),
  // A transferred BoundSocket arrives through Node's own net, by this name.
  ...(line.boundSocket ? { _TransferredBoundSocket: nodeNet._TransferredBoundSocket } : {}),
  // Node's address helpers are pure JavaScript with no socket behind them: share them,
  // so that a BlockList or SocketAddress works the same with either module.
  BlockList: nodeNet.BlockList,
  SocketAddress: nodeNet.SocketAddress,
  // A BoundSocket is Node's own as well: it only binds, and an rsnet server or socket
  // adopting it takes its descriptor over (lib/bound-socket.js).
  ...(line.boundSocket ? { BoundSocket: nodeNet.BoundSocket } : {}),
  connect,
  createConnection: connect,
  createServer,
  isIP: nodeNet.isIP,
  isIPv4: nodeNet.isIPv4,
  isIPv6: nodeNet.isIPv6,
  Server: CallableServer,
  Socket: CallableSocket,
  Stream: CallableSocket,
  getDefaultAutoSelectFamily: defaults.getDefaultAutoSelectFamily,
  setDefaultAutoSelectFamily: defaults.setDefaultAutoSelectFamily,
  getDefaultAutoSelectFamilyAttemptTimeout: defaults.getDefaultAutoSelectFamilyAttemptTimeout,
  setDefaultAutoSelectFamilyAttemptTimeout: defaults.setDefaultAutoSelectFamilyAttemptTimeout,
  // Beyond net: TCP controls Node does not offer (README, "TCP controls").
  tcpInfo: tcpControls.tcpInfo,
  getTcpOptions: tcpControls.getTcpOptions,
  setTcpOptions: tcpControls.setTcpOptions,
};
