'use strict';

// net.BoundSocket (Node 24 on): a socket bound synchronously, listening and connecting
// nowhere until a server's listen() or a new Socket adopts it. rsnet exports Node's own
// class, so its constructor checks, address(), fd(), close(), `using` and transfer to a
// worker are Node's; an rsnet server or socket adopting one takes Node's bound handle
// through the class's own adoption method (which makes the BoundSocket refuse further
// use with ERR_SOCKET_HANDLE_ADOPTED, as when Node's net adopts it) and works on a
// duplicate of its descriptor. Node's handle stays open until the adopter closes, since
// closing it releases the address (and removes a Unix socket's file).

const nodeNet = require('node:net');
const line = require('./node-line');
const { SocketHandle } = require('./binding');
const { errnoException } = require('./errors');

const BoundSocket = line.boundSocket ? nodeNet.BoundSocket : null;

// On a Socket that adopted a BoundSocket: { nodeHandle, path }.
const kBoundSource = Symbol('kBoundSource');

let keys = null;

// The class's adoption method and its path getter, found by their symbols' names.
function privateKeys() {
  if (keys === null) {
    const symbols = Object.getOwnPropertySymbols(BoundSocket.prototype);
    const named = (name) => symbols.find((sym) => sym.description === name);
    keys = { consume: named('kBoundSocketConsume'), path: named('kBoundSocketPath') };
  }
  return keys;
}

// The BoundSocket that listen(bound), listen({ handle: bound }) or new Socket({ handle:
// bound }) gives, or null (always on lines without the class).
function boundSocketOf(options) {
  if (BoundSocket === null || options === null || typeof options !== 'object') return null;
  if (options instanceof BoundSocket) return options;
  if (options.handle instanceof BoundSocket) return options.handle;
  return null;
}

// Takes `bound` over: Node's handle (closed by the adopter when it is done), its
// descriptor, and its Unix path (undefined for TCP). Throws ERR_SOCKET_HANDLE_ADOPTED for
// one already adopted or closed, as Node does.
function adopt(bound) {
  const { consume, path } = privateKeys();
  const boundPath = bound[path];
  const nodeHandle = bound[consume]();
  return { nodeHandle, fd: nodeHandle.fd, path: boundPath };
}

// new Socket({ handle: bound }): the socket's handle connects from the bound socket (a
// duplicate of it); Node's handle is closed when the socket is destroyed.
function adoptForConnect(socket, bound) {
  const { nodeHandle, fd, path } = adopt(bound);
  const handle = new SocketHandle();
  const err = handle.openBound(fd);
  if (err !== 0) {
    nodeHandle.close();
    throw errnoException(err, 'open');
  }
  handle.pipe = path !== undefined;
  socket._setHandle(handle);
  socket[kBoundSource] = { nodeHandle, path };
}

// On destroy: the bound socket's reservation goes (a Unix path is removed, as libuv does).
function release(socket) {
  const bound = socket[kBoundSource];
  if (!bound || bound.nodeHandle === null) return;
  bound.nodeHandle.close();
  bound.nodeHandle = null;
}

module.exports = { boundSocketOf, adopt, adoptForConnect, release, kBoundSource };
