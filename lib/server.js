'use strict';

// net.Server: an EventEmitter over a native ServerHandle. Binding with no host happens
// synchronously inside listen(), so address() is valid on the next line; a host, even an
// IP literal, goes through dns.lookup first, as in Node's net. Errors are still emitted
// asynchronously, as Node does.

const EventEmitter = require('node:events');
const fs = require('node:fs');
const { BlockList, isIP } = require('node:net');
const { getDefaultHighWaterMark } = require('node:stream');
const line = require('./node-line');
const { boundSocketOf, adopt } = require('./bound-socket');
const { ServerHandle, SocketHandle, guessHandleType, kind, kOnEvent, own, disown } = require('./binding');
const { unixName } = require('./unix-path');
const {
  codes, errnoException, exceptionWithHostPort, uv, uvExceptionWithHostPort,
} = require('./errors');
const {
  validateAbortSignal,
  validateFunction,
  validateInt32,
  validateNumber,
  validatePort,
} = require('./validators');
const { normalizeArgs, isIPString, isPipeName, toNumber } = require('./connect');
const { Socket } = require('./socket');
const { debug } = require('./debug');

const {
  ERR_INVALID_ARG_TYPE,
  ERR_INVALID_ARG_VALUE,
  ERR_SERVER_ALREADY_LISTEN,
  ERR_SERVER_NOT_RUNNING,
} = codes;


// The Unix path this server listens on (address() answers it), and whether it is a Unix
// socket at all (one taken by descriptor has no known path).
const kPath = Symbol('kPath');
const kPipe = Symbol('kPipe');
// Whether this server bound kPath itself, and so removes it on close.
const kUnlink = Symbol('kUnlink');
// Node's handle of an adopted BoundSocket: closed with the server.
const kAdopted = Symbol('kAdopted');
// The path of the last listen(path) (Node's _pipeName): never cleared.
const kPipeName = Symbol('kPipeName');

let dns;
let cluster;

class Server extends EventEmitter {
  constructor(options, connectionListener) {
    super();
    if (typeof options === 'function') {
      connectionListener = options;
      options = {};
    } else if (options == null || typeof options === 'object') {
      options = { ...options };
    } else {
      throw new ERR_INVALID_ARG_TYPE('options', 'Object', options);
    }
    if (typeof connectionListener === 'function') this.on('connection', connectionListener);

    this._connections = 0;
    this._handle = null;
    this._usingWorkers = false;
    this._workers = [];
    this._unref = false;
    this._listeningId = 1;
    if (options.keepAliveInitialDelay !== undefined) {
      validateNumber(options.keepAliveInitialDelay, 'options.keepAliveInitialDelay');
      if (options.keepAliveInitialDelay < 0) options.keepAliveInitialDelay = 0;
    }
    if (options.highWaterMark !== undefined) {
      validateNumber(options.highWaterMark, 'options.highWaterMark');
      if (options.highWaterMark < 0) options.highWaterMark = getDefaultHighWaterMark();
    }
    this.allowHalfOpen = options.allowHalfOpen || false;
    this.pauseOnConnect = Boolean(options.pauseOnConnect);
    this.noDelay = Boolean(options.noDelay);
    this.keepAlive = Boolean(options.keepAlive);
    this.keepAliveInitialDelay = ~~(options.keepAliveInitialDelay / 1000);
    this.highWaterMark = options.highWaterMark ?? getDefaultHighWaterMark();
    if (line.blockList && options.blockList) {
      if (!BlockList.isBlockList(options.blockList)) {
        throw new ERR_INVALID_ARG_TYPE('options.blockList', 'net.BlockList', options.blockList);
      }
      this.blockList = options.blockList;
    }
    this[kPath] = null;
    this[kPipe] = false;
    this[kUnlink] = false;
    this[kAdopted] = null;
  }

  get listening() {
    return Boolean(this._handle);
  }

  listen(...args) {
    const normalized = normalizeArgs(args);
    let options = normalized[0];
    const cb = normalized[1];
    if (this._handle) throw new ERR_SERVER_ALREADY_LISTEN();
    if (cb !== null) this.once('listening', cb);
    // Abandons a DNS lookup still pending from an earlier listen().
    this._listeningId++;
    const backlogFromArgs = toNumber(args.length > 1 && args[1]) ||
      toNumber(args.length > 2 && args[2]);
    // listen(server) and listen(handle): as in Node, the handle itself. An rsnet server
    // handle moves to this server; any other handle (Node's own, say) lends a duplicate of
    // its descriptor and stays its owner's. A plain { fd } gives the descriptor away.
    const bound = boundSocketOf(options);
    if (bound !== null) {
      this._listenBound(bound, backlogFromArgs);
      return this;
    }
    options = options._handle || options.handle || options;
    if (options instanceof ServerHandle) {
      this._listenHandle(options, backlogFromArgs);
      return this;
    }
    const lent = Object.getPrototypeOf(options) !== Object.prototype;

    // The signal is checked (and armed) first, then a descriptor is taken; only then does
    // the port default, as in net: a bad signal or an { fd } leaves the options as given.
    if (options.signal !== undefined) {
      validateAbortSignal(options.signal, 'options.signal');
      const signal = options.signal;
      // An aborted signal closes the server on the next tick; as in Node's net, listen()
      // still checks and binds first (and 'listening' is then never emitted).
      if (signal.aborted) {
        process.nextTick(() => this.close());
      } else {
        // events' abort listener, as net's: it still runs when an earlier listener stops
        // the event's propagation.
        const listener = EventEmitter.addAbortListener(signal, () => this.close());
        this.once('close', listener[Symbol.dispose]);
      }
    }

    if (typeof options.fd === 'number' && options.fd >= 0) {
      this._listenFd(options.fd, backlogFromArgs, lent);
      return this;
    }

    // listen(), listen(cb), listen(null[, cb]) and { port: undefined | null }: any free port.
    if (args.length === 0 || typeof args[0] === 'function' ||
        (typeof options.port === 'undefined' && 'port' in options) || options.port === null) {
      // Node's net writes it into the caller's options.
      options.port = 0;
    }

    // Coerced as Node's handle coerces it (a non-number backlog becomes 0, a Symbol throws),
    // and only when the handle listens: after the port and path checks, after a lookup.
    const backlog = () => Number(options.backlog || backlogFromArgs || 511) | 0;
    if (typeof options.port === 'number' || typeof options.port === 'string') {
      validatePort(options.port, 'options.port');
      // Where the line has reusePort, net marks such a server exclusive in the caller's
      // options.
      if (line.reusePort && options.reusePort === true) options.exclusive = true;
      const port = options.port | 0;
      // Node's net looks up every host, IP literals too: address() is null until then, and
      // a listen() or close() before the answer wins.
      if (options.host) {
        this._lookupAndListen(port, options.host, backlog, options);
      } else {
        this._listenTcp(options.host || null, port, backlog(), options);
      }
      return this;
    }

    if (options.path && isPipeName(options.path)) {
      if (String(options.path).startsWith('\0') && (options.readableAll || options.writableAll)) {
        throw new ERR_INVALID_ARG_VALUE('options', options,
          'can not set readableAll or writableAllt to true when path is abstract unix socket');
      }
      this[kPipeName] = options.path;
      this._listenPath(String(options.path), backlog(), options);
      return this;
    }

    if (!('port' in options) && !('path' in options)) {
      throw new ERR_INVALID_ARG_VALUE('options', options,
        'must have the property "port" or "path"');
    }
    throw new ERR_INVALID_ARG_VALUE('options', options);
  }

  // `backlog` is a function: Node's net reads the value only once the lookup answered.
  _lookupAndListen(port, host, backlog, options) {
    if (dns === undefined) dns = require('node:dns');
    const listeningId = this._listeningId;
    const listen = (err, address) => {
      // close() or another listen() came first.
      if (listeningId !== this._listeningId) return;
      if (err) {
        this.emit('error', err);
        return;
      }
      this._listenTcp(address, port, backlog(), options);
    };
    if (!line.listenSkipsLinkLocal) {
      dns.lookup(host, listen);
      return;
    }
    dns.lookup(host, { all: true }, (err, addresses) => {
      if (err) return listen(err);
      const usable = addresses.find((entry) => !isIPv6LinkLocal(entry.address)) || addresses[0];
      listen(null, usable.address);
    });
  }

  _listenTcp(address, port, backlog, options) {
    // net takes the flag only when it is exactly true.
    const ipv6Only = options.ipv6Only === true && (address !== null || line.ipv6OnlyWithoutHost);
    // Where the line has the option, a server with it binds its own socket even in a
    // cluster worker, as exclusive.
    const reusePort = line.reusePort && options.reusePort === true;
    if (!options.exclusive && !reusePort && isClusterWorker()) {
      this._listenInCluster(address, port, address ? isIP(address) : 4, backlog, ipv6Only ? 1 : 0);
      return;
    }
    let handle = new ServerHandle();
    let host = address;
    let err;
    if (host === null) {
      // No host: IPv6's any address, which takes IPv4 too; IPv4's where there is no IPv6.
      host = '::';
      err = handle.bindTcp(host, port, ipv6Only, reusePort);
      if (err === uv.EAFNOSUPPORT || err === uv.EADDRNOTAVAIL) {
        handle.close();
        handle = new ServerHandle();
        host = '0.0.0.0';
        err = handle.bindTcp(host, port, false, reusePort);
      }
    } else {
      err = handle.bindTcp(host, port, ipv6Only, reusePort);
    }
    if (err === 0) err = handle.listen(backlog, this.pauseOnConnect);
    this._finishListen(handle, err, host, port, isIP(host));
  }

  _listenPath(path, backlog, options) {
    if (!options.exclusive && isClusterWorker()) {
      this._listenInCluster(path, -1, -1, backlog, undefined, {
        readableAll: options.readableAll,
        writableAll: options.writableAll,
      });
      return;
    }
    const handle = new ServerHandle();
    let err = handle.bindUnix(unixName(path));
    // libuv reports a missing directory as EACCES, for Windows' sake; Node users see that.
    if (err === uv.ENOENT) err = uv.EACCES;
    if (err === 0) err = handle.listen(backlog, this.pauseOnConnect);
    if (err === 0 && !path.startsWith('\0') && (options.readableAll === true || options.writableAll === true)) {
      // Only an exact true counts here (any truthy value refuses an abstract name).
      let mode = 0;
      if (options.readableAll === true) mode |= 0o444;
      if (options.writableAll === true) mode |= 0o222;
      // As libuv's uv_pipe_chmod, the name the socket got: where the line's libuv cuts a
      // long path, the file is at the cut one.
      const bound = handle.address();
      const file = bound && bound.family === 'unix' && bound.address ? bound.address : path;
      try {
        fs.chmodSync(file, line.chmodSetsExactMode ? mode : (fs.statSync(file).mode & 0o777) | mode);
      } catch (chmodErr) {
        handle.close();
        throw errnoException(chmodErr.errno, 'uv_pipe_chmod');
      }
    }
    if (err === 0) {
      this[kPath] = path;
      this[kPipe] = true;
      this[kUnlink] = true;
    }
    this._finishListen(handle, err, path, -1, -1);
  }

  // listen({ fd }): an inherited socket (systemd's socket activation, say), bound or already
  // listening. As in Node, a descriptor that is not a TCP or Unix socket fails with EINVAL.
  _listenFd(fd, backlog, lent) {
    const handle = new ServerHandle();
    this._finishListen(handle, listenOnFd(handle, fd, lent, backlog, this.pauseOnConnect), null, null,
      -1);
  }

  // listen(boundSocket): Node 24's pre-bound socket, listened on through a duplicate.
  _listenBound(bound, backlog) {
    const { nodeHandle, fd, path } = adopt(bound);
    this[kAdopted] = nodeHandle;
    if (path !== undefined) {
      // Node's handle removes the file when it closes, as its server would.
      this[kPath] = path;
      this[kPipe] = true;
    }
    const handle = new ServerHandle();
    const err = listenOnFd(handle, fd, true, backlog, this.pauseOnConnect);
    if (err !== 0) this._closeAdopted();
    this._finishListen(handle, err, null, null);
  }

  _closeAdopted() {
    if (this[kAdopted] === null) return;
    this[kAdopted].close();
    this[kAdopted] = null;
  }

  _listenHandle(handle, backlog) {
    disown(handle);
    let err = 0;
    if (handle.listening) handle.setPauseOnConnect(this.pauseOnConnect);
    else err = handle.listen(backlog || 511, this.pauseOnConnect);
    this._finishListen(handle, err, null, null, -1);
  }

  // In a cluster worker, as Node's listenInCluster: the primary owns the listening socket.
  // With round-robin it accepts and sends each connection over IPC in a Node handle, which
  // rsnet takes over by a duplicate; with the shared policy it sends the listening socket,
  // on whose duplicate rsnet accepts itself.
  _listenInCluster(address, port, addressType, backlog, flags, extra = {}) {
    const listeningId = this._listeningId;
    const query = { address, port, addressType, fd: undefined, flags, backlog, ...extra };
    cluster._getServer(this, query, (err, nodeHandle) => {
      if (listeningId !== this._listeningId) {
        if (nodeHandle) nodeHandle.close();
        return;
      }
      if (err === 0 && port > 0 && nodeHandle.getsockname) {
        // As Node's checkBindError: a worker asking for a port gets that port or an error.
        const out = {};
        nodeHandle.getsockname(out);
        if (out.port !== port) err = uv.EADDRINUSE;
      }
      if (err) {
        if (nodeHandle) nodeHandle.close();
        this.emit('error', exceptionWithHostPort(err, 'bind', address, port));
        return;
      }
      const handle = new ClusterHandle(this, nodeHandle);
      if (port === -1) {
        // A Unix path: the primary bound it and removes it.
        this[kPath] = address;
        this[kPipe] = true;
      }
      this._finishListen(handle, handle.listen(backlog, this.pauseOnConnect), address, port,
        addressType);
    });
  }

  // A connection the primary accepted (round-robin): the Node handle lends its descriptor.
  _onClusterConnection(nodeHandle) {
    const handle = new SocketHandle();
    const err = handle.open(nodeHandle.fd, true);
    nodeHandle.close();
    if (err !== 0) {
      handle.close();
      return;
    }
    if (!this.pauseOnConnect) handle.readStart();
    this._onConnection(handle);
  }

  // `addressType` is 4 or 6 for TCP, -1 for a Unix path, a descriptor or a handle; with
  // `address` and `port` it makes `_connectionKey`, as listen() leaves it in Node.
  _finishListen(handle, err, address, port, addressType) {
    if (err !== 0) {
      handle.close();
      const error = uvExceptionWithHostPort(err, 'listen', address, port);
      process.nextTick(() => this.emit('error', error));
      return;
    }
    this._handle = handle;
    own(handle, this);
    this._connectionKey = `${addressType}:${address}:${addressType === -1 ? -1 : port}`;
    // A Unix socket taken by descriptor or handle counts as one (its address() is null).
    if (this[kPath] === null) this[kPipe] = (handle.address() || {}).family === 'unix';
    if (this._unref) handle.unref();
    process.nextTick(() => {
      // close() in the same tick still emits 'listening' in Node only if still open.
      if (this._handle) this.emit('listening');
    });
  }

  [kOnEvent](type, payload) {
    if (type === kind.ACCEPT) this._onConnection(payload);
    else if (type === kind.ACCEPT_ERROR) this.emit('error', errnoException(payload, 'accept'));
  }

  _onConnection(clientHandle) {
    debug('onconnection');
    clientHandle.pipe = this[kPipe];
    const limited = line.maxConnectionsUnlessNullish ? this.maxConnections != null :
      Boolean(this.maxConnections);
    if (limited && this._connections >= this.maxConnections) {
      // A Unix socket has no addresses to report: Node emits 'drop' bare there.
      if (clientHandle.pipe) this.emit('drop');
      else this.emit('drop', dropInfo(clientHandle));
      clientHandle.close();
      return;
    }
    if (this.blockList) {
      const remote = clientHandle.remoteAddress();
      const type = remote && isIP(remote.address);
      if (type && this.blockList.check(remote.address, `ipv${type}`)) {
        clientHandle.close();
        return;
      }
    }
    let socket;
    try {
      socket = new Socket({
        handle: clientHandle,
        allowHalfOpen: this.allowHalfOpen,
        pauseOnCreate: this.pauseOnConnect,
        readable: true,
        writable: true,
        highWaterMark: this.highWaterMark,
      });
    } catch (err) {
      // Node throws here too (a bad highWaterMark, say); the connection must not linger.
      disown(clientHandle);
      clientHandle.close();
      throw err;
    }
    if (this.noDelay) socket.setNoDelay(true);
    if (this.keepAlive) socket.setKeepAlive(true, this.keepAliveInitialDelay * 1000);
    this._connections++;
    socket.server = this;
    socket._server = this;
    this.emit('connection', socket);
  }

  address() {
    // As Node's net: the name of the last listen(path), even once closed or if it failed.
    if (!this._handle) return this[kPipeName] ?? null;
    if (this[kPath] !== null) return this[kPath];
    // Node knows a Unix server's name only from listen(path): one taken by fd has none.
    if (this[kPipe]) return null;
    const info = this._handle.address();
    return info ? { address: info.address, family: info.family, port: info.port } : null;
  }

  close(cb) {
    this._listeningId++;
    if (typeof cb === 'function') {
      if (!this._handle) {
        this.once('close', function close() {
          cb(new ERR_SERVER_NOT_RUNNING());
        });
      } else {
        this.once('close', cb);
      }
    }
    if (this._handle) {
      disown(this._handle);
      this._handle.close();
      this._handle = null;
      const path = this[kUnlink] ? this[kPath] : null;
      this[kPath] = null;
      this[kPipe] = false;
      this[kUnlink] = false;
      this._closeAdopted();
      // libuv removes a Unix socket's file when it closes the server.
      if (path !== null && !path.startsWith('\0')) {
        try {
          fs.unlinkSync(path);
        } catch {
          // Already gone: nothing to clean up.
        }
      }
    }
    this._emitCloseIfDrained();
    return this;
  }

  _emitCloseIfDrained() {
    debug('SERVER _emitCloseIfDrained');
    if (this._handle || this._connections) return;
    process.nextTick(() => {
      debug('SERVER: emit close');
      this.emit('close');
    });
  }

  getConnections(cb) {
    validateFunction(cb, 'callback');
    process.nextTick(cb, null, this._connections);
    return this;
  }

  ref() {
    this._unref = false;
    if (this._handle) this._handle.ref();
    return this;
  }

  unref() {
    this._unref = true;
    if (this._handle) this._handle.unref();
    return this;
  }

  // events.captureRejections: a rejected 'connection' listener destroys that socket with
  // the reason; any other rejected listener is the server's 'error'.
  [EventEmitter.captureRejectionSymbol](err, event, socket) {
    if (event === 'connection') socket.destroy(err);
    else this.emit('error', err);
  }

  [Symbol.asyncDispose]() {
    if (!this._handle) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.close((err) => (err ? reject(err) : resolve()));
    });
  }
}

// fe80::/10: an address that needs a scope to be reached, so no use to listen on by name.
function isIPv6LinkLocal(address) {
  if (isIP(address) !== 6) return false;
  const first = parseInt(address.split(':')[0] || '0', 16);
  return (first & 0xffc0) === 0xfe80;
}

function isClusterWorker() {
  if (cluster === undefined) cluster = require('node:cluster');
  return cluster.isWorker === true;
}

let nextClusterHandleId = -1;

let ownerSymbol = null;

// Node's internal owner_symbol, read once off a stand-in handle that Node's own Socket marks.
function nodeOwnerSymbol() {
  if (ownerSymbol === null) {
    const stub = {};
    new (require('node:net').Socket)({ handle: stub, manualStart: true });
    ownerSymbol = Object.getOwnPropertySymbols(stub).find((sym) => sym.description === 'owner_symbol');
  }
  return ownerSymbol;
}

// What a cluster worker's server holds instead of its own listening handle: the Node handle
// the primary sent (round-robin: a stand-in the primary routes connections through; shared:
// the listening socket itself) and, for a shared socket, rsnet's handle on a duplicate of
// it. It answers what Server asks of a handle; closing it tells the primary.
class ClusterHandle {
  constructor(server, nodeHandle) {
    this.node = nodeHandle;
    this.own = null;
    this.id = nextClusterHandleId--;
    // Node's servers mark their handles with their owner, so that the cluster refuses a
    // connection to a worker at its maxConnections (the primary then offers it to another)
    // and on disconnect() calls server.close(cb). rsnet's server marks its handle the same
    // way; should that symbol ever be missing, the cluster calls handle.close(cb) instead,
    // which then closes the server.
    const owner = nodeOwnerSymbol();
    if (owner !== undefined) nodeHandle[owner] = server;
    const close = nodeHandle.close;
    nodeHandle.close = (...args) => {
      const [cb] = args;
      if (typeof cb === 'function' && server._handle === this) {
        server.close(() => cb());
        return undefined;
      }
      return close.apply(nodeHandle, args);
    };
    if (typeof nodeHandle.fd === 'number' && nodeHandle.fd >= 0) {
      this.own = new ServerHandle();
      this.id = this.own.id;
    } else {
      nodeHandle.onconnection = (err, clientHandle) => {
        if (err) server.emit('error', errnoException(err, 'accept'));
        else server._onClusterConnection(clientHandle);
      };
    }
  }

  // 0 or a negative errno, as a handle's listen().
  listen(backlog, pauseOnConnect) {
    if (this.own === null) return 0;
    return listenOnFd(this.own, this.node.fd, true, backlog, pauseOnConnect);
  }

  address() {
    if (this.own !== null) return this.own.address();
    if (!this.node.getsockname) return null;
    const out = {};
    this.node.getsockname(out);
    return out.port === undefined ? null : out;
  }

  close() {
    if (this.own !== null) this.own.close();
    this.node.close();
  }

  ref() {
    if (this.own !== null) this.own.ref();
    if (this.node.ref) this.node.ref();
  }

  unref() {
    if (this.own !== null) this.own.unref();
    if (this.node.unref) this.node.unref();
  }
}

// Adopts descriptor `fd` (a duplicate if `lent`) into `handle`; 0 or a negative errno. As
// Node's createServerHandle: anything but a TCP or Unix socket fails with EINVAL.
function openFd(handle, fd, lent = false) {
  let type = 'UNKNOWN';
  try {
    validateInt32(fd, 'fd', 0);
    type = guessHandleType(fd);
  } catch {
    // A descriptor that is no int32 is just as invalid.
  }
  if (type !== 'TCP' && type !== 'PIPE') return uv.EINVAL;
  return handle.open(fd, lent);
}

// Adopts `fd` (as openFd) and listens on it; 0 or a negative errno.
function listenOnFd(handle, fd, lent, backlog, pauseOnConnect) {
  const err = openFd(handle, fd, lent);
  return err !== 0 ? err : handle.listen(backlog || 511, pauseOnConnect);
}

// net._createServerHandle(address, port, addressType, fd, flags): a bound server handle,
// or a negative errno. Kept because Node exports it.
function createServerHandle(address, port, addressType, fd, flags) {
  const handle = new ServerHandle();
  let err;
  if (typeof fd === 'number' && fd >= 0) {
    err = openFd(handle, fd);
  } else if (port === -1 && addressType === -1) {
    err = handle.bindUnix(String(address));
  } else {
    const host = address || (addressType === 4 ? '0.0.0.0' : '::');
    // Only a string reaches the native bind. Flags: libuv's UV_TCP_IPV6ONLY (1) and, on
    // lines with reusePort, UV_TCP_REUSEPORT (2).
    err = isIPString(host) ?
      handle.bindTcp(host, port | 0, Boolean(flags & 1), line.reusePort && Boolean(flags & 2)) : uv.EINVAL;
  }
  if (err !== 0) {
    handle.close();
    return err;
  }
  return handle;
}

let warnedSimultaneousAccepts = false;

// Deprecated in Node (DEP0121) and a no-op outside Windows.
function setSimultaneousAccepts() {
  if (!warnedSimultaneousAccepts) {
    warnedSimultaneousAccepts = true;
    process.emitWarning('net._setSimultaneousAccepts() is deprecated and will be removed.',
      'DeprecationWarning', 'DEP0121');
  }
}

function dropInfo(clientHandle) {
  const data = Object.create(null);
  const local = clientHandle.localAddress();
  const remote = clientHandle.remoteAddress();
  if (local && local.family !== 'unix') {
    data.localAddress = local.address;
    data.localPort = local.port;
    data.localFamily = local.family;
  }
  if (remote && remote.family !== 'unix') {
    data.remoteAddress = remote.address;
    data.remotePort = remote.port;
    data.remoteFamily = remote.family;
  }
  return data;
}

Object.defineProperty(Server.prototype, 'connections', {
  get() {
    return this._connections;
  },
  set(value) {
    this._connections = value;
  },
  configurable: true,
  enumerable: false,
});

module.exports = { Server, createServerHandle, setSimultaneousAccepts };
