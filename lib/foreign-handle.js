'use strict';

// new Socket({ handle }) with a handle that is not rsnet's own. Node's net drives a handle
// through a known set of methods (readStart, writeUtf8String(req, data), shutdown(req),
// close(cb), getsockname(out), setNoDelay, ...); this adapter lets rsnet's Socket drive
// such an object the same way, as far as net itself can. A handle on a real socket
// descriptor (one of Node's own, say) is taken over instead: rsnet reads and writes a
// duplicate of its descriptor, as a cluster worker's connection, and closes the original
// with it.

const { isIP } = require('node:net');
const { SocketHandle, guessHandleType, kind, emitFor } = require('./binding');

const UV_EINVAL = -22;

let nextId = -1000000;

class ForeignHandle {
  constructor(handle) {
    this.handle = handle;
    // Negative ids never collide with native handles'.
    this.id = nextId--;
    this.reading = false;
    this.pipe = false;
    // Socket asks for these only when the handle has them, as net does.
    if (typeof handle.setNoDelay === 'function') this.setNoDelay = (on) => handle.setNoDelay(on);
    if (typeof handle.setKeepAlive === 'function') {
      this.setKeepAlive = (on, delay) => handle.setKeepAlive(on, delay);
    }
  }

  get fd() {
    return this.handle.fd;
  }

  // net counts the bytes a handle wrote by asking the handle.
  get bytesWritten() {
    return this.handle.bytesWritten;
  }

  getAsyncId() {
    return typeof this.handle.getAsyncId === 'function' ? this.handle.getAsyncId() : this.id;
  }

  // rsnet keeps the loop alive through its native handles; a foreign one does that itself.
  setActive() {}

  readStart() {
    return typeof this.handle.readStart === 'function' ? this.handle.readStart() || 0 : 0;
  }

  readStop() {
    if (typeof this.handle.readStop === 'function') this.handle.readStop();
  }

  // net learns whether a write went asynchronous from its native layer only; a handle of
  // another kind completes its writes at once there, and so it does here.
  write(method, data) {
    const req = { async: false, oncomplete() {} };
    return this.handle[method](req, data) || 0;
  }

  writeBuffer(data) {
    return this.write('writeBuffer', data);
  }

  writeUtf8String(data) {
    return this.write('writeUtf8String', data);
  }

  writev(buffers) {
    const req = { async: false, oncomplete() {} };
    return this.handle.writev(req, buffers, true) || 0;
  }

  // 0: done at once (net's 1), 1: a SHUTDOWN event follows, or a negative errno. net calls
  // back when the request completes, whatever its status.
  shutdown() {
    const req = { oncomplete: () => emitFor(this, kind.SHUTDOWN, 0) };
    const err = this.handle.shutdown(req);
    if (err === 1) return 0;
    return err || 1;
  }

  // Socket binds through bindLocal first, in the target's family, as net does.
  bindLocal(localAddress, localPort, family) {
    const bind = family === 6 ? this.handle.bind6 : this.handle.bind;
    return typeof bind === 'function' ? bind.call(this.handle, localAddress, localPort) || 0 : UV_EINVAL;
  }

  connectTcp(address, port) {
    const six = isIP(address) === 6;
    const connect = six ? this.handle.connect6 : this.handle.connect;
    if (typeof connect !== 'function') return UV_EINVAL;
    return connect.call(this.handle, this.connectRequest(), address, port) || 0;
  }

  connectUnix(path) {
    if (typeof this.handle.connect !== 'function') return UV_EINVAL;
    this.pipe = true;
    return this.handle.connect(this.connectRequest(), path) || 0;
  }

  connectRequest() {
    return { oncomplete: (status) => emitFor(this, kind.CONNECT, status) };
  }

  open() {
    return UV_EINVAL;
  }

  close() {
    if (typeof this.handle.close === 'function') this.handle.close(() => {});
  }

  reset() {
    if (typeof this.handle.reset === 'function') return this.handle.reset(() => {}) || 0;
    this.close();
    return 0;
  }

  ref() {
    if (typeof this.handle.ref === 'function') this.handle.ref();
  }

  unref() {
    if (typeof this.handle.unref === 'function') this.handle.unref();
  }

  localAddress() {
    return this.name('getsockname');
  }

  remoteAddress() {
    return this.name('getpeername');
  }

  name(method) {
    if (typeof this.handle[method] !== 'function') return null;
    const out = {};
    return this.handle[method](out) ? null : out;
  }
}

// The handle a Socket built with { handle } works through, and whether it reads already
// (rsnet's accepted handles do; one taken over or adapted starts when asked to).
function adoptHandle(handle) {
  if (handle instanceof SocketHandle) return { handle, reading: true };
  const fd = handle.fd;
  if (Number.isInteger(fd) && fd >= 0 && fd <= 0x7fffffff) {
    const type = guessHandleType(fd);
    if (type === 'TCP' || type === 'PIPE') {
      const own = new SocketHandle();
      if (own.open(fd, true) === 0) {
        own.pipe = type === 'PIPE';
        lend(handle, own);
        return { handle: own, reading: false };
      }
      own.close();
    }
  }
  return { handle: new ForeignHandle(handle), reading: false };
}

// The lent handle stays open while rsnet's duplicate lives, so that the connection ends
// when rsnet's socket closes, not before; but it reads no more (whatever still owns it may
// ask it to): what arrives is rsnet's.
function lend(original, own) {
  if (typeof original.readStop === 'function') original.readStop();
  original.readStart = () => 0;
  const closeOriginal = () => {
    if (typeof original.close === 'function') original.close();
  };
  for (const method of ['close', 'reset']) {
    const native = own[method];
    own[method] = function closeBoth(...args) {
      const result = native.apply(this, args);
      closeOriginal();
      return result;
    };
  }
}

module.exports = { ForeignHandle, adoptHandle };
